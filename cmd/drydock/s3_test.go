package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// s3CLI is a cli whose repository is a bucket (and prefix) on srv.
func s3CLI(t *testing.T, srv *miniotest.Server, bucketPath string) *cli {
	c := newCLI(t, "s3:"+srv.URL()+"/"+bucketPath)
	c.env["AWS_ACCESS_KEY_ID"] = srv.AccessKey
	c.env["AWS_SECRET_ACCESS_KEY"] = srv.SecretKey
	return c
}

func uniqueBucket(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, rand.IntN(1e6))
}

// TestS3DrydockWritesResticJudges: drydock creates the bucket and backs the
// fixture up; restic checks and restores it from the same bucket.
func TestS3DrydockWritesResticJudges(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	srv := miniotest.Start(t)
	src := t.TempDir()
	fixture.Build(t, src)
	for _, path := range []string{uniqueBucket("dd"), uniqueBucket("dd") + "/some/prefix"} {
		t.Run(path, func(t *testing.T) {
			c := s3CLI(t, srv, path)
			c.must("init")
			c.must("backup", src)
			if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
				t.Fatalf("restic check:\n%s", out)
			}
			if out := c.must("check", "--read-data"); !strings.Contains(out, "no errors were found") {
				t.Fatalf("drydock check:\n%s", out)
			}
			dst := t.TempDir()
			c.mustRestic(bin, "restore", "latest", "--target", dst)
			fixture.Compare(t, src, filepath.Join(dst, src), resticRestoreOptions)
		})
	}
}

// TestS3ResticWritesDrydockExtends: restic fills a bucket; drydock lists,
// restores and extends it without new data blobs; restic stays clean.
func TestS3ResticWritesDrydockExtends(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	srv := miniotest.Start(t)
	src := t.TempDir()
	fixture.Build(t, src)
	for _, path := range []string{uniqueBucket("rr"), uniqueBucket("rr") + "/pre"} {
		t.Run(path, func(t *testing.T) {
			c := s3CLI(t, srv, path)
			c.mustRestic(bin, "init")
			c.mustRestic(bin, "backup", src)
			dst := t.TempDir()
			c.must("restore", "latest", "--target", dst)
			fixture.Compare(t, src, filepath.Join(dst, src), resticRestoreOptions)
			var sum backupSummary
			if err := json.Unmarshal([]byte(c.must("backup", "--json", src)), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.DataBlobs != 0 || sum.FilesUnmodified == 0 {
				t.Fatalf("extending restic's bucket added data: %+v", sum)
			}
			if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
				t.Fatalf("restic check:\n%s", out)
			}
			if out := c.must("check", "--read-data"); !strings.Contains(out, "no errors were found") {
				t.Fatalf("drydock check:\n%s", out)
			}
			if n := strings.Count(c.mustRestic(bin, "snapshots"), "\n"+strings.Repeat("-", 10)); n < 1 {
				t.Logf("restic snapshots output unexpected")
			}
		})
	}
}

// TestS3Errors: bad credentials, a missing bucket and an unreachable
// endpoint each give a clear message and a documented exit code, fast.
func TestS3Errors(t *testing.T) {
	srv := miniotest.Start(t)
	good := s3CLI(t, srv, uniqueBucket("err"))
	good.must("init")

	bad := s3CLI(t, srv, strings.TrimPrefix(good.env["RESTIC_REPOSITORY"], "s3:"+srv.URL()+"/"))
	bad.env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret"
	if _, errOut, code := bad.run("snapshots"); code != exitFailure || !strings.Contains(errOut, "AWS_ACCESS_KEY_ID") || strings.Contains(errOut, "wrong-secret") {
		t.Errorf("wrong credentials: exit %d, %q (want %d, a hint at the credentials, no secret)", code, errOut, exitFailure)
	}
	missing := s3CLI(t, srv, uniqueBucket("missing"))
	if _, errOut, code := missing.run("snapshots"); code != exitNoRepo || !strings.Contains(errOut, "bucket") {
		t.Errorf("missing bucket: exit %d, %q (want %d)", code, errOut, exitNoRepo)
	}
	// A missing bucket and no permission to create it.
	nocreate := s3CLI(t, srv, uniqueBucket("nocreate"))
	nocreate.env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret"
	if _, errOut, code := nocreate.run("init"); code == 0 || !strings.Contains(errOut, "AWS_ACCESS_KEY_ID") {
		t.Errorf("init without permission: exit %d, %q", code, errOut)
	}
	unreachable := newCLI(t, "s3:http://"+miniotest.ClosedAddr(t)+"/bucket")
	unreachable.env["AWS_ACCESS_KEY_ID"], unreachable.env["AWS_SECRET_ACCESS_KEY"] = "k", "s"
	start := time.Now()
	if _, errOut, code := unreachable.run("--retry-max", "3s", "snapshots"); code != exitFailure || !strings.Contains(errOut, "connection refused") {
		t.Errorf("unreachable endpoint: exit %d, %q", code, errOut)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("unreachable endpoint took %v to fail", d)
	}
}

// TestS3ServerRestartDuringBackup stops MinIO in the middle of a backup and
// starts it again a few seconds later: the backup retries the requests that
// failed and completes, restic check --read-data is clean, and the next
// backup succeeds.
func TestS3ServerRestartDuringBackup(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	srv := miniotest.Start(t)
	c := s3CLI(t, srv, uniqueBucket("restart"))
	c.must("init")
	src := t.TempDir()
	writeRandomFiles(t, src, 20, 16<<20)

	cmd := exec.Command(drydockBinary(t), "--retry-max", "60s", "backup", src)
	cmd.Env = c.environ()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The outage must come while the backup writes (320 MiB take far
	// longer than this); the check below fails the test if it came late.
	time.Sleep(500 * time.Millisecond)
	srv.Stop(t)
	select {
	case err := <-exited:
		t.Fatalf("the backup ended (%v) before the server went away: nothing was tested\n%s", err, out.String())
	default:
	}
	time.Sleep(3 * time.Second) // the outage under test: 3 s
	srv.Restart(t)
	err := <-exited
	t.Logf("backup across the restart: err=%v\n%s", err, out.String())
	// 3 s of outage is well inside --retry-max: the backup retries the
	// requests that failed and finishes.
	if err != nil || !strings.Contains(out.String(), "backend operation failed, retrying") {
		t.Fatalf("backup across a 3 s outage: %v, retries logged: %v\n%s", err, strings.Contains(out.String(), "retrying"), out.String())
	}
	if out, err := c.restic(bin, "check", "--read-data"); err != nil || !strings.Contains(out, "no errors were found") {
		// A lock left by an interrupted run is reported by restic but is
		// not an error in the data; anything else is.
		t.Fatalf("restic check after the restart: %v\n%s", err, out)
	}
	c.must("backup", src)
	if out := c.must("snapshots", "--json"); !strings.Contains(out, src) {
		t.Fatalf("no snapshot after the restart:\n%s", out)
	}
}

// TestS3ManyHostsOneBucket: four drydock processes back up different trees
// into one repository at once. Every snapshot arrives, restic check
// --read-data is clean, and a file that all four trees share is stored at
// most once per process (concurrent writers cannot see each other's
// uploads, as with restic) and not again by later backups.
func TestS3ManyHostsOneBucket(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	srv := miniotest.Start(t)
	c := s3CLI(t, srv, uniqueBucket("many"))
	c.must("init")
	shared := make([]byte, 400<<10) // below MinSize: one blob, whose ID is its SHA-256
	for i := range shared {
		shared[i] = byte(rand.IntN(256))
	}
	const hosts = 4
	trees := make([]string, hosts)
	for i := range trees {
		trees[i] = t.TempDir()
		writeRandomFiles(t, trees[i], 5, 1<<20)
		if err := os.WriteFile(filepath.Join(trees[i], "shared.bin"), shared, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(i int) error {
		cmd := exec.Command(drydockBinary(t), "backup", "--host", fmt.Sprintf("host-%d", i), trees[i])
		cmd.Env = c.environ()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("host %d: %v\n%s", i, err, out)
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, hosts)
	for i := range hosts {
		wg.Go(func() { errs[i] = run(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var sns []struct{ Hostname string }
	if err := json.Unmarshal([]byte(c.must("snapshots", "--json")), &sns); err != nil || len(sns) != hosts {
		t.Fatalf("%d snapshots (%v), want %d", len(sns), err, hosts)
	}
	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check:\n%s", out)
	}
	copies := func() int { return strings.Count(c.mustRestic(bin, "list", "blobs"), "data "+sha256Hex(shared)) }
	first := copies()
	if first < 1 || first > hosts {
		t.Fatalf("the shared file is stored %d times, want 1..%d", first, hosts)
	}
	for i := range hosts {
		if err := run(i); err != nil {
			t.Fatal(err)
		}
	}
	if n := copies(); n != first {
		t.Fatalf("later backups stored the shared file again: %d copies, had %d", n, first)
	}
}
