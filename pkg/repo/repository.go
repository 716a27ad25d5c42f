package repo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"sync/atomic"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/chunker"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// Errors callers branch on (the CLI maps them to exit codes).
var (
	ErrNoRepository  = errors.New("repository does not exist")
	ErrAlreadyExists = errors.New("repository already exists")
	ErrWrongPassword = crypto.ErrWrongPassword
)

// maxKeyFiles is how many key files Open tries, like restic: scrypt is slow
// on purpose, and a repository with more keys is unusual.
const maxKeyFiles = 20

// DefaultTreeCache is a tree cache for a long-running process: the trees of
// ~200,000 files.
const DefaultTreeCache = 64 << 20

// Options tune an open repository. The zero value means defaults.
type Options struct {
	Compression compress.Mode // blob compression in version 2 repositories
	PackSize    int           // target pack size in bytes; 0 means 16 MiB
	Uploads     int           // packs uploaded at once; 0 means 4
	TempDir     string        // for packs being written, unless the backend takes them in place; "" means os.TempDir()
	Logger      *slog.Logger  // nil discards
	// LockRetry is how long WithLock keeps trying while another process
	// holds a conflicting lock (restic's --retry-lock); 0 fails at once.
	LockRetry time.Duration
	// TreeCache bounds the memory, in bytes, of the decoded trees
	// LoadTreeCached keeps; 0 keeps none (one-shot commands gain nothing).
	// DefaultTreeCache suits a daemon.
	TreeCache int64
	// LockOwner, if set, marks the locks this process writes and
	// recognises those of dead drydocks of the same installation, which
	// are then removed wherever locks are read (internal/lockowner).
	LockOwner LockOwner
	// Cache, if set, puts a local cache in front of the backend once Open
	// has read the config: it gets the repository's ID and the backend,
	// and what it returns serves everything after (the key and config
	// files are always read from the repository itself).
	Cache func(repoID string, be backend.Backend) backend.Backend
	// LeftLocks, if set, collects our lock files that could not be
	// removed, for the next lock to remove; nil gives the Repository one
	// of its own.
	LeftLocks *LeftLocks
}

// LockOwner is what the lock code needs of internal/lockowner.Owner.
type LockOwner interface {
	// Mark stamps a lock about to be written as this process's.
	Mark(doc *format.Lock)
	// Dead tells whether a lock's process is provably no longer running.
	Dead(doc format.Lock) bool
	// Left records that a lock file of ours could not be removed.
	Left()
}

func (o Options) withDefaults() Options {
	if o.PackSize == 0 {
		o.PackSize = 16 << 20
	}
	if o.Uploads == 0 {
		o.Uploads = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LeftLocks == nil {
		o.LeftLocks = new(LeftLocks)
	}
	return o
}

// Repository is an opened repository: its backend, master key and config.
// Its methods are safe for concurrent use.
type Repository struct {
	be    backend.Backend
	key   *crypto.Key
	keyID format.ID
	// keyFile is the key file that opened the repository (nil after Init
	// or a password change): the location's key hint.
	keyFile []byte
	cfg     format.Config
	opts    Options
	idx     atomic.Pointer[index.Index]
	idxs    idxState // what idx was built from, for Refresh

	trees     *treeCache
	treeLoads atomic.Uint64
	treeHits  atomic.Uint64
}

// InitOptions choose the parameters of a new repository.
type InitOptions struct {
	Version uint          // 1 or 2; 0 means 2, restic's default since 0.14
	KDF     crypto.Params // zero means crypto.DefaultParams
	// Polynomial is the chunker polynomial; 0 means a random one. Another
	// repository's (init --copy-chunker-params) makes the same files cut
	// into the same blobs, so that copied snapshots and later backups
	// share their data.
	Polynomial chunker.Pol
}

// Init creates a repository in be: a key file for password, then the
// config, in that order like restic. It refuses if a config exists.
func Init(ctx context.Context, be backend.Backend, password string, init InitOptions, opts Options) (*Repository, error) {
	if _, err := be.Stat(ctx, backend.Handle{Type: backend.ConfigFile}); err == nil {
		return nil, ErrAlreadyExists
	} else if !errors.Is(err, backend.ErrNotExist) {
		return nil, fmt.Errorf("check for an existing config: %w", err)
	}
	if init.Version == 0 {
		init.Version = format.Version2
	}
	if init.KDF == (crypto.Params{}) {
		init.KDF = crypto.DefaultParams
	}
	pol, err := initPolynomial(init.Polynomial)
	if err != nil {
		return nil, err
	}
	var rid [32]byte
	if _, err := io.ReadFull(rand.Reader, rid[:]); err != nil {
		return nil, err
	}
	cfg := format.Config{Version: init.Version, ID: hex.EncodeToString(rid[:]), ChunkerPolynomial: format.Polynomial(pol)}
	master, err := crypto.NewRandomKey()
	if err != nil {
		return nil, err
	}
	r := &Repository{be: be, key: master, cfg: cfg, opts: opts.withDefaults()}
	r.trees = newTreeCache(r.opts.TreeCache)
	r.idxs.reset(nil)
	r.idx.Store(index.New())
	if r.keyID, err = r.AddKeyWith(ctx, password, KeyOptions{KDF: init.KDF}); err != nil {
		return nil, err
	}
	plain, err := format.EncodeConfig(&cfg)
	if err != nil {
		return nil, err
	}
	sealed, err := master.SealBox(nil, plain)
	if err != nil {
		return nil, err
	}
	if err := be.Save(ctx, backend.Handle{Type: backend.ConfigFile}, backend.NewByteReader(sealed)); err != nil {
		return nil, fmt.Errorf("save config: %w", err)
	}
	return r, nil
}

// initPolynomial is pol if it is valid, a random one if pol is 0.
func initPolynomial(pol chunker.Pol) (chunker.Pol, error) {
	if pol == 0 {
		return chunker.RandomPol(nil)
	}
	if err := pol.Validate(); err != nil {
		return 0, fmt.Errorf("chunker polynomial %v: %w", pol, err)
	}
	return pol, nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// Open opens the repository in be with password and reads its config. The
// index is not loaded; see LoadIndex.
func Open(ctx context.Context, be backend.Backend, password string, opts Options) (*Repository, error) {
	r := &Repository{be: be, opts: opts.withDefaults()}
	r.trees = newTreeCache(r.opts.TreeCache)
	r.idx.Store(index.New())
	sealed, err := r.loadRaw(ctx, backend.Handle{Type: backend.ConfigFile})
	if errors.Is(err, backend.ErrNotExist) || errors.Is(err, backend.ErrLocationMissing) {
		return nil, fmt.Errorf("%w: no config file", ErrNoRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	if err := r.openKey(ctx, password); err != nil {
		return nil, err
	}
	plain, err := r.key.OpenBox(nil, sealed)
	if err != nil {
		return nil, fmt.Errorf("decrypt config: %w (the key file does not belong to this config)", err)
	}
	cfg, err := format.DecodeConfig(plain)
	if err != nil {
		return nil, err
	}
	if err := chunker.Pol(cfg.ChunkerPolynomial).Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	r.cfg = *cfg
	if r.opts.Cache != nil {
		r.be = r.opts.Cache(cfg.ID, r.be)
	}
	return r, nil
}

// openKey tries the key files until one opens with password. A key file
// that cannot be loaded or parsed is skipped with a warning, as restic
// does: one damaged file must not lock out every password. If no file
// opened and none even got as far as checking the password, the error says
// that the key files are damaged rather than that the password is wrong.
func (r *Repository) openKey(ctx context.Context, password string) error {
	var names []string
	err := r.be.List(ctx, backend.KeyFile, func(name string, _ int64) error {
		names = append(names, name)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list keys: %w", err)
	}
	if len(names) == 0 {
		return fmt.Errorf("%w: no key files", ErrNoRepository)
	}
	var unreadable []error
	for i, name := range names {
		if i == maxKeyFiles {
			break
		}
		key, data, err := r.tryKey(ctx, name, password)
		switch {
		case err == nil:
			r.key, r.keyID, r.keyFile = key, format.Hash(data), data
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("open key: %w", ctx.Err())
		case errors.Is(err, crypto.ErrWrongPassword):
		default:
			r.opts.Logger.Warn("skipping unreadable key file", "key", shortName(name), "err", err)
			unreadable = append(unreadable, err)
		}
	}
	tried := min(len(names), maxKeyFiles)
	switch {
	case len(unreadable) == 0:
		return ErrWrongPassword
	case len(unreadable) == tried:
		return fmt.Errorf("no key file could be read, so the password could not be checked (%d damaged or unreadable): %w",
			len(unreadable), errors.Join(unreadable...))
	}
	return fmt.Errorf("%w (%d of %d key files could not be read: %w)", ErrWrongPassword, len(unreadable), tried, errors.Join(unreadable...))
}

// tryKey loads the key file name and opens it with password; it also
// returns the file's bytes, whose hash is the key's ID.
func (r *Repository) tryKey(ctx context.Context, name, password string) (*crypto.Key, []byte, error) {
	data, err := r.loadRaw(ctx, backend.Handle{Type: backend.KeyFile, Name: name})
	if err != nil {
		return nil, nil, fmt.Errorf("load key %s: %w", shortName(name), err)
	}
	key, err := crypto.OpenKeyFile(data, password)
	if err != nil && !errors.Is(err, crypto.ErrWrongPassword) {
		return nil, nil, fmt.Errorf("key %s: %w", shortName(name), err)
	}
	return key, data, err
}

// shortName is the first 8 characters of a file name, as restic shows IDs;
// listing may return shorter names of stray files.
func shortName(name string) string {
	if len(name) > 8 {
		return name[:8]
	}
	return name
}

// Config returns the repository's config.
func (r *Repository) Config() format.Config { return r.cfg }

// Polynomial returns the chunker polynomial files must be cut with.
func (r *Repository) Polynomial() chunker.Pol { return chunker.Pol(r.cfg.ChunkerPolynomial) }

// Backend returns the storage the repository lives in.
func (r *Repository) Backend() backend.Backend { return r.be }

// Key returns the master key.
func (r *Repository) Key() *crypto.Key { return r.key }

// loadRaw reads a whole file and, for content-addressed files, checks that
// its SHA-256 is its name, as restic does.
// LoadRaw returns a file as stored (a pack, a key file), once its content
// has been checked against its name.
func (r *Repository) LoadRaw(ctx context.Context, h backend.Handle) ([]byte, error) {
	return r.loadRaw(ctx, h)
}

func (r *Repository) loadRaw(ctx context.Context, h backend.Handle) ([]byte, error) {
	var buf bytes.Buffer
	err := r.be.Load(ctx, h, 0, 0, func(rd io.Reader) error {
		buf.Reset()
		_, err := buf.ReadFrom(rd)
		return err
	})
	if err != nil {
		return nil, err
	}
	if h.Type != backend.ConfigFile && format.Hash(buf.Bytes()).String() != h.Name {
		return nil, fmt.Errorf("%v: %w: content does not match its name", h, ErrCorrupt)
	}
	return buf.Bytes(), nil
}

// ErrCorrupt marks data that is in the repository but damaged: an index,
// snapshot or lock file here, a pack or blob in package pack. It is
// pack.ErrCorrupt, so that errors.Is finds damage from every layer.
var ErrCorrupt = pack.ErrCorrupt

// LoadUnpacked reads, verifies, decrypts and decodes an index, snapshot or
// lock file and returns its JSON.
func (r *Repository) LoadUnpacked(ctx context.Context, t backend.FileType, id format.ID) ([]byte, error) {
	h := backend.Handle{Type: t, Name: id.String()}
	sealed, err := r.loadRaw(ctx, h)
	if err != nil {
		return nil, err
	}
	plain, err := r.key.OpenBox(nil, sealed)
	if err != nil {
		return nil, fmt.Errorf("%v: %w: %w", h, ErrCorrupt, err)
	}
	doc, err := format.DecodeUnpacked(r.cfg.Version, plain)
	if err != nil {
		return nil, fmt.Errorf("%v: %w: %w", h, ErrCorrupt, err)
	}
	return doc, nil
}

// SaveUnpacked encodes (0x02+zstd in version 2), encrypts and stores doc
// and returns the new file's ID.
//
// On a failed save the file's would-be ID is returned with the error.
func (r *Repository) SaveUnpacked(ctx context.Context, t backend.FileType, doc []byte) (format.ID, error) {
	plain, err := format.EncodeUnpacked(r.cfg.Version, doc, r.opts.Compression)
	if err != nil {
		return format.ID{}, err
	}
	sealed, err := r.key.SealBox(nil, plain)
	if err != nil {
		return format.ID{}, err
	}
	id := format.Hash(sealed)
	if err := r.be.Save(ctx, backend.Handle{Type: t, Name: id.String()}, backend.NewByteReader(sealed)); err != nil {
		// The ID comes back with the error: the file may exist anyway (a
		// timeout after the upload succeeded), and a lock must be removed.
		return id, fmt.Errorf("save %v %v: %w", t, id.Str(), err)
	}
	return id, nil
}

// List returns the IDs of all files of type t.
func (r *Repository) List(ctx context.Context, t backend.FileType) ([]format.ID, error) {
	var ids []format.ID
	add := func(name string) error {
		if id, err := format.ParseID(name); err == nil {
			ids = append(ids, id)
		}
		return nil
	}
	err := backend.ListNames(ctx, r.be, t, add)
	if err != nil {
		return nil, fmt.Errorf("list %vs: %w", t, err)
	}
	return ids, nil
}
