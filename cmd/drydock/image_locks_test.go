package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// stallingProxy forwards to MinIO but holds every upload of a pack
// (data/...) until the client goes away: a backup behind it holds its lock
// for as long as the test wants, without racing a timer.
type stallingProxy struct {
	*httptest.Server
	once    sync.Once
	stalled chan struct{} // closed at the first held upload
	release chan struct{} // closed to fail the held uploads
}

func newStallingProxy(t *testing.T, target string) *stallingProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{stalled: make(chan struct{}), release: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u) // keeps the signed Host header
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodPut || r.Method == http.MethodPost) && strings.Contains(r.URL.Path, "/data/") {
			p.once.Do(func() { close(p.stalled) })
			// The request's context is not cancelled while its body is
			// unread: the test releases the upload once it killed the client.
			<-p.release
			http.Error(w, "held by the test", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// TestImageKilledBackupsLockRemovedAtStart: a backup in drydock:latest is
// killed (docker kill) while it holds its lock. In a container restic's
// rule cannot tell it dead: the next container is PID 1 on the same host
// name again, and stock restic on the host sees another host's fresh lock,
// so both would refuse for 30 minutes. The next container with the same
// state volume recognises the lock as its installation's and its process
// as dead: its check removes the lock, says so and exits 0 at once, and
// stock restic's check is clean afterwards.
func TestImageKilledBackupsLockRemovedAtStart(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	dockerBin := testenv.RequireBinary(t, "docker")
	env := dockertest.New(t)
	testenv.RequireOrSkip(t, os.Geteuid() == 0, "the state directory is root's (0700): run as root")
	srv := miniotest.Start(t)
	image := "drydock-test-locks:" + env.Suffix
	buildImageAs(t, image)

	bucket := uniqueBucket("locks")
	c := newCLI(t, "s3:"+srv.URL()+"/"+bucket)
	c.env["AWS_ACCESS_KEY_ID"] = srv.AccessKey
	c.env["AWS_SECRET_ACCESS_KEY"] = srv.SecretKey
	c.must("init")
	proxy := newStallingProxy(t, srv.URL())

	secrets, state, src := t.TempDir(), t.TempDir(), t.TempDir()
	for name, val := range map[string]string{
		"password":              c.env["RESTIC_PASSWORD"],
		"aws_access_key_id":     srv.AccessKey,
		"aws_secret_access_key": srv.SecretKey,
	} {
		if err := os.WriteFile(filepath.Join(secrets, name), []byte(val+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeRandomFiles(t, src, 3, 64<<10)
	// Not the host's name: stock restic on the host must not probe PID 1
	// here (it sends SIGHUP), and a container's PID means nothing outside.
	host := env.Name("locks-host")
	run := func(name string, args ...string) *exec.Cmd {
		t.Cleanup(func() { _ = exec.Command(dockerBin, "rm", "-f", "-v", name).Run() })
		argv := append([]string{"run", "--name", name, "--network", "host", "--hostname", host,
			"-v", secrets + ":/run/secrets:ro",
			"-v", state + ":/var/lib/drydock",
			"-v", src + ":/src:ro",
			"-e", "RESTIC_REPOSITORY=s3:" + proxy.URL + "/" + bucket,
			"-e", "RESTIC_PASSWORD_FILE=/run/secrets/password",
			"-e", "AWS_ACCESS_KEY_ID_FILE=/run/secrets/aws_access_key_id",
			"-e", "AWS_SECRET_ACCESS_KEY_FILE=/run/secrets/aws_secret_access_key",
			image}, args...)
		return exec.Command(dockerBin, argv...)
	}

	backup := env.Name("locks-backup")
	bcmd := run(backup, "backup", "/src")
	var bout strings.Builder
	bcmd.Stdout, bcmd.Stderr = &bout, &bout
	if err := bcmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proxy.stalled:
	case <-time.After(3 * time.Minute):
		t.Fatalf("the backup never uploaded a pack:\n%s", bout.String())
	}
	t.Log("the backup holds its lock and waits for its pack upload")
	locks := strings.Fields(c.mustRestic(resticBin, "--no-lock", "list", "locks"))
	if len(locks) != 1 {
		t.Fatalf("locks while the backup runs: %q, want its one", locks)
	}
	// restic 0.14 reads drydock's lock, whose extra fields it ignores (and
	// does not print).
	doc := c.mustRestic(resticBin, "--no-lock", "cat", "lock", locks[0])
	if !strings.Contains(doc, host) {
		t.Errorf("restic cat lock: want host %s in %s", host, doc)
	}
	t.Logf("killing the backup, lock %s", locks[0])
	if out, err := exec.Command(dockerBin, "kill", backup).CombinedOutput(); err != nil {
		t.Fatalf("docker kill: %v\n%s", err, out)
	}
	_ = bcmd.Wait()
	t.Logf("killed backup:\n%s", bout.String())
	close(proxy.release)

	// The problem: stock restic honours the dead agent's lock.
	if out, err := c.restic(resticBin, "check"); err == nil || !strings.Contains(out, "locked") {
		t.Fatalf("restic check beside the killed backup's lock: %v, want it refused as locked\n%s", err, out)
	}

	start := time.Now()
	out, err := run(env.Name("locks-check"), "check").CombinedOutput()
	took := time.Since(start)
	t.Logf("drydock check in the next container (%v):\n%s", took.Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("drydock check after the killed backup: %v", err)
	}
	if !strings.Contains(string(out), "no longer running") || !strings.Contains(string(out), locks[0][:8]) {
		t.Errorf("drydock check did not say it removed lock %s", locks[0][:8])
	}
	if took > 2*time.Minute {
		t.Errorf("drydock check took %v: it waited for the lock", took)
	}
	if out := c.mustRestic(resticBin, "check"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check:\n%s", out)
	}
	if left := strings.Fields(c.mustRestic(resticBin, "--no-lock", "list", "locks")); len(left) != 0 {
		t.Errorf("locks left: %q", left)
	}
}
