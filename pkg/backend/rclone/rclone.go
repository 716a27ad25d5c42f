package rclone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/rest"
)

// Backend is a repository served by an rclone process of its own, which
// it starts again when that process is stuck on a broken upload (see
// Save).
type Backend struct {
	cfg Config
	log *slog.Logger

	mu     sync.RWMutex // held for reading by every request, for writing to restart
	srv    *server
	closed bool
}

var _ backend.Backend = (*Backend)(nil)

// server is one rclone process and the REST client talking to it.
type server struct {
	p    *process
	rest *rest.Backend
}

// stopGrace is how long stopping waits for rclone to end after its stdin
// is closed before killing it.
const stopGrace = 10 * time.Second

// Open starts rclone and connects to the existing repository it serves;
// see rest.Open for the errors.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	return connect(ctx, cfg, rest.Open)
}

// Create starts rclone and has it create the repository (rest.Create).
func Create(ctx context.Context, cfg Config) (*Backend, error) {
	return connect(ctx, cfg, rest.Create)
}

func connect(ctx context.Context, cfg Config, open func(context.Context, rest.Config) (*rest.Backend, error)) (*Backend, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := startServer(ctx, cfg, open)
	if err != nil {
		return nil, err
	}
	return &Backend{cfg: cfg, log: cfg.Logger, srv: srv}, nil
}

// startServer starts rclone and connects the REST client with open.
func startServer(ctx context.Context, cfg Config, open func(context.Context, rest.Config) (*rest.Backend, error)) (*server, error) {
	p, err := start(cfg)
	if err != nil {
		return nil, err
	}
	c := conn{Reader: p.stdout, WriteCloser: p.stdin, p: p}
	rc := rest.Config{
		// The host is a stand-in: every request goes down the pipe.
		URL:         &url.URL{Scheme: "http", Host: "rclone", Path: "/"},
		Transport:   pipeTransport(c),
		Connections: cfg.Connections,
		Logger:      cfg.Logger,
		Name:        cfg.String(),
	}
	rb, err := open(ctx, rc)
	if err != nil {
		_ = p.stop(stopGrace)
		if f := p.failure(); f != nil && !errors.Is(err, backend.ErrLocationMissing) {
			return nil, fmt.Errorf("%s: %w", cfg, f)
		}
		return nil, err
	}
	return &server{p: p, rest: rb}, nil
}

func (s *server) stop() error {
	return errors.Join(s.rest.Close(), s.p.stop(stopGrace))
}

// pipeTransport speaks HTTP/2 without TLS over c, the only connection
// there is: a second dial (after c broke) fails with rclone's reason.
func pipeTransport(c conn) *http.Transport {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	var dialed sync.Once
	return &http.Transport{
		Protocols: &protocols,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var nc net.Conn
			dialed.Do(func() { nc = c })
			if nc == nil {
				if f := c.p.failure(); f != nil {
					return nil, f
				}
				return nil, errors.New("the connection to rclone was lost")
			}
			return nc, nil
		},
	}
}

// errClosed is returned by requests after Close.
var errClosed = errors.New("rclone backend is closed")

// current returns the running server under the read lock, which the
// caller releases.
func (b *Backend) current() (*server, func(), error) {
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return nil, nil, errClosed
	}
	return b.srv, b.mu.RUnlock, nil
}

// Load implements backend.Backend.
func (b *Backend) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	s, done, err := b.current()
	if err != nil {
		return err
	}
	defer done()
	return s.rest.Load(ctx, h, length, offset, fn)
}

// Stat implements backend.Backend.
func (b *Backend) Stat(ctx context.Context, h backend.Handle) (int64, error) {
	s, done, err := b.current()
	if err != nil {
		return 0, err
	}
	defer done()
	return s.rest.Stat(ctx, h)
}

// List implements backend.Backend.
func (b *Backend) List(ctx context.Context, t backend.FileType, fn func(string, int64) error) error {
	s, done, err := b.current()
	if err != nil {
		return err
	}
	defer done()
	return s.rest.List(ctx, t, fn)
}

// Remove implements backend.Backend.
func (b *Backend) Remove(ctx context.Context, h backend.Handle) error {
	s, done, err := b.current()
	if err != nil {
		return err
	}
	defer done()
	return s.rest.Remove(ctx, h)
}

// Close ends the REST client, then rclone.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	return b.srv.stop()
}
