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
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// statusLine shows a one-line status of a running command on a terminal,
// redrawn four times a second, and nothing otherwise: logs and pipes get
// only the final summary.
type statusLine struct {
	w      io.Writer
	start  time.Time
	render func(elapsed time.Duration) string
	stop   chan struct{}
	done   chan struct{}
}

// newStatusLine starts the line if w is a terminal; it returns nil (which
// does nothing) otherwise.
func newStatusLine(w io.Writer, quiet bool, render func(time.Duration) string) *statusLine {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	l := &statusLine{w: w, start: time.Now(), render: render, stop: make(chan struct{}), done: make(chan struct{})}
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
			fmt.Fprint(l.w, "\r\033[K")
			return
		case <-t.C:
			el := time.Since(l.start)
			fmt.Fprintf(l.w, "\r\033[K[%s] %s", el.Truncate(time.Second), l.render(el))
		}
	}
}

// finish clears the line.
func (l *statusLine) finish() {
	if l == nil {
		return
	}
	close(l.stop)
	<-l.done
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

// progress is the status line of a backup: files, bytes and rate.
type progress struct {
	*statusLine
	last latest[archiver.Stats]
}

// newProgress starts a backup's status line on a terminal; nil otherwise.
func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{}
	if p.statusLine = newStatusLine(w, quiet, func(el time.Duration) string {
		s := p.last.get()
		return fmt.Sprintf("%d files, %s, %s/s", s.FilesProcessed, humanBytes(s.BytesProcessed), rate(s.BytesProcessed, el))
	}); p.statusLine == nil {
		return nil
	}
	return p
}

// update records the latest totals; it is the archiver's Progress callback.
func (p *progress) update(s archiver.Stats) {
	if p != nil {
		p.last.set(s)
	}
}

func (p *progress) finish() {
	if p != nil {
		p.statusLine.finish()
	}
}

// volumesProgress is the status line of a volumes backup: the app, its
// pass, the containers stopped for it, and an ETA from the app's last
// snapshot.
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
		if p.Phase == backup.PhaseFinal && len(p.Stopped) > 0 {
			line += " (stopped: " + strings.Join(p.Stopped, ", ") + ")"
		}
		el := now().Sub(since.get())
		line += fmt.Sprintf(", %d files, %s", p.Files, humanBytes(p.Bytes))
		if p.Phase == backup.PhaseWarm && p.Expected > p.Bytes && p.Bytes > 0 {
			eta := time.Duration(float64(el) * float64(p.Expected-p.Bytes) / float64(p.Bytes))
			line += fmt.Sprintf(" of ~%s, ETA %s", humanBytes(p.Expected), eta.Truncate(time.Second))
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

// restoreProgress is the status line of a volume restore's staging.
func restoreProgress(w io.Writer, quiet bool) (*statusLine, func(volume string, s restorer.Stats)) {
	type state struct {
		volume string
		stats  restorer.Stats
	}
	var last latest[state]
	l := newStatusLine(w, quiet, func(el time.Duration) string {
		s := last.get()
		if s.volume == "" {
			return "starting"
		}
		return fmt.Sprintf("restoring volume %s beside its data (the app still runs): %d files, %s, %s/s",
			s.volume, s.stats.Files, humanBytes(s.stats.Bytes), rate(s.stats.Bytes, el))
	})
	if l == nil {
		return nil, nil
	}
	return l, func(volume string, s restorer.Stats) { last.set(state{volume, s}) }
}

func rate(n uint64, el time.Duration) string {
	if el <= 0 {
		return humanBytes(0)
	}
	return humanBytes(uint64(float64(n) / el.Seconds()))
}

func humanBytes(n uint64) string { return humanize.Bytes(n, 1) }
