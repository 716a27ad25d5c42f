package rest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// Backend is a repository on a REST server.
type Backend struct {
	cfg    Config
	base   *url.URL // the repository URL without user info, path ending in "/"
	auth   *BasicAuth
	client *http.Client
	tr     *http.Transport // ours, nil if the caller supplied one
	sem    chan struct{}
	log    *slog.Logger
}

var _ backend.Backend = (*Backend)(nil)

// Media types of the REST protocol's listings.
const (
	mediaV2 = "application/vnd.x.restic.rest.v2"
	mediaV1 = "application/vnd.x.restic.rest.v1"
)

// Open connects to an existing repository. It fails with an error wrapping
// backend.ErrLocationMissing if the server says the repository does not
// exist (a server that creates listings on demand, like rclone, cannot tell
// and reports an empty repository instead), and with backend.ErrPermission
// if the credentials are refused.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(cfg)
	if err != nil {
		return nil, err
	}
	_, err = b.Stat(ctx, backend.Handle{Type: backend.ConfigFile})
	if errors.Is(err, backend.ErrNotExist) {
		// No config yet: a repository being created, or none at all.
		err = b.probe(ctx)
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("open %s: %w", b.cfg, err)
	}
	return b, nil
}

// probe asks for the key listing, which a server without the repository
// answers with 404.
func (b *Backend) probe(ctx context.Context) error {
	resp, err := b.do(ctx, http.MethodGet, "keys/", nil, -1, http.Header{"Accept": {mediaV2}})
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("repository %s: %w", b.cfg, backend.ErrLocationMissing)
	}
	return b.statusError(resp, http.MethodGet, "keys/")
}

// Create connects and asks the server to create the repository
// (POST ?create=true), which succeeds if it exists already.
func Create(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(cfg)
	if err != nil {
		return nil, err
	}
	resp, err := b.do(ctx, http.MethodPost, "?create=true", nil, 0, nil)
	if err == nil {
		err = b.statusError(resp, http.MethodPost, "?create=true")
		drain(resp)
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("create %s: %w", b.cfg, err)
	}
	b.log.Debug("created REST repository", "location", b.cfg)
	return b, nil
}

func newBackend(cfg Config) (*Backend, error) {
	if cfg.URL == nil {
		return nil, errors.New("REST backend: no URL")
	}
	if cfg.Connections <= 0 {
		cfg.Connections = defaultConnections
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	base := *cfg.URL
	base.User = nil // ParseLocation moved it to Auth; a URL made by hand may have some
	if base.Path == "" || base.Path[len(base.Path)-1] != '/' {
		base = *base.JoinPath("/")
	}
	b := &Backend{cfg: cfg, base: &base, auth: cfg.Auth, sem: make(chan struct{}, cfg.Connections), log: cfg.Logger}
	rt := cfg.Transport
	if rt == nil {
		tr, err := cfg.transport()
		if err != nil {
			return nil, fmt.Errorf("REST backend %s: %w", cfg, err)
		}
		b.tr, rt = tr, tr
	}
	b.client = &http.Client{Transport: rt}
	return b, nil
}

// rel returns the path of h relative to the repository URL: packs have no
// subdirectory in REST URLs.
func rel(h backend.Handle) string {
	if h.Type == backend.ConfigFile {
		return "config"
	}
	return path.Join(backend.Dir(h.Type), h.Name)
}

// acquire takes a connection slot; saving a lock file does not wait, so a
// lock refresh never queues behind pack uploads.
func (b *Backend) acquire(ctx context.Context, h backend.Handle, saving bool) (func(), error) {
	if saving && h.Type == backend.LockFile {
		return func() {}, nil
	}
	select {
	case b.sem <- struct{}{}:
		return func() { <-b.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func check(ctx context.Context, h backend.Handle) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return h.Validate()
}

// Save implements backend.Backend with one POST.
func (b *Backend) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	if err := check(ctx, h); err != nil {
		return fmt.Errorf("save %s: %w", h, err)
	}
	release, err := b.acquire(ctx, h, true)
	if err != nil {
		return fmt.Errorf("save %s: %w", h, err)
	}
	defer release()
	if err := rd.Rewind(); err != nil {
		return fmt.Errorf("save %s: rewind input: %w", h, err)
	}
	hdr := http.Header{"Content-Type": {"application/octet-stream"}}
	// The body stops at cancellation, so that the server sees a broken
	// upload rather than possibly all of it.
	body := &ctxReader{ctx: ctx, r: rd}
	resp, err := b.do(ctx, http.MethodPost, rel(h), body, rd.Length(), hdr)
	if err == nil {
		err = b.statusError(resp, http.MethodPost, rel(h))
		drain(resp)
	}
	if err != nil {
		b.settle(ctx, h, rd.Length())
		return fmt.Errorf("save %s: %w", h, err)
	}
	return nil
}

// ctxReader is an upload body that ends with ctx's error once ctx is done.
// It has no Close, so the transport cannot close rd, which belongs to the
// caller.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Settling after a failed upload: how long the server must show no
// partial file before Save returns, how often to look, and the most to
// wait in all.
const (
	settleQuiet    = 200 * time.Millisecond
	settleInterval = 20 * time.Millisecond
	settleTimeout  = 3 * time.Second
)

// settle waits, after a failed upload, until the server shows no partial
// file under h. Servers that write uploads in place (rclone before 1.63)
// create the file when they start on the request and remove it once they
// notice the request broke, both possibly after Save returned; the Backend
// contract promises that a failed Save leaves nothing partial. So settle
// looks until the file has been absent or of the full size (a complete
// earlier copy: names are content hashes) for settleQuiet. This is best
// effort: on a slow link the server may start on the request even later.
// Nothing is deleted (only the server knows whether the upload still runs),
// and the config, whose earlier version may differ in size, is skipped.
func (b *Backend) settle(ctx context.Context, h backend.Handle, size int64) {
	if h.Type == backend.ConfigFile {
		return
	}
	// The upload may have failed because ctx was cancelled; looking is
	// not writing, so do it anyway, briefly.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	quietSince := time.Now()
	for {
		resp, err := b.do(ctx, http.MethodHead, rel(h), nil, -1, nil)
		if err != nil {
			return // the server is unreachable: nothing to learn
		}
		drain(resp)
		if resp.StatusCode == http.StatusOK && resp.ContentLength != size {
			quietSince = time.Now()
		} else if time.Since(quietSince) >= settleQuiet {
			return
		}
		select {
		case <-ctx.Done():
			b.log.Warn("server still shows a partial upload after a failed save", "file", h.String(), "size", resp.ContentLength, "want", size)
			return
		case <-time.After(settleInterval):
		}
	}
}

// Stat implements backend.Backend with HEAD.
func (b *Backend) Stat(ctx context.Context, h backend.Handle) (int64, error) {
	if err := check(ctx, h); err != nil {
		return 0, fmt.Errorf("stat %s: %w", h, err)
	}
	release, err := b.acquire(ctx, h, false)
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", h, err)
	}
	defer release()
	resp, err := b.do(ctx, http.MethodHead, rel(h), nil, -1, nil)
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", h, err)
	}
	defer drain(resp)
	if err := b.statusError(resp, http.MethodHead, rel(h)); err != nil {
		return 0, fmt.Errorf("stat %s: %w", h, err)
	}
	if resp.ContentLength < 0 {
		return 0, fmt.Errorf("stat %s: HEAD %s: the server sent no Content-Length", h, b.display(rel(h)))
	}
	return resp.ContentLength, nil
}

// Remove implements backend.Backend with DELETE; a missing file is not an
// error.
func (b *Backend) Remove(ctx context.Context, h backend.Handle) error {
	if err := check(ctx, h); err != nil {
		return fmt.Errorf("remove %s: %w", h, err)
	}
	release, err := b.acquire(ctx, h, false)
	if err != nil {
		return fmt.Errorf("remove %s: %w", h, err)
	}
	defer release()
	resp, err := b.do(ctx, http.MethodDelete, rel(h), nil, -1, nil)
	if err != nil {
		return fmt.Errorf("remove %s: %w", h, err)
	}
	defer drain(resp)
	if err := b.statusError(resp, http.MethodDelete, rel(h)); err != nil && !errors.Is(err, backend.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", h, err)
	}
	return nil
}

// Close implements backend.Backend; idle connections of the transport the
// backend created are dropped.
func (b *Backend) Close() error {
	if b.tr != nil {
		b.tr.CloseIdleConnections()
	}
	return nil
}
