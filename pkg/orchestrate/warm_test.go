package orchestrate_test

import (
	"bytes"
	"crypto/rand"
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

const warmJob = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: pw
    init: true
    lock_wait: 1m
jobs:
  warm:
    repository: local
    schedule: "*/2 * * * * *"
    paths: [DATA]
`

// TestDaemonKeepsRepositoryWarm: the daemon opens its repository once and
// keeps it for every run. Another process (stock restic) forgets and
// prunes the snapshots holding a file's content between runs; when the
// file comes back, the warm daemon must see that its packs are gone and
// store the content again, not deduplicate against deleted packs: restic
// check --read-data and a restore of the file prove it did.
func TestDaemonKeepsRepositoryWarm(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	state, data := t.TempDir(), t.TempDir()
	x := make([]byte, 3<<20)
	_, _ = rand.Read(x)
	must(t, os.WriteFile(filepath.Join(data, "a"), x, 0o600))
	td := startDaemon(t, fill(warmJob, "STATE", state, "DATA", data), nil)
	repoDir, pw := filepath.Join(state, "repo"), filepath.Join(state, "pw")
	successAfter := func(what string, since time.Time) {
		td.waitFor(what, time.Minute, func(st orchestrate.Status) bool {
			r := job(st, "warm", orchestrate.KindBackup).LastRun
			return r != nil && r.OK() && r.Start.After(since)
		})
	}
	successAfter("a backup of a", time.Time{})

	// a goes; a run without it; restic drops every snapshot holding it.
	must(t, os.Remove(filepath.Join(data, "a")))
	must(t, os.WriteFile(filepath.Join(data, "b"), []byte("other content\n"), 0o600))
	successAfter("a backup without a", time.Now())
	resticRetry(t, resticBin, repoDir, pw, "forget", "--keep-last", "1", "--prune")

	// a comes back: its content must be stored again.
	must(t, os.WriteFile(filepath.Join(data, "a"), x, 0o600))
	successAfter("a backup with a again", time.Now())
	successAfter("one more", time.Now())
	_, metrics := td.get("/metrics")
	td.stop()
	if !strings.Contains(metrics, `drydock_repository_opens_total{repository="local"} 1`+"\n") {
		t.Errorf("the repository was not kept open between runs:\n%s", grep(metrics, "opens"))
	}
	if out := restic(t, resticBin, repoDir, pw, nil, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check --read-data:\n%s", out)
	}
	dst := t.TempDir()
	restic(t, resticBin, repoDir, pw, nil, "restore", "latest", "--target", dst)
	if got, err := os.ReadFile(filepath.Join(dst, data, "a")); err != nil || !bytes.Equal(got, x) {
		t.Errorf("restored a: %d bytes, %v; want the %d bytes written", len(got), err, len(x))
	}
}

// resticRetry runs restic until it gets the repository's lock (the daemon
// takes one every two seconds).
func resticRetry(t *testing.T, bin, repo, pw string, args ...string) {
	t.Helper()
	var out []byte
	var err error
	if testenv.Eventually(time.Minute, 200*time.Millisecond, func() bool {
		cmd := exec.Command(bin, append([]string{"--no-cache", "-r", repo, "--password-file", pw}, args...)...)
		out, err = cmd.CombinedOutput()
		return err == nil || !strings.Contains(string(out), "locked")
	}) && err == nil {
		return
	}
	t.Fatalf("restic %v: %v\n%s", args, err, out)
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDaemonReloadClosesRepository: runs of a job share one handle; a
// reload that keeps the repository's configuration keeps it; one that
// changes it closes it, and the next run opens the repository again;
// the shutdown closes what is open.
func TestDaemonReloadClosesRepository(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "f"), "content")
	yaml := fill(warmJob, "STATE", state, "DATA", data)
	td := startDaemon(t, yaml, nil)
	runs := func(what string, n int) {
		t.Helper()
		td.waitFor(what, time.Minute, func(st orchestrate.Status) bool {
			js := job(st, "warm", orchestrate.KindBackup)
			return js.Runs >= n && !js.Running
		})
		if js := job(td.status(), "warm", orchestrate.KindBackup); js.Failures > 0 {
			t.Fatalf("%s: %d failed runs: %s", what, js.Failures, js.LastRun.Error)
		}
	}
	handles := func(what string, opens, closes int) {
		t.Helper()
		var o, c int
		if !testenv.Eventually(30*time.Second, 50*time.Millisecond, func() bool {
			o, c = orchestrate.RepositoryHandles(td.d, "local")
			return o == opens && c == closes
		}) {
			t.Fatalf("%s: %d opens, %d closes; want %d, %d", what, o, c, opens, closes)
		}
	}
	reload := func(yaml string) {
		t.Helper()
		cfg, err := config.Parse([]byte(yaml), "test.yaml", fastSchedules(func(string) string { return "" }))
		must(t, err)
		must(t, td.d.Reload(t.Context(), cfg))
	}

	runs("two runs", 2)
	handles("two runs", 1, 0)
	reload(yaml)
	n := job(td.status(), "warm", orchestrate.KindBackup).Runs
	runs("a run after a reload without change", n+1)
	handles("a reload without change", 1, 0)

	reload(strings.Replace(yaml, "lock_wait: 1m", "lock_wait: 2m", 1))
	handles("a reload that changes the repository", 1, 1)
	n = job(td.status(), "warm", orchestrate.KindBackup).Runs
	runs("a run after the change", n+1)
	handles("a run after the change", 2, 1)
	td.stop()
	handles("the shutdown", 2, 2)
}
