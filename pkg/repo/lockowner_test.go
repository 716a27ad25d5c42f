//go:build linux

package repo_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/lockowner"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/internal/testkit/testproc"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Environment of TestHelperHoldLock, which another test runs as a process.
const (
	helperRepo  = "DRYDOCK_TEST_LOCK_REPO"
	helperState = "DRYDOCK_TEST_LOCK_STATE"
)

// TestHelperHoldLock is not a test: run as a child process, it opens the
// repository with a lock owner in the given state directory, takes a
// shared lock, prints "locked ID" and holds it until stdin closes.
func TestHelperHoldLock(t *testing.T) {
	dir, state := os.Getenv(helperRepo), os.Getenv(helperState)
	if dir == "" {
		t.Skip("run by the lock owner tests")
	}
	o, err := lockowner.Open(state, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	r := openWithOwner(t, dir, o, nil)
	err = r.WithLock(t.Context(), repo.LockMode{}, func(context.Context, *repo.Lock) error {
		os.Stdout.WriteString("locked\n")
		_, _ = io.Copy(io.Discard, os.Stdin)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// holder is a TestHelperHoldLock process.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func startHolder(t *testing.T, repoDir, state string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperRepo+"="+repoDir, helperState+"="+state)
	cmd.Stderr = os.Stderr
	testproc.DieWithParent(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin}
	t.Cleanup(h.kill)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("lock holder: %q, %v", line, err)
	}
	return h
}

func (h *holder) kill() {
	_ = h.cmd.Process.Kill()
	_ = h.cmd.Wait()
}

func openWithOwner(t *testing.T, dir string, o repo.LockOwner, log *slog.Logger) *repo.Repository {
	t.Helper()
	be, err := local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), be, repotest.Password, repo.Options{LockOwner: o, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return r
}

func openOwner(t *testing.T, state string) *lockowner.Owner {
	t.Helper()
	o, err := lockowner.Open(state, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// TestDeadOwnersLockRemoved: a drydock of this installation (same state
// directory) that holds a lock is left alone while it lives, even though
// restic's rule would not protect it in a container; once it is killed,
// the next exclusive lock removes its lock at once, saying so.
func TestDeadOwnersLockRemoved(t *testing.T) {
	_, dir := repotest.New(t, 0, repo.Options{})
	state := t.TempDir()
	h := startHolder(t, dir, state)
	var logs testenv.SyncBuffer
	r := openWithOwner(t, dir, openOwner(t, state), slog.New(slog.NewTextHandler(&logs, nil)))
	held := lockIDs(t, r)
	if len(held) != 1 {
		t.Fatalf("locks %v, want the holder's one", held)
	}

	// Alive: its lock blocks, and neither unlock nor the daemon's sweep
	// removes it.
	if err := r.WithLock(t.Context(), repo.LockMode{Exclusive: true}, noWork); !errors.As(err, new(*repo.LockedError)) {
		t.Fatalf("exclusive lock beside a live drydock's: %v, want a LockedError", err)
	}
	if n, err := r.RemoveDeadLocks(t.Context()); n != 0 || err != nil {
		t.Fatalf("RemoveDeadLocks beside a live drydock: %d, %v", n, err)
	}
	if rep, err := r.RemoveStaleLocks(t.Context(), false); rep.Removed != 0 || rep.Kept != 1 || err != nil {
		t.Fatalf("unlock beside a live drydock: %+v, %v", rep, err)
	}
	if got := lockIDs(t, r); !slices.Equal(got, held) {
		t.Fatalf("locks %v, want the live one %v kept", got, held)
	}

	h.kill()
	err := r.WithLock(t.Context(), repo.LockMode{Exclusive: true}, func(context.Context, *repo.Lock) error {
		if got := lockIDs(t, r); len(got) != 1 || got[0] == held[0] {
			t.Errorf("locks %v: the dead holder's %v is still there", got, held[0].Str())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("exclusive lock after the holder was killed: %v", err)
	}
	if s := logs.String(); !strings.Contains(s, "no longer running") || !strings.Contains(s, held[0].Str()) {
		t.Errorf("no log line naming the removed lock %s:\n%s", held[0].Str(), s)
	}
}

// TestOtherInstallationsDeadLockRemoved: a killed drydock of another state
// directory, on this machine and in this PID namespace, is provably gone
// by its PID: the next lock removes its lock, saying why.
func TestOtherInstallationsDeadLockRemoved(t *testing.T) {
	_, dir := repotest.New(t, 0, repo.Options{})
	h := startHolder(t, dir, t.TempDir())
	var logs testenv.SyncBuffer
	r := openWithOwner(t, dir, openOwner(t, t.TempDir()), slog.New(slog.NewTextHandler(&logs, nil)))
	held := lockIDs(t, r)
	if err := r.WithLock(t.Context(), repo.LockMode{Exclusive: true}, noWork); !errors.As(err, new(*repo.LockedError)) {
		t.Fatalf("exclusive lock beside another installation's live drydock: %v, want a LockedError", err)
	}
	h.kill()
	if err := r.WithLock(t.Context(), repo.LockMode{Exclusive: true}, noWork); err != nil {
		t.Fatalf("exclusive lock after another installation's drydock was killed: %v", err)
	}
	if s := logs.String(); !strings.Contains(s, "no longer runs") || !strings.Contains(s, held[0].Str()) {
		t.Errorf("no log line naming the removed lock %s and why:\n%s", held[0].Str(), s)
	}
}

// TestOwnedLockCarriesIDs: a lock written with an owner names its
// installation and process; restic's fields are unchanged.
func TestOwnedLockCarriesIDs(t *testing.T) {
	_, dir := repotest.New(t, 0, repo.Options{})
	state := t.TempDir()
	o := openOwner(t, state)
	r := openWithOwner(t, dir, o, nil)
	repotest.HoldLock(t, r, false)
	doc := loadLock(t, r, lockIDs(t, r)[0])
	inst, err := os.ReadFile(filepath.Join(state, lockowner.InstallationFile))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Installation != strings.TrimSpace(string(inst)) || doc.Process != o.Process() || doc.PID != os.Getpid() {
		t.Errorf("lock %+v: want installation %s, process %s, pid %d", doc, inst, o.Process(), os.Getpid())
	}
}

func loadLock(t *testing.T, r *repo.Repository, id format.ID) *format.Lock {
	t.Helper()
	raw, err := r.LoadUnpacked(t.Context(), backend.LockFile, id)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := format.DecodeLock(raw)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
