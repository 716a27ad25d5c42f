package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/archiver"
)

// progress shows a one-line status of a running backup on a terminal and
// nothing otherwise: logs and pipes get only the final summary.
type progress struct {
	w     io.Writer
	start time.Time
	mu    sync.Mutex
	last  archiver.Stats
	stop  chan struct{}
	done  chan struct{}
}

// newProgress starts the status line if w is a terminal; it returns nil
// (a no-op progress) otherwise.
func newProgress(w io.Writer, quiet bool) *progress {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	p := &progress{w: w, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

// update records the latest totals; it is the archiver's Progress callback.
func (p *progress) update(s archiver.Stats) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.last = s
	p.mu.Unlock()
}

func (p *progress) loop() {
	defer close(p.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-t.C:
			p.mu.Lock()
			s := p.last
			p.mu.Unlock()
			el := time.Since(p.start)
			fmt.Fprintf(p.w, "\r\033[K[%s] %d files, %s, %s/s", el.Truncate(time.Second), s.FilesProcessed,
				humanBytes(s.BytesProcessed), humanBytes(uint64(float64(s.BytesProcessed)/el.Seconds())))
		}
	}
}

// finish clears the status line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
}

func humanBytes(n uint64) string { return humanize.Bytes(n, 1) }
