package testproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

// FreeAddr returns a 127.0.0.1 address with a port that was free just now,
// for a server a test starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a free port: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// WaitListening waits until something accepts TCP connections on addr,
// for at most timeout; it fails early when exited is closed (the server,
// named what, died during startup).
func WaitListening(addr, what string, exited <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New(what + " exited during startup")
		case <-ctx.Done():
			return fmt.Errorf("%s not listening on %s after %v", what, addr, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
