package orchestrate

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/oplog"
)

// drillBook knows which apps a restore drill runs for now, by a verify
// run or DrillApp, and the last drill of each app DrillApp ran (a verify
// run's drills are in its task's last run). The zero value is ready.
type drillBook struct {
	mu      sync.Mutex
	running map[string]int
	manual  map[string]manualDrill
}

// manualDrill is a drill DrillApp ran, of job's snapshot, ended at end.
type manualDrill struct {
	job string
	end time.Time
	dr  DrillResult
}

// begin counts a drill of app as running until the returned func is
// called. Drills of one app may overlap (a verify run's and one asked
// for): each works on scratch copies of its own.
func (b *drillBook) begin(app string) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.enter(app)
}

// claim is begin for a drill asked for, refused while one of app runs.
func (b *drillBook) claim(app string) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running[app] > 0 {
		return nil, fmt.Errorf("%w: app %s (see its operation in the history)", ErrDrillRunning, app)
	}
	return b.enter(app), nil
}

// enter counts a drill of app in; b.mu is held.
func (b *drillBook) enter(app string) func() {
	if b.running == nil {
		b.running = map[string]int{}
	}
	b.running[app]++
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.running[app]--; b.running[app] <= 0 {
				delete(b.running, app)
			}
		})
	}
}

// record keeps dr as the last drill DrillApp ran of its app.
func (b *drillBook) record(job string, end time.Time, dr DrillResult) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.manual == nil {
		b.manual = map[string]manualDrill{}
	}
	b.manual[dr.App] = manualDrill{job: job, end: end, dr: dr}
}

// last is the last drill DrillApp ran of app, or nil.
func (b *drillBook) last(app string) *console.Drill {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.manual[app]
	if !ok {
		return nil
	}
	return &console.Drill{Time: m.end, Passed: m.dr.Passed, Seconds: m.dr.Seconds, Snapshot: m.dr.Snapshot, Job: m.job, Error: m.dr.Error}
}

// newerDrill is the later of two drills, either of which may be nil.
func newerDrill(a, b *console.Drill) *console.Drill {
	if a == nil || (b != nil && b.Time.After(a.Time)) {
		return b
	}
	return a
}

// operationLogger logs to the daemon's log and, from level info up, to
// the log lines of operation id as they come, so that the console shows
// a drill's progress live.
func (d *Daemon) operationLogger(id string) *slog.Logger {
	if d.history == nil || id == "" {
		return d.log
	}
	return slog.New(&operationHandler{next: d.log.Handler(), h: d.history, id: id})
}

// operationHandler is operationLogger's handler. Groups are flattened:
// a line names each attribute by its key alone.
type operationHandler struct {
	next  slog.Handler
	h     *oplog.Log
	id    string
	attrs []slog.Attr
}

func (o *operationHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || o.next.Enabled(ctx, l)
}

func (o *operationHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelInfo {
		o.h.Update(o.id, func(op *oplog.Operation) { oplog.AddLine(op, lineLevel(r.Level), o.text(r)) })
	}
	if o.next.Enabled(ctx, r.Level) {
		return o.next.Handle(ctx, r)
	}
	return nil
}

func (o *operationHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *o
	c.next = o.next.WithAttrs(attrs)
	c.attrs = append(append([]slog.Attr(nil), o.attrs...), attrs...)
	return &c
}

func (o *operationHandler) WithGroup(name string) slog.Handler {
	c := *o
	c.next = o.next.WithGroup(name)
	return &c
}

// text is the record as a line: its message, then key=value.
func (o *operationHandler) text(r slog.Record) string {
	var b strings.Builder
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Resolve())
		return true
	}
	for _, a := range o.attrs {
		add(a)
	}
	r.Attrs(add)
	return b.String()
}

func lineLevel(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warning"
	}
	return "info"
}
