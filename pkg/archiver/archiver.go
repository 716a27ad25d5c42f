package archiver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/internal/bufpool"
	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Options tune a backup. The zero value means defaults.
type Options struct {
	Exclude Exclusions // what is left out below the targets
	// OneFileSystem stays on the file system of each target (restic's
	// --one-file-system): entries below it on another are left out, but
	// for mount points, saved as empty directories. Bind mounts of the
	// same device are crossed, as restic crosses them.
	OneFileSystem bool
	Files         int          // files read at once; 0 means 2 x GOMAXPROCS
	Logger        *slog.Logger // nil discards
	// Progress, if set, is called after each file with the running totals.
	Progress func(Stats)
	// Reading, if set, is called with true when the content of the file
	// at path starts being read and with false when that is over, from
	// several goroutines at once: which files a backup is reading now.
	Reading func(path string, reading bool)
	// Virtual are files stored in the snapshot that are not on disk.
	Virtual []VirtualFile

	// beforeOpen lets tests change a file between lstat and open.
	beforeOpen func(path string)
}

// Stats count what a backup saw; they become the snapshot's summary.
type Stats struct {
	FilesNew, FilesChanged, FilesUnmodified uint
	DirsNew, DirsChanged, DirsUnmodified    uint
	BytesProcessed                          uint64
	FilesProcessed                          uint
	// Errors counts the files and directories skipped with a warning
	// (Result.Warnings); the snapshot's summary has no place for it.
	Errors uint
}

// Warning is a file that could not be saved completely; the backup goes on
// without it, as restic's does, and the snapshot is marked incomplete by the
// caller's exit code.
type Warning struct {
	Path string
	Err  error
}

func (w Warning) Error() string { return fmt.Sprintf("%s: %v", w.Path, w.Err) }

// Result is what Save produced.
type Result struct {
	Tree     format.ID
	Stats    Stats
	Warnings []Warning
	// Virtual are the stored nodes of Options.Virtual by path, for a later
	// Save to reuse as VirtualFile.Node.
	Virtual map[string]*format.Node
}

// Saver is the part of repo.BlobSaver the archiver needs.
type Saver interface {
	SaveBlob(ctx context.Context, t format.BlobType, data []byte) (format.ID, bool, error)
	SaveBlobID(ctx context.Context, t format.BlobType, id format.ID, data []byte) (bool, error)
}

type archiver struct {
	r         *repo.Repository
	s         Saver
	opts      Options
	files     chan struct{} // semaphore for files being read
	bigFiles  chan struct{} // semaphore for files of directMin bytes or more
	chunks    chan struct{} // semaphore for chunks being saved off the reader
	chunkers  *chunkerPools
	chunkBufs *bufpool.Pool // copies of chunks in flight

	mu       sync.Mutex
	stats    Stats
	warnings []Warning
	virtual  map[string]*format.Node
}

// Save backs up targets (absolute, cleaned paths) into blobs of s and
// returns the root tree. parent is the root tree of the parent snapshot, or
// nil.
func Save(ctx context.Context, r *repo.Repository, s Saver, targets []string, parent *format.ID, opts Options) (Result, error) {
	if opts.Files == 0 {
		opts.Files = 2 * runtime.GOMAXPROCS(0)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	for _, t := range targets {
		if !filepath.IsAbs(t) || filepath.Clean(t) != t {
			return Result{}, fmt.Errorf("backup target %q is not an absolute, clean path", t)
		}
	}
	if err := opts.Exclude.Check(); err != nil {
		return Result{}, err
	}
	opts.Exclude = opts.Exclude.compiled()
	if err := checkVirtual(targets, opts.Virtual); err != nil {
		return Result{}, err
	}
	a := newArchiver(r, s, opts)
	root := buildVirtual(targets)
	addVirtual(root, opts.Virtual)
	tree, err := a.saveVirtual(ctx, "/", root, parent)
	if err != nil {
		return Result{}, err
	}
	return Result{Tree: tree, Stats: a.stats, Warnings: a.warnings, Virtual: a.virtual}, nil
}

func newArchiver(r *repo.Repository, s Saver, opts Options) *archiver {
	return &archiver{r: r, s: s, opts: opts, files: make(chan struct{}, opts.Files),
		bigFiles:  make(chan struct{}, bigFileReaders(opts.Files)),
		chunks:    make(chan struct{}, chunksInFlight()),
		chunkBufs: bufpool.New(chunksInFlight(), 16<<20),
		chunkers:  newChunkerPools(r.Polynomial(), opts.Files)}
}

func (a *archiver) warn(path string, err error) {
	a.opts.Logger.Warn("skipping", "path", path, "err", err)
	a.mu.Lock()
	a.warnings = append(a.warnings, Warning{Path: path, Err: err})
	a.mu.Unlock()
	a.progress(func(s *Stats) { s.Errors++ })
}

// vdir is the part of the root tree above the targets: the components of
// their paths, which become directories with their real metadata.
type vdir struct {
	children map[string]*vdir
	target   bool // this path is itself a target
	// synthetic: only virtual files are below, the directory need not
	// exist on disk; modTime is the newest of theirs.
	synthetic bool
	modTime   time.Time
	file      *VirtualFile // this path is a virtual file
}

func buildVirtual(targets []string) *vdir {
	root := &vdir{children: map[string]*vdir{}}
	for _, t := range targets {
		v := root
		for _, name := range splitPath(t) {
			if v.target {
				break // an ancestor is a target already and covers this one
			}
			c, ok := v.children[name]
			if !ok {
				c = &vdir{children: map[string]*vdir{}}
				v.children[name] = c
			}
			c.synthetic = false
			v = c
		}
		v.target, v.children = true, nil
	}
	return root
}

func splitPath(p string) []string {
	var parts []string
	for p != "/" && p != "." && p != "" {
		parts = append(parts, filepath.Base(p))
		p = filepath.Dir(p)
	}
	slices.Reverse(parts)
	return parts
}

// saveVirtual stores the tree of v's children; targets are saved in full,
// intermediate directories only with the targets below them.
func (a *archiver) saveVirtual(ctx context.Context, dir string, v *vdir, parent *format.ID) (format.ID, error) {
	old := a.loadParent(ctx, parent)
	names := make([]string, 0, len(v.children))
	for name := range v.children {
		names = append(names, name)
	}
	slices.Sort(names)
	nodes := make([]*format.Node, len(names))
	// A failure below must also stop the streams of virtual files started
	// before it, and wait for them.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(cctx)
	fail := func(err error) (format.ID, error) {
		cancel()
		// A sibling's failure cancelled err's work: report the cause.
		if werr := g.Wait(); werr != nil && errors.Is(err, context.Canceled) && !errors.Is(werr, context.Canceled) {
			err = werr
		}
		return format.ID{}, err
	}
	for i, name := range names {
		c, path := v.children[name], filepath.Join(dir, name)
		if c.file != nil {
			n, f, o := virtualNode(name, c.file), c.file, old[name]
			nodes[i] = n
			g.Go(func() error { return a.saveVirtualFile(gctx, path, f, n, o) })
			continue
		}
		n, err := a.virtualDirNode(path, c)
		if err != nil {
			return fail(err)
		}
		if !c.target {
			if n.Type != format.NodeDir {
				return fail(fmt.Errorf("%s is not a directory", path))
			}
			sub, err := a.saveVirtual(gctx, path, c, subtreeOf(old[name]))
			if err != nil {
				return fail(err)
			}
			n.Subtree = &sub
			nodes[i] = n
			continue
		}
		if a.targetExcluded(path, n) {
			nodes[i] = &format.Node{} // dropped, as restic drops it
			continue
		}
		nodes[i] = n
		a.saveEntry(gctx, g, path, n, old[name])
	}
	if err := g.Wait(); err != nil {
		return format.ID{}, err
	}
	return a.saveTree(ctx, slices.DeleteFunc(nodes, dropped))
}

// virtualDirNode is the node of a directory above the targets or virtual
// files: its real metadata, unless it exists only in the snapshot.
func (a *archiver) virtualDirNode(path string, c *vdir) (*format.Node, error) {
	if c.synthetic {
		return syntheticDir(filepath.Base(path), c.modTime), nil
	}
	n, err := fsnode.FromLstat(path)
	if err != nil {
		return nil, fmt.Errorf("backup target %s: %w", path, err)
	}
	return n, nil
}

// dropped reports a node whose file could not be read (see saveFile).
func dropped(n *format.Node) bool { return n.Type == "" }

// saveEntry schedules the content of one entry: a file's chunks or a
// directory's tree. Other types carry everything in their node.
// saveEntry starts saving a file or directory below the one being saved.
// It fails only when ctx is done before the entry could start: the entry
// would stay without content, and its tree must not be written.
func (a *archiver) saveEntry(ctx context.Context, g *errgroup.Group, path string, n, old *format.Node) error {
	switch n.Type {
	case format.NodeFile:
		if a.reuse(n, old) {
			return nil // most files of a scheduled backup: no goroutine for them
		}
		select {
		case a.files <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		g.Go(func() error {
			defer func() { <-a.files }()
			return a.saveFile(ctx, path, n, old)
		})
	case format.NodeDir:
		g.Go(func() error {
			sub, err := a.saveDir(ctx, path, subtreeOf(old), n.DeviceID)
			if err != nil {
				return err
			}
			n.Subtree = &sub
			a.countDir(old, sub)
			return nil
		})
	}
	return nil
}

func subtreeOf(n *format.Node) *format.ID {
	if n == nil || n.Type != format.NodeDir {
		return nil
	}
	return n.Subtree
}

// loadParent returns the nodes of a parent tree by name; a parent that
// cannot be loaded only costs speed, so errors are logged, not returned.
func (a *archiver) loadParent(ctx context.Context, id *format.ID) map[string]*format.Node {
	if id == nil {
		return nil
	}
	t, err := a.r.LoadTreeCached(ctx, *id)
	if err != nil {
		a.opts.Logger.Warn("cannot load parent tree; files will be read again", "tree", id.Str(), "err", err)
		return nil
	}
	m := make(map[string]*format.Node, len(t.Nodes))
	for _, n := range t.Nodes {
		m[n.Name] = n
	}
	return m
}

// saveDir stores the tree of a directory, on device dev, and everything
// below it.
func (a *archiver) saveDir(ctx context.Context, dir string, parent *format.ID, dev uint64) (format.ID, error) {
	old := a.loadParent(ctx, parent)
	entries, err := os.ReadDir(dir)
	if err != nil && len(entries) == 0 {
		a.warn(dir, err)
		return a.saveTree(ctx, nil)
	}
	nodes := make([]*format.Node, 0, len(entries))
	markers := a.opts.Exclude.markersIn(dir)
	g, gctx := errgroup.WithContext(ctx)
	for _, e := range entries { // ReadDir sorts by name, bytewise: restic's order
		path := filepath.Join(dir, e.Name())
		if a.excluded(path, e, markers) {
			continue
		}
		prev := old[e.Name()]
		n, err := fsnode.FromLstatSince(path, prev)
		if errors.Is(err, fsnode.ErrSocket) {
			continue // restic does not store sockets
		}
		if err != nil {
			a.warn(path, err)
			continue
		}
		if a.opts.OneFileSystem && n.DeviceID != dev {
			if n.Type == format.NodeDir {
				if err := a.saveMountPoint(ctx, n, prev); err != nil {
					return format.ID{}, err
				}
				nodes = append(nodes, n)
			}
			continue
		}
		nodes = append(nodes, n)
		if err := a.saveEntry(gctx, g, path, n, prev); err != nil {
			// An entry below failed, or the backup was cancelled: g.Wait
			// says which.
			break
		}
	}
	if err := cmp.Or(g.Wait(), context.Cause(ctx)); err != nil {
		return format.ID{}, err
	}
	return a.saveTree(ctx, slices.DeleteFunc(nodes, dropped))
}

// saveMountPoint gives n, a directory on another file system, an empty
// tree: --one-file-system keeps mount points, not what is mounted.
func (a *archiver) saveMountPoint(ctx context.Context, n, old *format.Node) error {
	sub, err := a.saveTree(ctx, nil)
	if err != nil {
		return err
	}
	n.Subtree = &sub
	a.countDir(old, sub)
	return nil
}

// targetExcluded reports whether the target at path, of node n, is left
// out: restic applies the exclusions to the targets too, a marker in the
// directory above a target included.
func (a *archiver) targetExcluded(path string, n *format.Node) bool {
	e := a.opts.Exclude
	for _, m := range e.markersIn(filepath.Dir(path)) {
		if filepath.Base(path) != m {
			return true
		}
	}
	return e.byName(path) || (e.LargerThan > 0 && n.Type != format.NodeDir && int64(n.Size) > e.LargerThan)
}

// excluded reports whether the entry e at path, in a directory holding
// markers, is left out.
func (a *archiver) excluded(path string, e os.DirEntry, markers []string) bool {
	for _, m := range markers {
		if e.Name() != m {
			return true
		}
	}
	return a.opts.Exclude.byName(path) || a.opts.Exclude.bySize(e)
}

func (a *archiver) saveTree(ctx context.Context, nodes []*format.Node) (format.ID, error) {
	data, err := format.EncodeTree(nodes)
	if err != nil {
		return format.ID{}, err
	}
	id, _, err := a.s.SaveBlob(ctx, format.TreeBlob, data)
	return id, err
}

func (a *archiver) countDir(old *format.Node, sub format.ID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case old == nil || old.Subtree == nil:
		a.stats.DirsNew++
	case *old.Subtree == sub:
		a.stats.DirsUnmodified++
	default:
		a.stats.DirsChanged++
	}
}

// unchanged is restic's rule for reusing a parent's content without reading
// the file (docs/format.md §11.2).
func (a *archiver) unchanged(n, old *format.Node) bool {
	if old == nil || old.Type != format.NodeFile || old.Size != n.Size || old.Inode != n.Inode ||
		!old.ModTime.Equal(n.ModTime) || !old.ChangeTime.Equal(n.ChangeTime) || old.Content == nil {
		return false
	}
	for _, id := range old.Content {
		if !a.r.Index().Has(format.BlobHandle{ID: id, Type: format.DataBlob}) {
			return false
		}
	}
	return true
}

// progress updates the totals after a file and reports them.
func (a *archiver) progress(update func(*Stats)) {
	a.mu.Lock()
	update(&a.stats)
	s := a.stats
	a.mu.Unlock()
	if a.opts.Progress != nil {
		a.opts.Progress(s)
	}
}
