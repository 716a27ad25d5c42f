package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// comparer walks a snapshot's trees on one goroutine and hashes file
// content on others.
type comparer struct {
	r    *repo.Repository
	root string // the restore directory
	opts Options
	g    *errgroup.Group
	bufs sync.Pool // *[]byte read buffers

	hard map[[2]uint64]hardlink // (device_id, inode) in the snapshot; walker only

	mu  sync.Mutex
	rep Report
}

// hardlink is the first name seen of a hardlinked file, and its restored
// inode.
type hardlink struct {
	path string
	ino  uint64
}

// readBufSize is the size of the buffers content is hashed through.
const readBufSize = 256 << 10

func (c *comparer) run(ctx context.Context, tree format.ID) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Files)
	c.g = g
	c.bufs.New = func() any { b := make([]byte, readBufSize); return &b }
	werr := c.dir(gctx, tree, "/")
	// A failed hash job cancels gctx, which stops the walker: its error
	// says more than the walker's.
	if err := g.Wait(); err != nil {
		return err
	}
	return werr
}

// local returns where the entry at snapshot path p was restored.
func (c *comparer) local(p string) string {
	return filepath.Join(c.root, filepath.FromSlash(p))
}

func (c *comparer) mismatch(p string, k Kind, want, got string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rep.MismatchCount++
	if len(c.rep.Mismatches) < MaxMismatches {
		c.rep.Mismatches = append(c.rep.Mismatches, &Mismatch{Path: p, Kind: k, Want: want, Got: got})
	}
}

func (c *comparer) count(f func(*Report)) {
	c.mu.Lock()
	f(&c.rep)
	c.mu.Unlock()
}

// dir compares the restored directory at snapshot path p with tree id:
// each node, then that nothing else is there.
func (c *comparer) dir(ctx context.Context, id format.ID, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := c.r.LoadTree(ctx, id)
	if err != nil {
		return fmt.Errorf("%q: %w", p, err)
	}
	names := make(map[string]bool, len(t.Nodes))
	for _, n := range t.Nodes {
		// A name like ".." would make the comparison look outside the
		// restore; such a tree is corrupt.
		if err := format.ValidateName(n.Name); err != nil {
			return fmt.Errorf("%q: tree %v: %w", p, id.Str(), err)
		}
		names[n.Name] = true
		if err := c.node(ctx, path.Join(p, n.Name), n); err != nil {
			return err
		}
	}
	return c.extras(p, names)
}

// extras reports restored entries of directory p that the tree does not
// name.
func (c *comparer) extras(p string, names map[string]bool) error {
	f, err := os.Open(c.local(p))
	if err != nil {
		return fmt.Errorf("%q: list the restored directory: %w", p, err)
	}
	defer f.Close()
	got, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("%q: list the restored directory: %w", p, err)
	}
	for _, name := range got {
		if !names[name] {
			q := path.Join(p, name)
			what := "entry"
			if fi, err := os.Lstat(c.local(q)); err == nil {
				what = string(nodeType(fi.Mode()))
			}
			c.mismatch(q, Extra, "", what)
		}
	}
	return nil
}

// node compares one entry and, for a directory, what is below it.
func (c *comparer) node(ctx context.Context, p string, n *format.Node) error {
	fi, err := os.Lstat(c.local(p))
	if errors.Is(err, fs.ErrNotExist) {
		c.mismatch(p, Missing, string(n.Type), "")
		return nil
	}
	if err != nil {
		return fmt.Errorf("%q: %w", p, err)
	}
	if got := nodeType(fi.Mode()); got != n.Type {
		c.mismatch(p, WrongType, string(n.Type), string(got))
		return nil
	}
	c.metadata(p, n, fi)
	switch n.Type {
	case format.NodeDir:
		if n.Subtree == nil {
			return fmt.Errorf("%q: directory node without subtree", p)
		}
		c.count(func(r *Report) { r.Dirs++ })
		return c.subdir(ctx, p, n, fi)
	case format.NodeFile:
		c.hardlink(p, n, fi)
		c.g.Go(func() error { return c.content(ctx, p, n, fi.Size()) })
	case format.NodeSymlink:
		return c.symlink(p, n)
	case format.NodeDev, format.NodeCharDev:
		if got := uint64(fi.Sys().(*syscall.Stat_t).Rdev); got != n.Device {
			c.mismatch(p, WrongDevice, fmt.Sprintf("%#x", n.Device), fmt.Sprintf("%#x", got))
			return nil
		}
		c.count(func(r *Report) { r.Other++ })
	default:
		c.count(func(r *Report) { r.Other++ })
	}
	return nil
}

// subdir descends into a restored directory. Without root, a directory
// restored without read and search permission for its owner cannot be
// listed: the scratch copy is ours, so it is opened up for the walk, its
// mode (compared already) put back afterwards.
func (c *comparer) subdir(ctx context.Context, p string, n *format.Node, fi fs.FileInfo) error {
	if os.Geteuid() != 0 && fi.Mode().Perm()&0o500 != 0o500 {
		local := c.local(p)
		if err := os.Chmod(local, fi.Mode().Perm()|0o700); err != nil {
			return fmt.Errorf("%q: make the restored directory readable: %w", p, err)
		}
		defer os.Chmod(local, fi.Mode()&restoredModeBits)
	}
	return c.dir(ctx, *n.Subtree, p)
}

// restoredModeBits are the mode bits a restore sets.
const restoredModeBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// metadata compares mode bits (symlinks have fixed ones on Linux) and the
// modification time.
func (c *comparer) metadata(p string, n *format.Node, fi fs.FileInfo) {
	if n.Type != format.NodeSymlink {
		if want, got := n.Mode&restoredModeBits, fi.Mode()&restoredModeBits; want != got {
			c.mismatch(p, WrongMode, fmt.Sprintf("%#o", format.ModeToUnix(want)), fmt.Sprintf("%#o", format.ModeToUnix(got)))
		}
	}
	if want, got := n.ModTime, fi.ModTime(); !want.Equal(got) {
		c.mismatch(p, WrongModTime, want.UTC().Format(timeFormat), got.UTC().Format(timeFormat))
	}
}

const timeFormat = "2006-01-02T15:04:05.000000000Z"

func (c *comparer) symlink(p string, n *format.Node) error {
	got, err := os.Readlink(c.local(p))
	if err != nil {
		return fmt.Errorf("%q: %w", p, err)
	}
	if want := fsnode.LinkTarget(n); got != want {
		c.mismatch(p, WrongLink, fmt.Sprintf("%q", want), fmt.Sprintf("%q", got))
		return nil
	}
	c.count(func(r *Report) { r.Symlinks++ })
	return nil
}

// hardlink checks that the names of one hardlinked file in the snapshot
// (links > 1, same device and inode, restic's rule) were restored as one
// file.
func (c *comparer) hardlink(p string, n *format.Node, fi fs.FileInfo) {
	if n.Links <= 1 {
		return
	}
	key := [2]uint64{n.DeviceID, n.Inode}
	ino := fi.Sys().(*syscall.Stat_t).Ino
	first, ok := c.hard[key]
	if !ok {
		c.hard[key] = hardlink{path: p, ino: ino}
		return
	}
	if first.ino != ino {
		c.mismatch(p, NotHardlinked, fmt.Sprintf("a hardlink of %q", first.path), "a separate file")
	}
}

// nodeType returns the node type an entry of mode m is stored as.
func nodeType(m fs.FileMode) format.NodeType {
	switch {
	case m.IsRegular():
		return format.NodeFile
	case m.IsDir():
		return format.NodeDir
	case m&fs.ModeSymlink != 0:
		return format.NodeSymlink
	case m&fs.ModeNamedPipe != 0:
		return format.NodeFifo
	case m&fs.ModeSocket != 0:
		return format.NodeSocket
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		return format.NodeCharDev
	case m&fs.ModeDevice != 0:
		return format.NodeDev
	}
	return format.NodeIrregular
}
