package sftp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/sshtest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/retry"
)

func create(t *testing.T, srv *sshtest.Server) *Backend {
	t.Helper()
	be, err := Create(t.Context(), Config{
		User: srv.User, Host: srv.Host, Port: srv.Port, Path: t.TempDir(),
		KeyFile: srv.KeyFile, KnownHostsFile: srv.KnownHostsFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
	return be
}

// current returns the connection in use.
func (b *Backend) current() *conn {
	b.connMu <- struct{}{}
	defer func() { <-b.connMu }()
	return b.cur
}

// An ssh process that dies in the middle of a Load makes that Load fail
// with a transient error quoting how ssh ended; the next operation starts
// a new ssh process and works.
func TestSSHDiesDuringLoad(t *testing.T) {
	srv := sshtest.Start(t)
	be := create(t, srv)
	data, _ := backendtest.RandomData(t, 4<<20)
	h := backendtest.Save(t, be, backend.PackFile, data)
	first := be.current()
	err := be.Load(t.Context(), h, 0, 0, func(rd io.Reader) error {
		if _, err := io.ReadFull(rd, make([]byte, 1000)); err != nil {
			return err
		}
		_ = first.cmd.Process.Kill()
		<-first.exited
		_, err := io.ReadAll(rd)
		return err
	})
	if err == nil {
		t.Fatal("load whose ssh was killed midway succeeded")
	}
	t.Logf("error: %v", err)
	if !backend.IsTransient(err) {
		t.Errorf("error is not transient: %v", err)
	}
	if !strings.Contains(err.Error(), "ssh exited: signal: killed") {
		t.Errorf("error does not say how ssh ended: %v", err)
	}
	got, err := backendtest.LoadAll(t.Context(), be, h, 0, 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("load after reconnecting: %d bytes, %v", len(got), err)
	}
	if second := be.current(); second == first || second == nil {
		t.Fatal("no new connection after the old one died")
	}
}

// Behind the retry layer, operations ride over a killed ssh process and
// over a server that goes away for a moment.
func TestRetryRidesOverReconnects(t *testing.T) {
	srv := sshtest.Start(t)
	raw := create(t, srv)
	be := retry.New(raw, retry.Options{InitialInterval: 50 * time.Millisecond, MaxElapsed: 20 * time.Second})
	ctx := t.Context()
	for i := 0; i < 3; i++ {
		c := raw.current()
		_ = c.cmd.Process.Kill()
		data, _ := backendtest.RandomData(t, 100_000)
		h := backendtest.Save(t, be, backend.IndexFile, data)
		if got, err := backendtest.LoadAll(ctx, be, h, 0, 0); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round %d: load after kill: %d bytes, %v", i, len(got), err)
		}
	}
	srv.Stop(t)
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(500 * time.Millisecond) // the outage the save rides over
		srv.Restart(t)
	}()
	data, _ := backendtest.RandomData(t, 1000)
	h := backendtest.Save(t, be, backend.SnapshotFile, data)
	<-restarted
	if n, err := be.Stat(ctx, h); err != nil || n != 1000 {
		t.Fatalf("stat after server restart: %d, %v", n, err)
	}
}

// Close ends the ssh process even when it does not react to its input
// closing (a hung network), within about a second.
func TestCloseKillsStuckSSH(t *testing.T) {
	srv := sshtest.Start(t)
	be := create(t, srv)
	c := be.current()
	// SIGSTOP: ssh can no longer act on the closed input.
	if err := c.cmd.Process.Signal(stopSignal); err != nil {
		t.Skipf("cannot stop ssh: %v", err)
	}
	start := time.Now()
	if err := be.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v", d)
	}
	select {
	case <-c.exited:
	default:
		t.Fatal("ssh still running after Close")
	}
	if _, err := be.Stat(context.Background(), backend.Handle{Type: backend.ConfigFile}); err == nil || errors.Is(err, backend.ErrNotExist) {
		t.Fatalf("stat after Close: %v, want an error", err)
	}
}
