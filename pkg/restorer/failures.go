package restorer

import (
	"errors"
	"fmt"
	"sync"

	"github.com/drydock-backup/drydock/pkg/fsnode"
)

// ErrIncomplete is wrapped by the error of a restore that finished but
// could not restore some entries fully; each was reported as a Failure.
var ErrIncomplete = errors.New("restore incomplete")

// PartialSuffix is appended to the name of a file whose content could not
// be restored fully: what could be restored is kept under that name (mode
// 0600, no other metadata), so that no file holds wrong content under its
// real name.
const PartialSuffix = ".drydock-partial"

// Failure is an entry the restore could not restore fully, and why.
type Failure struct {
	Path string // in the snapshot, e.g. "/data/db/base"
	Err  error
}

func (f Failure) Error() string { return fmt.Sprintf("%s: %v", f.Path, f.Err) }

func (f Failure) Unwrap() error { return f.Err }

// IncompleteError is the error of a restore that skipped or could not
// finish some entries. It holds the first failures; all of them were
// passed to Options.Failed as they happened.
type IncompleteError struct {
	Count int
	First []Failure
}

// keptFailures is how many failures an IncompleteError holds.
const keptFailures = 20

func (e *IncompleteError) Error() string {
	if e.Count == 1 {
		return fmt.Sprintf("1 entry could not be restored: %v", e.First[0])
	}
	return fmt.Sprintf("%d entries could not be restored, the first: %v", e.Count, e.First[0])
}

// Unwrap lets errors.Is find ErrIncomplete and the causes of the failures
// it holds.
func (e *IncompleteError) Unwrap() []error {
	errs := []error{ErrIncomplete}
	for _, f := range e.First {
		errs = append(errs, f)
	}
	return errs
}

// failures collects what a restore could not do, from all its goroutines.
type failures struct {
	report   func(Failure)
	warned   func(Failure) // called like report
	reportMu sync.Mutex    // report and warned are called one at a time
	mu       sync.Mutex
	err      IncompleteError
	paths    map[string]bool // rel paths that failed, for hardlinks to them
}

// add reports that rel could not be restored: hardlinks to it are not made.
func (fs *failures) add(rel string, err error) { fs.record(rel, err, true) }

// note reports a failure of rel that leaves its content right, so that
// hardlinks to it are still made.
func (fs *failures) note(rel string, err error) { fs.record(rel, err, false) }

func (fs *failures) record(rel string, err error, wrong bool) {
	f := Failure{Path: "/" + rel, Err: err}
	fs.mu.Lock()
	fs.err.Count++
	if len(fs.err.First) < keptFailures {
		fs.err.First = append(fs.err.First, f)
	}
	if fs.paths == nil {
		fs.paths = map[string]bool{}
	}
	if wrong {
		fs.paths[rel] = true
	}
	fs.mu.Unlock()
	if fs.report != nil {
		fs.reportMu.Lock()
		fs.report(f)
		fs.reportMu.Unlock()
	}
}

func (fs *failures) count() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.err.Count
}

func (fs *failures) failed(rel string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.paths[rel]
}

// result is nil or the *IncompleteError.
func (fs *failures) result() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.err.Count == 0 {
		return nil
	}
	e := fs.err
	return &e
}

// metadata returns err, the result of applying rel's metadata, or nil if
// err only says that xattrs a non-root user may not set were not set: rel
// is whole, so that is a warning, once per entry, and rel keeps its name.
func (fs *failures) metadata(rel string, err error) error {
	var denied *fsnode.XattrsNotPermittedError
	if !errors.As(err, &denied) {
		return err
	}
	fs.reportMu.Lock()
	fs.warned(Failure{Path: "/" + rel, Err: denied})
	fs.reportMu.Unlock()
	return nil
}
