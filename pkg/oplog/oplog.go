// Package oplog keeps the history of operations: every backup,
// verification, restore or other piece of work the daemon or the console
// ran, scheduled or asked for, with how it ended. It lives in one file of
// the state directory, survives restarts, is bounded, and tells
// subscribers (the console's live view) of every change.
package oplog

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Statuses of an operation.
const (
	Running = "running"
	Success = "success"
	Failure = "failure"
)

// Triggers: what started an operation.
const (
	Scheduled = "schedule"
	Manual    = "manual"
)

// maxLines bounds the log lines an operation keeps: the first ones say
// what it did, the last what went wrong; the middle is dropped.
const maxLines = 200

// Operation is one piece of work and how it went.
type Operation struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"` // backup, verify, restore, ...
	Job        string     `json:"job,omitempty"`
	Repository string     `json:"repository,omitempty"`
	Trigger    string     `json:"trigger"` // Scheduled or Manual
	Status     string     `json:"status"`  // Running, Success or Failure
	Started    time.Time  `json:"started"`
	Finished   *time.Time `json:"finished,omitempty"`
	Seconds    float64    `json:"duration_seconds,omitempty"`
	Bytes      uint64     `json:"bytes"` // read (backup), written (restore)
	Error      string     `json:"error,omitempty"`
	Log        []Line     `json:"log,omitempty"`
	// Figures a backup leaves for the console's plots.
	After *RepositoryFigures `json:"repository_figures,omitempty"`
	// Downtime is each app's time stopped (or frozen), in seconds.
	Downtime map[string]float64 `json:"downtime_seconds,omitempty"`
}

// RepositoryFigures describe the repository after an operation.
type RepositoryFigures struct {
	Bytes     int64 `json:"bytes"`
	Snapshots int   `json:"snapshots"`
}

// Line is one line of an operation's log.
type Line struct {
	Time  time.Time `json:"time"`
	Level string    `json:"level"` // info, warning, error
	Text  string    `json:"text"`
}

// Log is the history, safe for concurrent use.
type Log struct {
	path string
	max  int

	mu      sync.Mutex
	ops     []*Operation // oldest first
	byID    map[string]*Operation
	written int // records in the file, for compaction
	subs    map[chan Operation]struct{}
}

// Open reads the history at path (a missing file is an empty history)
// and keeps at most max operations. An operation that was running when
// the process that wrote it stopped is recorded as failed: nothing will
// finish it now.
func Open(path string, max int) (*Log, error) {
	l := &Log{path: path, max: max, byID: map[string]*Operation{}, subs: map[chan Operation]struct{}{}}
	if err := l.load(); err != nil {
		return nil, err
	}
	now := time.Now()
	for _, op := range l.ops {
		if op.Status == Running {
			op.Status, op.Error, op.Finished = Failure, "drydock stopped before the operation ended", &now
		}
	}
	// One record per operation from here on; the stale ones as failed.
	if err := l.compact(); err != nil {
		return nil, err
	}
	return l, nil
}

// load reads the records of the file: one JSON operation a line, the last
// record of an ID wins. A damaged line (a crash mid-write) is skipped.
func (l *Log) load() error {
	f, err := os.Open(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("operation history: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var op Operation
		if json.Unmarshal(sc.Bytes(), &op) != nil || op.ID == "" {
			continue
		}
		l.written++
		if old, ok := l.byID[op.ID]; ok {
			*old = op
			continue
		}
		l.ops = append(l.ops, &op)
		l.byID[op.ID] = &op
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("operation history %s: %w", l.path, err)
	}
	slices.SortStableFunc(l.ops, func(a, b *Operation) int { return a.Started.Compare(b.Started) })
	return nil
}

// Start records a new running operation (Kind, Job, Repository and
// Trigger set by the caller) and returns it with its ID and start time.
func (l *Log) Start(op Operation) (Operation, error) {
	op.ID, op.Started, op.Status = newID(time.Now()), time.Now(), Running
	op.Finished, op.Error = nil, ""
	l.mu.Lock()
	defer l.mu.Unlock()
	p := &op
	l.ops = append(l.ops, p)
	l.byID[op.ID] = p
	l.trim()
	l.publish(p)
	return op, l.append(p)
}

// Update changes a running operation (its bytes so far, a log line) and
// tells the subscribers; the change is written with the operation's end.
func (l *Log) Update(id string, fn func(op *Operation)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if op, ok := l.byID[id]; ok && op.Status == Running {
		fn(op)
		trimLines(op)
		l.publish(op)
	}
}

// Finish ends an operation: a failure with err, else a success. fn, if
// set, records what the operation did.
func (l *Log) Finish(id string, err error, fn func(op *Operation)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	op, ok := l.byID[id]
	if !ok {
		return fmt.Errorf("operation %s is not in the history", id)
	}
	if fn != nil {
		fn(op)
	}
	now := time.Now()
	op.Finished, op.Seconds, op.Status = &now, now.Sub(op.Started).Seconds(), Success
	if err != nil {
		op.Status, op.Error = Failure, err.Error()
	}
	trimLines(op)
	l.publish(op)
	return l.append(op)
}

// AddLine appends a line to an operation's log.
func AddLine(op *Operation, level, text string) {
	op.Log = append(op.Log, Line{Time: time.Now(), Level: level, Text: text})
}

// List returns the operations, newest first, at most limit (0: all).
func (l *Log) List(limit int) []Operation {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.ops)
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]Operation, 0, n)
	for i := len(l.ops) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, clone(l.ops[i]))
	}
	return out
}

// Get returns the operation id.
func (l *Log) Get(id string) (Operation, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	op, ok := l.byID[id]
	if !ok {
		return Operation{}, false
	}
	return clone(op), true
}

// Subscribe returns a channel that gets every operation as it starts,
// changes and ends, until ctx is done. A subscriber that does not keep up
// misses changes rather than slowing the work down; the next change of
// the same operation carries its whole state.
func (l *Log) Subscribe(ctx context.Context) <-chan Operation {
	ch := make(chan Operation, 64)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	go func() {
		<-ctx.Done()
		l.mu.Lock()
		delete(l.subs, ch)
		close(ch)
		l.mu.Unlock()
	}()
	return ch
}

// publish sends op to every subscriber that has room. l.mu is held.
func (l *Log) publish(op *Operation) {
	for ch := range l.subs {
		select {
		case ch <- clone(op):
		default:
		}
	}
}

// trim drops the oldest finished operations beyond max. l.mu is held.
func (l *Log) trim() {
	for len(l.ops) > l.max {
		i := slices.IndexFunc(l.ops, func(op *Operation) bool { return op.Status != Running })
		if i < 0 {
			return
		}
		delete(l.byID, l.ops[i].ID)
		l.ops = slices.Delete(l.ops, i, i+1)
	}
}

// append writes op's record, and rewrites the file once it holds more
// than twice the records it keeps. l.mu is held.
func (l *Log) append(op *Operation) error {
	if l.written >= 2*l.max {
		return l.compact()
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("operation history: %w", err)
	}
	b, err := json.Marshal(op)
	if err == nil {
		_, err = f.Write(append(b, '\n'))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("operation history %s: %w", l.path, err)
	}
	l.written++
	return nil
}

// compact writes the operations kept, one record each, to a new file that
// replaces the old one. l.mu is held, or l is not shared yet.
func (l *Log) compact() error {
	l.trim()
	tmp, err := os.CreateTemp(filepath.Dir(l.path), ".oplog-*")
	if err != nil {
		return fmt.Errorf("operation history: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	for _, op := range l.ops {
		if err = enc.Encode(op); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), l.path)
	}
	if err != nil {
		return fmt.Errorf("operation history %s: %w", l.path, err)
	}
	l.written = len(l.ops)
	return nil
}

// trimLines keeps the first and the last lines of a long log.
func trimLines(op *Operation) {
	if len(op.Log) <= maxLines {
		return
	}
	head, tail := op.Log[:maxLines/2], op.Log[len(op.Log)-maxLines/2+1:]
	gap := Line{Time: tail[0].Time, Level: "info", Text: fmt.Sprintf("(%d lines left out)", len(op.Log)-maxLines+1)}
	op.Log = append(append(slices.Clone(head), gap), tail...)
}

func clone(op *Operation) Operation {
	c := *op
	c.Log = slices.Clone(op.Log)
	c.Downtime = maps.Clone(op.Downtime)
	if op.After != nil {
		a := *op.After
		c.After = &a
	}
	if op.Finished != nil {
		f := *op.Finished
		c.Finished = &f
	}
	return c
}

// newID is sortable by start and unique: the time to the second and 32
// random bits.
func newID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}
