package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/archiver"
)

// progress is the status line of a backup: files and bytes processed of
// the total a scan of the targets found (restic's scanner, run beside the
// backup), rate, ETA once the scan is done, the errors so far and the
// file being read.
type progress struct {
	*statusLine
	last latest[archiver.Stats]
	scan latest[backupScan]

	mu      sync.Mutex
	reading []string // files being read, oldest first
}

// backupScan is how far the scan of the targets got.
type backupScan struct {
	archiver.ScanTotal
	done bool
}

// backupStatus is what the line shows.
type backupStatus struct {
	stats   archiver.Stats
	scan    backupScan
	reading []string
}

// newProgress starts a backup's status line on a terminal; nil otherwise.
func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{}
	if p.statusLine = newStatusLine(w, quiet, func(el time.Duration) string { return backupStatusText(p.status(), el) }); p.statusLine == nil {
		return nil
	}
	return p
}

func (p *progress) status() backupStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return backupStatus{stats: p.last.get(), scan: p.scan.get(), reading: slices.Clone(p.reading)}
}

// update records the latest totals; it is the archiver's Progress callback.
func (p *progress) update(s archiver.Stats) {
	if p != nil {
		p.last.set(s)
	}
}

// read is the archiver's Reading callback.
func (p *progress) read(path string, reading bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if reading {
		p.reading = append(p.reading, path)
	} else if i := slices.Index(p.reading, path); i >= 0 {
		p.reading = slices.Delete(p.reading, i, i+1)
	}
}

// watch hooks the line into the backup's options and starts the scan of
// targets with the backup's exclusions; it does nothing without a line.
func (p *progress) watch(ctx context.Context, targets []string, aopts archiver.Options) (progress func(archiver.Stats), reading func(string, bool)) {
	if p == nil {
		return nil, nil
	}
	go func() {
		total, err := archiver.Scan(ctx, targets, aopts, func(t archiver.ScanTotal) { p.scan.set(backupScan{ScanTotal: t}) })
		if err == nil {
			p.scan.set(backupScan{ScanTotal: total, done: true})
		}
	}()
	return p.update, p.read
}

func (p *progress) finish() {
	if p != nil {
		p.statusLine.finish()
	}
}

// backupStatusText is the line: "12 files, 1.0 GiB of 4.0 GiB, 50 MiB/s,
// ETA 1m0s, 1 error, reading /data/big.iso (+2)"; the total is "~" and
// grows while the scan runs.
func backupStatusText(s backupStatus, el time.Duration) string {
	done := s.stats.BytesProcessed
	line := fmt.Sprintf("%d files, %s", s.stats.FilesProcessed, humanBytes(done))
	if t := s.scan; t.Files > 0 {
		about := ""
		if !t.done {
			about = "~"
		}
		line = fmt.Sprintf("%d of %s%d files, %s of %s%s", s.stats.FilesProcessed, about, t.Files, humanBytes(done), about, humanBytes(t.Bytes))
	}
	line += ", " + rate(done, el) + "/s"
	if s.scan.done && done > 0 && done < s.scan.Bytes {
		line += ", ETA " + eta(el, done, s.scan.Bytes)
	}
	switch s.stats.Errors {
	case 0:
	case 1:
		line += ", 1 error"
	default:
		line += fmt.Sprintf(", %d errors", s.stats.Errors)
	}
	if n := len(s.reading); n > 0 {
		line += ", reading " + quoteName(shortPath(s.reading[n-1], 40))
		if n > 1 {
			line += fmt.Sprintf(" (+%d)", n-1)
		}
	}
	return line
}

// shortPath keeps the end of p, at most max characters, so that the
// status line fits a terminal's line.
func shortPath(p string, max int) string {
	r := []rune(p)
	if len(r) <= max {
		return p
	}
	return "…" + string(r[len(r)-max+1:])
}
