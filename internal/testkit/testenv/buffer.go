package testenv

import (
	"bytes"
	"sync"
)

// SyncBuffer collects output that several goroutines write (a child
// process's stdout and stderr, a daemon's logger) while a test reads it.
// The zero value is ready to use; a nil *SyncBuffer reads as empty.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	if b == nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
