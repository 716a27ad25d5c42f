package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// termWriter is stderr when it is a terminal, shared by log lines,
// warnings and the status line: a write clears the status line first, so
// that a log line does not land in the middle of it; the next tick draws
// the line again below.
type termWriter struct {
	mu    sync.Mutex
	f     io.Writer
	drawn bool // the status line is on screen
}

// stderrWriter is the process's stderr, a *termWriter on a terminal.
func stderrWriter() io.Writer {
	if term.IsTerminal(int(os.Stderr.Fd())) {
		return &termWriter{f: os.Stderr}
	}
	return os.Stderr
}

func (t *termWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.drawn {
		io.WriteString(t.f, "\r\033[K")
		t.drawn = false
	}
	return t.f.Write(p)
}

// draw replaces the status line with s.
func (t *termWriter) draw(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.f, "\r\033[K"+s)
	t.drawn = true
}

// clear removes the status line.
func (t *termWriter) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.drawn {
		io.WriteString(t.f, "\r\033[K")
		t.drawn = false
	}
}

// statusLine shows a one-line status of a running command on a terminal,
// redrawn four times a second, and nothing otherwise: logs and pipes get
// only the final summary.
type statusLine struct {
	w      *termWriter
	start  time.Time
	render func(elapsed time.Duration) string
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// newStatusLine starts the line if w is a terminal (a *termWriter); it
// returns nil (which does nothing) otherwise.
func newStatusLine(w io.Writer, quiet bool, render func(time.Duration) string) *statusLine {
	t, ok := w.(*termWriter)
	if quiet || !ok {
		return nil
	}
	l := &statusLine{w: t, start: time.Now(), render: render, stop: make(chan struct{}), done: make(chan struct{})}
	go l.loop()
	return l
}

func (l *statusLine) loop() {
	defer close(l.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			l.w.clear()
			return
		case <-t.C:
			el := time.Since(l.start)
			l.w.draw(fmt.Sprintf("[%s] %s", el.Truncate(time.Second), l.render(el)))
		}
	}
}

// finish clears the line; later calls do nothing.
func (l *statusLine) finish() {
	if l == nil {
		return
	}
	l.once.Do(func() { close(l.stop) })
	<-l.done
}

// clear removes the line until the next tick draws it again, before a
// line is printed on stdout (the same terminal).
func (l *statusLine) clear() {
	if l != nil {
		l.w.clear()
	}
}

// latest holds the newest value a running operation reported.
type latest[T any] struct {
	mu sync.Mutex
	v  T
}

func (l *latest[T]) set(v T) {
	l.mu.Lock()
	l.v = v
	l.mu.Unlock()
}

func (l *latest[T]) get() T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.v
}

// volumesProgress is the status line of a volumes backup: the app, its
// phase (warm pass, stopping, final pass, starting, commit) and what it
// does in it, every container stopped for it, and during the warm pass's
// volumes an ETA from the app's last snapshot.
func volumesProgress(w io.Writer, quiet bool) (*statusLine, func(backup.AppProgress)) {
	render, update := volumesRender(time.Now)
	l := newStatusLine(w, quiet, func(time.Duration) string { return render() })
	if l == nil {
		return nil, nil
	}
	return l, update
}

// volumesRender returns the status text of a volumes backup and the
// function that feeds it; now is the clock.
func volumesRender(now func() time.Time) (render func() string, update func(backup.AppProgress)) {
	var last latest[backup.AppProgress]
	var since latest[time.Time] // when the current pass began
	render = func() string {
		p := last.get()
		if p.App == "" {
			return "planning"
		}
		line := fmt.Sprintf("app %s: %s", p.App, p.Phase)
		el := now().Sub(since.get())
		switch p.Phase {
		case backup.PhaseStopping, backup.PhaseStarting:
			return fmt.Sprintf("%s %s (%s)", line, listOrNone(p.Stopped), el.Truncate(time.Second))
		case backup.PhaseCommit:
			return line + " (the app runs again)"
		case backup.PhaseFinal:
			line += " (stopped: " + listOrNone(p.Stopped) + ")"
		}
		if p.Step != "" {
			line += ", " + p.Step
		}
		line += fmt.Sprintf(", %d files, %s", p.Files, humanBytes(p.Bytes))
		if p.Phase == backup.PhaseWarm && p.Step == "" && p.Expected > p.Bytes && p.Bytes > 0 {
			line += fmt.Sprintf(" of ~%s, ETA %s", humanBytes(p.Expected), eta(el, p.Bytes, p.Expected))
		}
		return line + ", " + rate(p.Bytes, el) + "/s"
	}
	update = func(p backup.AppProgress) {
		if old := last.get(); old.App != p.App || old.Phase != p.Phase {
			since.set(now())
		}
		last.set(p)
	}
	return render, update
}

// restoreProgress is the status line of a volume restore: the volume
// staged beside its data with an ETA, then the containers stopped for
// the swap and started again.
func restoreProgress(w io.Writer, quiet bool) (*statusLine, func(apprestore.Progress)) {
	render, update := restoreRender(time.Now)
	l := newStatusLine(w, quiet, func(time.Duration) string { return render() })
	if l == nil {
		return nil, nil
	}
	return l, update
}

// restoreRender returns the status text of a volume restore and the
// function that feeds it; now is the clock.
func restoreRender(now func() time.Time) (render func() string, update func(apprestore.Progress)) {
	var last latest[apprestore.Progress]
	// When the current phase, or the current volume's writing, began.
	var since latest[time.Time]
	render = func() string {
		p := last.get()
		switch p.Phase {
		case "":
			return "planning"
		case apprestore.PhaseSwap:
			if len(p.Stopping) > 0 {
				return "stopping " + strings.Join(p.Stopping, ", ") + " for the swap"
			}
			return "swapping in the restored data (stopped: " + listOrNone(p.Stopped) + ")"
		case apprestore.PhaseStart:
			return "starting again: " + listOrNone(p.Stopped)
		}
		line := "volume " + p.Volume
		if p.Volumes > 1 {
			line += fmt.Sprintf(" (%d of %d)", p.Index, p.Volumes)
		}
		line += " staged beside its data (the app still runs)"
		return line + ": " + restoreStatsText(p.Stats, now().Sub(since.get()))
	}
	update = func(p apprestore.Progress) {
		old := last.get()
		if old.Volume != p.Volume || old.Phase != p.Phase || old.Stats.Written == 0 && p.Stats.Written > 0 {
			since.set(now())
		}
		last.set(p)
	}
	return render, update
}

// restoreStatsText says how far a restore is: reading the snapshot's
// trees, then files and bytes of the planned totals, the rate since
// writing began (el) and an ETA.
func restoreStatsText(s restorer.Stats, el time.Duration) string {
	if s.PlannedBytes == 0 && s.Written == 0 {
		return fmt.Sprintf("reading the snapshot, %d directories", s.Dirs)
	}
	line := fmt.Sprintf("%d of %d files, %s of %s, %s/s", s.Files, s.PlannedFiles,
		humanBytes(s.Written), humanBytes(s.PlannedBytes), rate(s.Written, el))
	if s.Written > 0 && s.PlannedBytes > s.Written {
		line += ", ETA " + eta(el, s.Written, s.PlannedBytes)
	}
	return line
}

// filesRestoreProgress is the status line of drydock restore.
func filesRestoreProgress(w io.Writer, quiet bool) (*statusLine, func(restorer.Stats)) {
	render, update := filesRestoreRender(time.Now)
	l := newStatusLine(w, quiet, func(time.Duration) string { return render() })
	if l == nil {
		return nil, nil
	}
	return l, update
}

// filesRestoreRender returns the status text of a restore and the
// function that feeds it (restorer.Options.Progress); now is the clock.
// The rate counts from the first byte written: reading the trees is not
// writing.
func filesRestoreRender(now func() time.Time) (render func() string, update func(restorer.Stats)) {
	var last latest[restorer.Stats]
	var since latest[time.Time]
	render = func() string { return restoreStatsText(last.get(), now().Sub(since.get())) }
	update = func(s restorer.Stats) {
		if last.get().Written == 0 && s.Written > 0 || since.get().IsZero() {
			since.set(now())
		}
		last.set(s)
	}
	return render, update
}

// eta is the time left to reach total at the rate done took el, in
// whole seconds, "<1s" below one; done must be more than zero.
func eta(el time.Duration, done, total uint64) string {
	d := time.Duration(float64(el) * float64(total-done) / float64(done))
	if d < time.Second {
		return "<1s"
	}
	return d.Truncate(time.Second).String()
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func rate(n uint64, el time.Duration) string {
	if el <= 0 {
		return humanBytes(0)
	}
	return humanBytes(uint64(float64(n) / el.Seconds()))
}

func humanBytes(n uint64) string { return humanize.Bytes(n, 1) }
