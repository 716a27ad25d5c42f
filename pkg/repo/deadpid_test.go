//go:build linux

package repo_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestDeadProcessLockRules: a lock of this host whose PID no longer
// exists is removed by the next lock only where the PID is known to be
// ours to judge: a drydock lock of this boot and PID namespace. One of
// another boot (another machine of the same name, or before a reboot) or
// another namespace (a container with the host's network) is kept and not
// even stale but by age; restic's lock, which records neither, is kept and
// called stale as restic calls it. Every stale verdict names its reason.
func TestDeadProcessLockRules(t *testing.T) {
	dead := deadPID(t)
	ours := ownLockDoc(t)
	for _, tc := range []struct {
		name    string
		edit    func(*format.Lock)
		removed bool
		stale   string // substring of the reason; "" for not stale
	}{
		{"this boot and namespace", func(*format.Lock) {}, true, ""},
		{"another boot", func(l *format.Lock) { l.BootID = "0f6e2b1c-0000-4000-8000-000000000000" }, false, ""},
		{"another PID namespace", func(l *format.Lock) { l.PIDNamespace++ }, false, ""},
		{"restic's, without either mark", func(l *format.Lock) { l.BootID, l.PIDNamespace = "", 0 }, false, "no longer runs"},
		{"another boot, 40 minutes old", func(l *format.Lock) {
			l.BootID, l.Time = "0f6e2b1c-0000-4000-8000-000000000000", time.Now().Add(-40*time.Minute)
		}, false, "more than 30 minutes"},
		{"another host", func(l *format.Lock) { l.Hostname += "-other"; l.BootID, l.PIDNamespace = "", 0 }, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := repotest.New(t, 0, repo.Options{})
			doc := ours
			doc.PID = dead
			tc.edit(&doc)
			raw, err := format.EncodeLock(&doc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.SaveUnpacked(t.Context(), backend.LockFile, raw); err != nil {
				t.Fatal(err)
			}
			err = r.WithLock(t.Context(), repo.LockMode{Exclusive: true}, noWork)
			var locked *repo.LockedError
			switch {
			case tc.removed && err != nil:
				t.Fatalf("lock beside a provably dead one: %v, want it removed", err)
			case tc.removed:
				if n := len(lockIDs(t, r)); n != 0 {
					t.Errorf("%d lock files left, want the dead one gone", n)
				}
			case !errors.As(err, &locked):
				t.Fatalf("lock beside one not ours to judge: %v, want a LockedError", err)
			case locked.Stale != (tc.stale != "") || !strings.Contains(locked.StaleReason, tc.stale):
				t.Errorf("stale %v, reason %q; want stale %v, reason with %q", locked.Stale, locked.StaleReason, tc.stale != "", tc.stale)
			case tc.stale != "" && !strings.Contains(err.Error(), locked.StaleReason):
				t.Errorf("message %q does not give the reason %q", err, locked.StaleReason)
			}
		})
	}
}

// ownLockDoc returns the lock this process writes, as stored.
func ownLockDoc(t *testing.T) format.Lock {
	t.Helper()
	r, _ := repotest.New(t, 0, repo.Options{})
	repotest.HoldLock(t, r, false)
	ids := lockIDs(t, r)
	raw, err := r.LoadUnpacked(t.Context(), backend.LockFile, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	doc, err := format.DecodeLock(raw)
	if err != nil {
		t.Fatal(err)
	}
	if doc.BootID == "" || doc.PIDNamespace == 0 {
		t.Fatalf("own lock %+v has no boot ID or PID namespace", doc)
	}
	host, _ := os.Hostname()
	if doc.Hostname != host {
		t.Fatalf("own lock's host %q, want %q", doc.Hostname, host)
	}
	return *doc
}
