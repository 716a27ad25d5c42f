package repo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Lock timing, as restic's (docs/format.md §9).
const (
	lockRefresh     = 5 * time.Minute
	lockStaleAge    = 30 * time.Minute
	lockRecheckWait = 200 * time.Millisecond
	// lockLostAfter: restic cancels a command whose lock was not refreshed
	// for this long, because another host may consider it stale soon.
	lockLostAfter = lockStaleAge - lockStaleAge/4
)

// ErrLocked is returned when a conflicting lock exists.
var ErrLocked = errors.New("repository is locked")

// LockedError names the lock that is in the way.
type LockedError struct {
	ID          format.ID
	Lock        format.Lock
	Stale       bool   // by restic's rule (see isStale)
	StaleReason string // why, when Stale
}

func (e *LockedError) Error() string {
	kind := "non-exclusive"
	if e.Lock.Exclusive {
		kind = "exclusive"
	}
	age := time.Since(e.Lock.Time).Round(time.Second)
	msg := fmt.Sprintf("repository is already locked %s by PID %d on host %s by user %s (created %s, %v ago, lock %s)",
		kind, e.Lock.PID, e.Lock.Hostname, e.Lock.Username, e.Lock.Time.Format(time.RFC3339), age, e.ID.Str())
	if e.Stale {
		return msg + "; the lock is stale (" + e.StaleReason + "): remove it with 'drydock unlock' (or 'restic unlock')"
	}
	return msg + "; if that process is still running, wait for it (--retry-lock) or stop it; " +
		"if you are sure no other process uses the repository, remove the lock with 'drydock unlock --remove-all'"
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Lock is a lock file this process holds and keeps fresh, for as long as
// the function given to WithLock runs.
type Lock struct {
	r        *Repository
	doc      format.Lock
	mu       sync.Mutex // id changes at each refresh
	id       format.ID
	leftover []format.ID // earlier lock files a refresh could not remove
	cancel   context.CancelCauseFunc
	done     chan struct{} // closed when refreshLoop returns
	checked  chan struct{} // closed when the second check is done
	checkErr error         // its result, set before checked is closed
	asked    atomic.Bool   // Confirmed was called: the work may rely on the check
}

// ErrLockGone: a lock this process holds was removed by someone else
// (restic unlock on another host that took it for stale), or another lock
// appeared beside our exclusive one.
var ErrLockGone = errors.New("repository lock lost")

// LockMode says how WithLock locks the repository.
type LockMode struct {
	// Exclusive: no other lock may exist (prune, forget, check, key
	// changes); otherwise the lock is shared (backup, restore, reading).
	Exclusive bool
	// Early starts the work as soon as our lock file is written, before
	// the protocol's second check, so that it uses the 200 ms wait.
	// Nothing that makes the repository refer to that work (a snapshot)
	// may be written before Lock.Confirmed returns nil: if the check finds
	// a conflicting lock, the lock's context is cancelled, the work is
	// discarded and done once more under a lock taken afresh, whose first
	// check now sees that lock and waits for it as Options.LockRetry
	// allows. Reading and deduplicating against the index in the wait is
	// safe for the reason Load gives; so is writing packs and index files,
	// which refer only to what they hold. If the work succeeds without
	// calling Confirmed, it committed nothing (a backup of an unchanged
	// tree that writes no snapshot): the lock is released at once, without
	// waiting for the check.
	Early bool
	// Load, if set, runs in the protocol's wait, before the work: reading
	// the index or snapshots there is safe, because once our lock file
	// exists an exclusive locker (prune) either existed already and makes
	// our second check fail, or sees our lock and gives up before deleting
	// anything. If the lock is not obtained, what Load read must be
	// discarded; if Load fails, no lock is kept and the work does not run.
	// Without Early, a conflict found by the second check starts the whole
	// protocol (and Load) again, as Options.LockRetry allows.
	Load func(ctx context.Context) error
	// Deletes says that fn deletes files other than locks (forget, prune,
	// tag, rewrite --forget, repair index, key remove). Right after the
	// lock is taken the storage is asked whether this credential may
	// delete (backend.CheckDeletes): on an append-only host fn does not run
	// and WithLock returns an error wrapping backend.ErrDeleteRefused, with
	// nothing changed but our lock file, which is released as usual.
	Deletes bool
	// NoRecheckWait runs the second check as soon as our lock file is
	// written instead of 200 ms later. Only for a shared lock whose work
	// reads nothing but snapshot files and trees and writes nothing
	// (drydock snapshots, ls, find). The wait
	// covers storage whose listings lag behind its writes: where a
	// listing shows every file whose upload has returned (local, SFTP
	// and REST servers on a file system, S3 as AWS and MinIO are), two
	// checks around our write already see any lock written before ours,
	// and a locker that comes after ours sees ours in its own check.
	// Where listings lag, what the wait would have caught is a prune or
	// forget that had begun just before: such a listing of snapshot files
	// may then name one that is being forgotten, as it may when the
	// forget begins a moment after the listing ends, and a tree whose
	// pack a prune deletes is an error naming it (every tree is checked
	// against its ID, so never a wrong listing). Nothing is written but
	// our lock, so nothing else can come of it.
	NoRecheckWait bool
}

// WithLock locks the repository the way restic does (check for
// conflicting locks, write ours, wait 200 ms, check again) and runs fn
// under the lock; mode says which lock, whether fn starts in the wait and
// what is loaded there. fn's context is cancelled if the lock cannot be
// refreshed for too long or, with Early, if the second check fails: work
// done under the lock must use it. The lock is released when fn returns,
// a panic included: a lock left behind would be refreshed for as long as
// the process lives. A lock file that cannot be removed then is logged and
// removed by the repository's next WithLock (Options.LeftLocks).
//
// With Options.LockRetry set, a conflicting lock is waited for: the
// protocol is tried again after waits that start at LockRetry/16 (at most
// 5 s) and double up to 60 s, like restic's --retry-lock, until LockRetry
// has passed or ctx is done. Then the last LockedError is returned. Other
// errors are returned at once. When the second check of an Early lock
// fails, its error is returned rather than fn's, which is then only its
// consequence.
func (r *Repository) WithLock(ctx context.Context, mode LockMode, fn func(ctx context.Context, l *Lock) error) error {
	r.removeLeftLocks(ctx)
	if mode.Deletes {
		fn = r.deletesChecked(fn)
	}
	if !mode.Early {
		return r.lockedAfterCheck(ctx, mode, fn)
	}
	again, err := r.lockedEarly(ctx, mode, fn)
	if !again {
		return err
	}
	r.opts.Logger.Info("another process locked the repository at the same moment; starting again", "err", err)
	_, err = r.lockedEarly(ctx, mode, fn)
	return err
}

// lockedAfterCheck runs fn once the protocol has completed.
func (r *Repository) lockedAfterCheck(ctx context.Context, mode LockMode, fn func(ctx context.Context, l *Lock) error) error {
	l, lctx, err := r.retryLocked(ctx, func() (*Lock, context.Context, error) { return r.lockWaiting(ctx, mode) })
	if err != nil {
		return err
	}
	defer l.release(ctx)
	return fn(lctx, l)
}

// lockedEarly is one attempt of an Early WithLock. again says that the
// second check found a conflicting lock: fn's work was discarded and is
// worth doing once more.
func (r *Repository) lockedEarly(ctx context.Context, mode LockMode, fn func(ctx context.Context, l *Lock) error) (again bool, err error) {
	l, lctx, err := r.retryLocked(ctx, func() (*Lock, context.Context, error) { return r.beginLock(ctx, mode) })
	if err != nil {
		return false, err
	}
	defer l.release(ctx)
	if mode.Load != nil {
		err = mode.Load(lctx)
	}
	if err == nil {
		err = fn(lctx, l)
	}
	if err == nil && !l.asked.Load() {
		return false, nil
	}
	if cerr := l.Confirmed(ctx); cerr != nil {
		return errors.As(cerr, new(*LockedError)), cerr
	}
	return false, err
}

// retryLocked runs attempt until it succeeds, fails with anything but a
// LockedError, or Options.LockRetry has passed.
func (r *Repository) retryLocked(ctx context.Context, attempt func() (*Lock, context.Context, error)) (*Lock, context.Context, error) {
	deadline := time.Now().Add(r.opts.LockRetry)
	wait := firstLockRetryWait(r.opts.LockRetry)
	for {
		l, lctx, err := attempt()
		var locked *LockedError
		if err == nil || !errors.As(err, &locked) {
			return l, lctx, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil, err
		}
		d := min(wait, left)
		r.opts.Logger.Info("repository is locked, waiting", "lock", locked.ID.Str(),
			"holder", fmt.Sprintf("PID %d on %s", locked.Lock.PID, locked.Lock.Hostname), "retry_in", d)
		if serr := sleep(ctx, d); serr != nil {
			return nil, nil, fmt.Errorf("%w; stopped waiting: %w", err, serr)
		}
		wait = min(2*wait, lockRetryMaxWait)
	}
}

// Waits between lock attempts: restic's --retry-lock waits 5 s, doubling
// up to 60 s. Short budgets (tests, interactive use) start shorter so that
// they get more than one or two attempts.
const (
	lockRetryFirstWait = 5 * time.Second
	lockRetryMaxWait   = 60 * time.Second
	lockRetryMinWait   = 10 * time.Millisecond
)

func firstLockRetryWait(budget time.Duration) time.Duration {
	return max(lockRetryMinWait, min(lockRetryFirstWait, budget/16))
}

// lockWaiting runs restic's lock protocol once, with mode.Load in its
// wait, and returns once the second check has passed.
func (r *Repository) lockWaiting(ctx context.Context, mode LockMode) (*Lock, context.Context, error) {
	l, lctx, err := r.beginLock(ctx, mode)
	if err != nil {
		return nil, nil, err
	}
	kept := false
	defer func() { // on every other way out, a panic of Load's included
		if !kept {
			l.release(ctx)
		}
	}()
	var lerr error
	if mode.Load != nil {
		lerr = mode.Load(lctx)
	}
	// The check's failure comes first: it is why Load was cancelled.
	if err := cmp.Or(l.Confirmed(ctx), lerr); err != nil {
		return nil, nil, err
	}
	kept = true
	return l, lctx, nil
}

// beginLock checks for conflicting locks, writes ours and starts keeping
// it fresh; the second check runs lockRecheckWait later (secondCheck),
// or at once with mode.NoRecheckWait.
func (r *Repository) beginLock(ctx context.Context, mode LockMode) (*Lock, context.Context, error) {
	doc := r.newLockDoc(mode.Exclusive)
	if err := r.checkLocks(ctx, doc, format.ID{}); err != nil {
		return nil, nil, err
	}
	id, err := r.saveLock(ctx, doc)
	if err != nil {
		r.dropLock(ctx, id) // the upload may have succeeded before it failed
		return nil, nil, err
	}
	lctx, cancel := context.WithCancelCause(ctx)
	l := &Lock{r: r, doc: doc, id: id, cancel: cancel, done: make(chan struct{}), checked: make(chan struct{})}
	go l.refreshLoop(lctx)
	wait := lockRecheckWait
	if mode.NoRecheckWait && !mode.Exclusive {
		wait = 0
	}
	go l.secondCheck(lctx, wait)
	return l, lctx, nil
}

func (r *Repository) newLockDoc(exclusive bool) format.Lock {
	host, _ := os.Hostname()
	doc := format.Lock{Time: time.Now(), Exclusive: exclusive, Hostname: host, Username: currentUser(), PID: os.Getpid(),
		PIDNamespace: pidNamespace(), BootID: bootID()}
	if u, err := user.Current(); err == nil {
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		doc.UID, doc.GID = uint32(uid), uint32(gid)
	}
	if o := r.opts.LockOwner; o != nil {
		o.Mark(&doc)
	}
	return doc
}

// secondCheck looks for conflicting locks again once wait has passed: a
// lock written at the same moment as ours by another process, which
// either check alone could miss. If it finds one (or cannot look), the
// lock's context is cancelled with the reason.
func (l *Lock) secondCheck(ctx context.Context, wait time.Duration) {
	defer close(l.checked)
	err := sleep(ctx, wait)
	if err != nil {
		err = context.Cause(ctx)
	} else {
		l.mu.Lock()
		err = l.r.checkLocks(ctx, l.doc, l.id)
		l.mu.Unlock()
	}
	l.checkErr = err
	if err != nil {
		l.cancel(err)
	}
}

// Confirmed waits for the lock protocol's second check and returns its
// result. Only an Early lock can be unconfirmed while its work runs.
func (l *Lock) Confirmed(ctx context.Context) error {
	l.asked.Store(true)
	select {
	case <-l.checked:
		return l.checkErr
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// checkLocks fails if a lock other than ours conflicts with doc. Locks
// whose holder is provably gone are removed on the way (readLocks),
// conflicting or not: a dead shared lock blocks everyone's prune too.
func (r *Repository) checkLocks(ctx context.Context, doc format.Lock, ours format.ID) error {
	locks, _, err := r.readLocks(ctx, ours)
	if err != nil {
		return err
	}
	for _, l := range locks {
		if l.err != nil {
			return fmt.Errorf("lock %v is unreadable (%w); if no other process uses the repository, remove it with 'drydock unlock --remove-all'", l.id.Str(), l.err)
		}
		if doc.Exclusive || l.doc.Exclusive {
			reason := staleness(*l.doc)
			return &LockedError{ID: l.id, Lock: *l.doc, Stale: reason != "", StaleReason: reason}
		}
	}
	return nil
}

// isStale applies restic's rule, which the README documents: older than
// 30 minutes, or made on this host by a process that no longer exists.
// Stale locks still block, as in restic; 'drydock unlock' removes them.
func isStale(l format.Lock) bool { return staleness(l) != "" }

// staleness says why l is stale by restic's rule, "" if it is not.
//
// A PID means nothing in another PID namespace (a drydock in a container
// with the host's network has the host's name), nor on another machine of
// the same name or in an earlier boot. drydock's locks say which namespace
// and which boot they come from, and one of another is stale only by age
// (it is refreshed every 5 minutes while its process lives). restic's
// locks carry neither; for them the PID probe decides, as in restic.
func staleness(l format.Lock) string {
	if age := time.Since(l.Time); age > lockStaleAge {
		return fmt.Sprintf("not refreshed for %v, more than 30 minutes", age.Round(time.Second))
	}
	host, _ := os.Hostname()
	if l.Hostname != host || l.PID <= 0 {
		return ""
	}
	if l.PIDNamespace != 0 && l.PIDNamespace != pidNamespace() || l.BootID != "" && l.BootID != bootID() {
		return ""
	}
	if !pidGone(l.PID) {
		return ""
	}
	return fmt.Sprintf("its process, PID %d on this host, no longer runs", l.PID)
}

// processGone says whether l's process is provably gone: a drydock lock
// made in this boot of this machine, in this PID namespace, by a PID that
// no longer exists. Such a lock is removed by the next lock taken; a lock
// that lacks either mark (restic's) is only ever called stale.
func processGone(l format.Lock) bool {
	return l.BootID != "" && l.BootID == bootID() && l.PIDNamespace != 0 && l.PIDNamespace == pidNamespace() &&
		l.PID > 0 && pidGone(l.PID)
}

// pidGone probes pid with signal 0, which checks for existence without
// disturbing the process. A PID given out again since reads as alive:
// the lock is then kept, the safe mistake.
func pidGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// pidNamespace returns the inode of this process's PID namespace, 0 where
// it cannot be told.
func pidNamespace() uint64 {
	fi, err := os.Stat("/proc/self/ns/pid")
	if err != nil {
		return 0
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// bootID returns the kernel's boot ID, "" where it cannot be read.
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// saveLock writes a lock file. On error it still returns the ID the file
// would have, which may exist anyway.
func (r *Repository) saveLock(ctx context.Context, doc format.Lock) (format.ID, error) {
	raw, err := format.EncodeLock(&doc)
	if err != nil {
		return format.ID{}, err
	}
	id, err := r.SaveUnpacked(ctx, backend.LockFile, raw)
	if err != nil {
		return id, fmt.Errorf("create lock: %w", err)
	}
	return id, nil
}

// refreshLoop replaces the lock file every lockRefresh; new file first, then
// the old one is removed, so the repository is never unlocked in between.
func (l *Lock) refreshLoop(ctx context.Context) {
	defer close(l.done)
	// Wall-clock time (Round(0) drops the monotonic reading, which stands
	// still while the machine sleeps): other hosts judge staleness by it.
	last := time.Now().Round(0)
	t := time.NewTicker(lockRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := l.refresh(ctx); err != nil {
			l.r.opts.Logger.Warn("cannot refresh lock", "err", err)
			if time.Since(last) > lockLostAfter {
				l.cancel(fmt.Errorf("lock lost: not refreshed since %s: %w", last.Format(time.RFC3339), err))
				return
			}
			continue
		}
		last = time.Now().Round(0)
	}
}

// refresh writes a new lock file and removes the previous one.
func (l *Lock) refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	doc := l.doc
	doc.Time = time.Now()
	id, err := l.r.saveLock(ctx, doc)
	if err != nil {
		if !id.IsNull() {
			l.leftover = append(l.leftover, id) // it may exist: removed at unlock
		}
		return err
	}
	if err := l.r.removeLock(ctx, l.id); err != nil {
		l.r.opts.Logger.Warn("cannot remove the previous lock file; trying again at unlock", "lock", l.id.Str(), "err", err)
		l.leftover = append(l.leftover, l.id)
	}
	l.id = id
	return nil
}

// CheckExclusive verifies, against storage, that l is an exclusive lock
// this process still holds: its lock file exists and no other does. Prune
// calls it before deleting anything, because a lock can be lost without
// this process noticing (a long suspend, after which another host removed
// it as stale and started a backup).
func (l *Lock) CheckExclusive(ctx context.Context) error {
	if !l.doc.Exclusive {
		return fmt.Errorf("%w: this process holds no exclusive lock, only a shared one", ErrLockGone)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ids, err := l.r.List(ctx, backend.LockFile)
	if err != nil {
		return fmt.Errorf("list locks: %w", err)
	}
	found := false
	for _, id := range ids {
		if id == l.id {
			found = true
			continue
		}
		if slices.Contains(l.leftover, id) {
			continue // ours, from a refresh that could not remove it
		}
		return fmt.Errorf("%w: lock %v appeared beside our exclusive lock %v", ErrLockGone, id.Str(), l.id.Str())
	}
	if !found {
		return fmt.Errorf("%w: our exclusive lock %v was removed (restic unlock?)", ErrLockGone, l.id.Str())
	}
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deletesChecked returns fn preceded by the check of LockMode.Deletes.
func (r *Repository) deletesChecked(fn func(ctx context.Context, l *Lock) error) func(ctx context.Context, l *Lock) error {
	return func(ctx context.Context, l *Lock) error {
		if err := backend.CheckDeletes(ctx, r.be); err != nil {
			return err
		}
		return fn(ctx, l)
	}
}
