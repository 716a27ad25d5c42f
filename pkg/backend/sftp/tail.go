package sftp

import (
	"bytes"
	"strings"
	"sync"
)

// tailWriter keeps the end of what ssh writes to its standard error, so
// that a connection error can say why ssh gave up ("Host key verification
// failed.", "Connection refused").
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

// tailBytes bounds the memory kept; tailLines is how much an error shows.
const (
	tailBytes = 8 << 10
	tailLines = 4
)

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - tailBytes; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

// String returns the last non-empty lines, joined with " | " to keep
// error messages on one line; "" if ssh wrote nothing.
func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var lines []string
	for _, l := range bytes.Split(w.buf, []byte("\n")) {
		if l := strings.TrimSpace(string(l)); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return strings.Join(lines, " | ")
}
