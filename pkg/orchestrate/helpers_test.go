package orchestrate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// testDaemon is a daemon running in the test's process.
type testDaemon struct {
	t      *testing.T
	d      *orchestrate.Daemon
	cfg    *config.Config
	cancel context.CancelFunc
	done   chan error
	logs   *testenv.SyncBuffer
}

// startDaemon parses yaml (with STATE replaced by a temporary directory),
// starts the daemon and waits until it is ready.
func startDaemon(t *testing.T, yaml string, env map[string]string) *testDaemon {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "test.yaml", fastSchedules(func(k string) string { return env[k] }))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &testenv.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := orchestrate.New(cfg, orchestrate.Options{Program: "drydock test", Logger: log, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	td := &testDaemon{t: t, d: d, cfg: cfg, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { td.done <- d.Run(ctx, cfg) }()
	select {
	case <-d.Ready():
	case err := <-td.done:
		t.Fatalf("daemon did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("daemon not ready after 60s")
	}
	t.Cleanup(func() { td.stop() })
	return td
}

// stop cancels the daemon (as SIGTERM does) and waits for it.
func (td *testDaemon) stop() {
	td.t.Helper()
	if td.cancel == nil {
		return
	}
	td.cancel()
	td.cancel = nil
	select {
	case err := <-td.done:
		if err != nil {
			td.t.Errorf("daemon returned %v", err)
		}
	case <-time.After(2 * time.Minute):
		td.t.Error("daemon did not stop within 2 minutes")
	}
	if td.t.Failed() {
		td.t.Logf("daemon log:\n%s", td.logs.String())
	}
}

func (td *testDaemon) get(path string) (int, string) {
	td.t.Helper()
	resp, err := http.Get("http://" + td.d.Addr().String() + path)
	if err != nil {
		td.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// status is what /status serves; a daemon that does not listen (in a
// synctest bubble, where no network belongs) is asked in-process.
func (td *testDaemon) status() orchestrate.Status {
	td.t.Helper()
	if td.d.Addr() == nil {
		return td.d.Status()
	}
	code, body := td.get("/status")
	var st orchestrate.Status
	if code != 200 {
		td.t.Fatalf("/status: %d %s", code, body)
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		td.t.Fatal(err)
	}
	return st
}

// waitFor polls cond until it holds or the timeout passes.
func (td *testDaemon) waitFor(what string, timeout time.Duration, cond func(orchestrate.Status) bool) orchestrate.Status {
	td.t.Helper()
	var st orchestrate.Status
	if !testenv.Eventually(timeout, 200*time.Millisecond, func() bool { st = td.status(); return cond(st) }) {
		b, _ := json.MarshalIndent(st, "", "  ")
		td.t.Fatalf("timed out waiting for %s; status:\n%s\nlog:\n%s", what, b, td.logs.String())
	}
	return st
}

func job(st orchestrate.Status, name, kind string) orchestrate.JobStatus {
	for _, j := range st.Jobs {
		if j.Job == name && j.Kind == kind {
			return j
		}
	}
	return orchestrate.JobStatus{}
}

// restic runs stock restic on a repository.
func restic(t *testing.T, bin, repo, pwFile string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--no-cache", "-r", repo, "--password-file", pwFile}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("restic %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func fill(s string, kv ...string) string {
	if len(kv)%2 != 0 {
		panic(fmt.Sprint("fill: odd arguments ", kv))
	}
	return strings.NewReplacer(kv...).Replace(s)
}

// fastSchedules lets tests schedule jobs every second or two.
func fastSchedules(getenv func(string) string) func(string) string {
	return func(k string) string {
		if k == config.EnvMinInterval {
			return "1s"
		}
		return getenv(k)
	}
}
