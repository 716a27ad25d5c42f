package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

// checkProgress is the status line of check --read-data: packs read of
// the total, and an ETA.
func checkProgress(w io.Writer, quiet bool) (*statusLine, func(done, total int)) {
	var last latest[[2]int]
	l := newStatusLine(w, quiet, func(el time.Duration) string { return checkStatusText(last.get(), el) })
	if l == nil {
		return nil, nil
	}
	return l, func(done, total int) { last.set([2]int{done, total}) }
}

func checkStatusText(p [2]int, el time.Duration) string {
	done, total := p[0], p[1]
	if total == 0 {
		return "checking the index and the snapshots' trees"
	}
	line := fmt.Sprintf("read %d of %d packs", done, total)
	if done > 0 && done < total {
		line += ", ETA " + eta(el, uint64(done), uint64(total))
	}
	return line
}

// countingWriter counts what passes through it, for a status line.
type countingWriter struct {
	w io.Writer
	n atomic.Uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(uint64(n))
	return n, err
}

// dumpProgress is the status line of dump --target: bytes written (of
// total, for a file), rate and ETA.
func dumpProgress(w io.Writer, quiet bool, cw *countingWriter, total uint64) *statusLine {
	return newStatusLine(w, quiet, func(el time.Duration) string { return dumpStatusText(cw.n.Load(), total, el) })
}

func dumpStatusText(done, total uint64, el time.Duration) string {
	if total == 0 {
		return fmt.Sprintf("%s written, %s/s", humanBytes(done), rate(done, el))
	}
	line := fmt.Sprintf("%s of %s written, %s/s", humanBytes(done), humanBytes(total), rate(done, el))
	if done > 0 && done < total {
		line += ", ETA " + eta(el, done, total)
	}
	return line
}

// bytesProgress is a status line of bytes done of a known total, with
// rate and ETA (prune's repacking); update keeps the largest done it was
// given, as concurrent workers may report out of order.
func bytesProgress(w io.Writer, quiet bool, text func(done, total uint64, el time.Duration) string) (*statusLine, func(done, total uint64)) {
	var last latest[[2]uint64]
	l := newStatusLine(w, quiet, func(el time.Duration) string { p := last.get(); return text(p[0], p[1], el) })
	if l == nil {
		return nil, nil
	}
	return l, func(done, total uint64) {
		last.mu.Lock()
		defer last.mu.Unlock()
		last.v = [2]uint64{max(done, last.v[0]), total}
	}
}

// repackStatusText is prune's status line while it repacks.
func repackStatusText(done, total uint64, el time.Duration) string {
	line := fmt.Sprintf("repacked %s of %s, %s/s", humanBytes(done), humanBytes(total), rate(done, el))
	if done > 0 && done < total {
		line += ", ETA " + eta(el, done, total)
	}
	return line
}

// copyProgress is the status line of copy: blobs and bytes copied of
// what the destination lacks, rate and ETA. The progress function is nil
// off a terminal, which spares copy the walk that measures the totals.
func copyProgress(w io.Writer, quiet bool) (*statusLine, func(snapcopy.Progress)) {
	var last latest[snapcopy.Progress]
	l := newStatusLine(w, quiet, func(el time.Duration) string { return copyStatusText(last.get(), el) })
	if l == nil {
		return nil, nil
	}
	return l, func(p snapcopy.Progress) {
		last.mu.Lock()
		defer last.mu.Unlock()
		if p.Blobs > last.v.Blobs { // workers may report out of order
			last.v = p
		}
	}
}

func copyStatusText(p snapcopy.Progress, el time.Duration) string {
	if p.TotalBlobs == 0 {
		return "reading the snapshots' trees to see what the destination lacks"
	}
	line := fmt.Sprintf("copied %d of %d blobs, %s of %s, %s/s", p.Blobs, p.TotalBlobs,
		humanBytes(p.Bytes), humanBytes(p.TotalBytes), rate(p.Bytes, el))
	if p.Bytes > 0 && p.Bytes < p.TotalBytes {
		line += ", ETA " + eta(el, p.Bytes, p.TotalBytes)
	}
	return line
}
