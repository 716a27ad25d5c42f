package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
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
