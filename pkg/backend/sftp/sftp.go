package sftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// Backend is a repository on an SFTP server.
type Backend struct {
	cfg  Config
	name string   // the program to run (ssh)
	args []string // its arguments
	sem  chan struct{}
	log  *slog.Logger

	// connMu guards cur and closed; it is a channel so that waiting for
	// it (while another operation dials) respects ctx.
	connMu  chan struct{}
	cur     *conn
	closed  bool
	closing sync.WaitGroup // connections being closed in the background

	fileMode fs.FileMode
	dirMode  fs.FileMode
}

var _ backend.Backend = (*Backend)(nil)

// File modes as restic's: private unless the config file is
// group-readable, then group-shared, so both tools agree.
const (
	privateDirMode  fs.FileMode = 0o700
	privateFileMode fs.FileMode = 0o600
	groupDirMode    fs.FileMode = 0o770
	groupFileMode   fs.FileMode = 0o660
)

// Open connects to an existing repository directory. It fails with an
// error wrapping backend.ErrLocationMissing if the directory does not
// exist.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	b, c, err := connect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg, err)
	}
	fi, err := c.client.Stat(cfg.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = fmt.Errorf("directory %q: %w", cfg.Path, backend.ErrLocationMissing)
	case err != nil:
		err = fmt.Errorf("stat %q: %w", cfg.Path, b.translate(c, err))
	case !fi.IsDir():
		err = fmt.Errorf("%q is not a directory", cfg.Path)
	default:
		if err = b.setModes(c); err != nil {
			err = fmt.Errorf("stat config: %w", b.translate(c, err))
		}
	}
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("open %s: %w", cfg, err)
	}
	return b, nil
}

// Create connects and creates the repository directory with restic's
// layout (keys, data and its 256 two-hex subdirectories, index,
// snapshots, locks). Existing directories are kept; the config file is
// the repository layer's business.
func Create(ctx context.Context, cfg Config) (*Backend, error) {
	b, c, err := connect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", cfg, err)
	}
	if err := b.mkdirs(ctx, c); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("create %s: %w", cfg, err)
	}
	return b, nil
}

// connect validates cfg, applies defaults and dials the first connection,
// so that a wrong host, key or host key fails Open and Create at once.
func connect(ctx context.Context, cfg Config) (*Backend, *conn, error) {
	if cfg.Connections <= 0 {
		cfg.Connections = defaultConnections
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Path == "" {
		cfg.Path = "."
	}
	for what, f := range map[string]string{"key file": cfg.KeyFile, "known_hosts file": cfg.KnownHostsFile} {
		if f == "" {
			continue
		}
		// ssh only warns about a missing key file; say it clearly.
		if _, err := os.Stat(f); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	name, args, err := cfg.command()
	if err != nil {
		return nil, nil, err
	}
	b := &Backend{
		cfg: cfg, name: name, args: args, log: cfg.Logger,
		sem:      make(chan struct{}, cfg.Connections),
		connMu:   make(chan struct{}, 1),
		fileMode: privateFileMode, dirMode: privateDirMode,
	}
	c, err := b.conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	return b, c, nil
}

// setModes switches to group-shared modes if the config file exists and
// is group-readable (restic's rule).
func (b *Backend) setModes(c *conn) error {
	fi, err := c.client.Stat(b.path(backend.Handle{Type: backend.ConfigFile}))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o040 != 0 {
		b.fileMode, b.dirMode = groupFileMode, groupDirMode
	}
	return nil
}

// mkdirs creates the repository directories; the 256 data subdirectories
// are created concurrently, since each is a round trip.
func (b *Backend) mkdirs(ctx context.Context, c *conn) error {
	for _, t := range backend.ListableTypes {
		d := path.Join(b.cfg.Path, backend.Dir(t))
		if err := c.client.MkdirAll(d); err != nil {
			return fmt.Errorf("create directory %s: %w", d, b.translate(c, err))
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4 * b.cfg.Connections)
	for _, sub := range backend.PackSubdirs() {
		d := path.Join(b.cfg.Path, backend.Dir(backend.PackFile), sub)
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := c.client.Mkdir(d); err != nil {
				// OpenSSH answers "failure" for an existing directory.
				if fi, serr := c.client.Stat(d); serr != nil || !fi.IsDir() {
					return fmt.Errorf("create directory %s: %w", d, b.translate(c, err))
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// conn returns the current connection, dialling a new one if there is
// none or the last one broke.
func (b *Backend) conn(ctx context.Context) (*conn, error) {
	select {
	case b.connMu <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-b.connMu }()
	if b.closed {
		return nil, errors.New("backend is closed")
	}
	if b.cur != nil && !b.cur.dead() {
		return b.cur, nil
	}
	if b.cur != nil {
		b.log.Debug("sftp connection lost, reconnecting", "location", b.cfg.String(), "reason", b.cur.why())
		b.retire(b.cur)
	}
	c, err := dial(ctx, b.name, b.args)
	if err != nil {
		return nil, err
	}
	b.log.Debug("sftp connected", "location", b.cfg.String(), "command", b.name, "args", b.args)
	b.cur = c
	return c, nil
}

// retire closes c in the background; Close waits for it. Callers hold
// connMu.
func (b *Backend) retire(c *conn) {
	if b.cur == c {
		b.cur = nil
	}
	b.closing.Add(1)
	go func() {
		defer b.closing.Done()
		c.close()
	}()
}

// drop retires c if it is still the current connection, so that the next
// operation dials a new one.
func (b *Backend) drop(c *conn) {
	b.connMu <- struct{}{}
	defer func() { <-b.connMu }()
	if b.cur == c {
		b.retire(c)
	}
}

// acquire takes one of the Connections slots; lock files do not wait, so a
// lock refresh never queues behind pack transfers.
func (b *Backend) acquire(ctx context.Context, h backend.Handle) (release func(), err error) {
	if h.Type == backend.LockFile {
		return func() {}, nil
	}
	select {
	case b.sem <- struct{}{}:
		return func() { <-b.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// begin validates h, takes a slot and returns the connection to use.
func (b *Backend) begin(ctx context.Context, h backend.Handle) (*conn, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err := h.Validate(); err != nil {
		return nil, nil, err
	}
	release, err := b.acquire(ctx, h)
	if err != nil {
		return nil, nil, err
	}
	c, err := b.conn(ctx)
	if err != nil {
		release()
		return nil, nil, err
	}
	return c, release, nil
}

// path returns the server path of h.
func (b *Backend) path(h backend.Handle) string {
	return path.Join(b.cfg.Path, backend.Path(h))
}

// Stat implements backend.Backend.
func (b *Backend) Stat(ctx context.Context, h backend.Handle) (int64, error) {
	c, release, err := b.begin(ctx, h)
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", h, err)
	}
	defer release()
	fi, err := c.client.Stat(b.path(h))
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", h, b.translate(c, err))
	}
	return fi.Size(), nil
}

// Remove implements backend.Backend.
func (b *Backend) Remove(ctx context.Context, h backend.Handle) error {
	c, release, err := b.begin(ctx, h)
	if err != nil {
		return fmt.Errorf("remove %s: %w", h, err)
	}
	defer release()
	err = c.client.Remove(b.path(h))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", h, b.translate(c, err))
	}
	return nil
}

// Close implements backend.Backend: it ends the ssh process (killing it
// if it does not exit within a second) and waits for it.
func (b *Backend) Close() error {
	b.connMu <- struct{}{}
	if !b.closed {
		b.closed = true
		if b.cur != nil {
			b.retire(b.cur)
		}
	}
	<-b.connMu
	b.closing.Wait()
	return nil
}
