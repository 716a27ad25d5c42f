// Package restorer writes a snapshot's tree back to a directory: content,
// hardlink groups, and metadata (owner, mode, xattrs, times) as restic's
// restore does. Files are written by several goroutines at once; directory
// metadata is applied last, deepest first, so that writing their children
// does not change their times again.
package restorer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Options tune a restore. The zero value means defaults.
type Options struct {
	// Include, if not empty, restores only entries whose snapshot path
	// matches one of these patterns (filepath.Match on the path or on any
	// of its parent directories), and the directories leading to them.
	Include []string
	Files   int // files written at once; 0 means 8
	Logger  *slog.Logger
}

// Stats count what was restored.
type Stats struct {
	Files, Dirs, Links, Other int
	Bytes                     uint64
}

type restorer struct {
	r      *repo.Repository
	target string
	opts   Options
	g      *errgroup.Group
	gctx   context.Context

	dirs  fsnode.DirQueue      // metadata applied at the end, deepest first
	hard  fsnode.HardlinkIndex // first path of each hardlink group
	mu    sync.Mutex
	stats Stats
	links [][2]string // (existing, new) hardlinks to make after all files
	bufs  sync.Pool   // *[]byte for blob plaintexts
}

// Restore writes the tree with ID root below target, which is created if
// needed.
func Restore(ctx context.Context, r *repo.Repository, root format.ID, target string, opts Options) (Stats, error) {
	if opts.Files == 0 {
		opts.Files = 8
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(target, 0o700); err != nil {
		return Stats{}, fmt.Errorf("restore target: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Files)
	rs := &restorer{r: r, target: target, opts: opts, g: g, gctx: gctx}
	rs.bufs.New = func() any { return new([]byte) }
	werr := rs.walk(gctx, root, "/", len(opts.Include) == 0)
	if err := errors.Join(werr, g.Wait()); err != nil {
		return rs.stats, err
	}
	for _, l := range rs.links {
		if err := os.Link(l[0], l[1]); err != nil {
			return rs.stats, fmt.Errorf("hardlink %s: %w", l[1], err)
		}
		rs.stats.Links++
	}
	return rs.stats, rs.dirs.Apply()
}

// selected reports whether the entry at snapshot path p is to be restored
// itself (all of it) or only partly, because something below it is.
func (rs *restorer) selected(p string, isDir bool) (whole, partly bool) {
	for _, pat := range rs.opts.Include {
		for q := p; q != "/"; q = path.Dir(q) {
			if ok, _ := path.Match(pat, q); ok {
				return true, false
			}
		}
		// A directory that is a prefix of a pattern may hold matches.
		if isDir && strings.HasPrefix(pat, p+"/") {
			partly = true
		}
	}
	return false, partly
}

// walk restores the entries of a tree; all means everything below dir is
// included.
func (rs *restorer) walk(ctx context.Context, tree format.ID, dir string, all bool) error {
	t, err := rs.r.LoadTree(ctx, tree)
	if err != nil {
		return err
	}
	for _, n := range t.Nodes {
		p := path.Join(dir, n.Name)
		whole, partly := all, false
		if !all {
			whole, partly = rs.selected(p, n.Type == format.NodeDir)
		}
		if !whole && !partly {
			continue
		}
		if err := rs.restoreNode(ctx, p, n, whole); err != nil {
			return err
		}
	}
	return nil
}

func (rs *restorer) restoreNode(ctx context.Context, p string, n *format.Node, whole bool) error {
	dst := filepath.Join(rs.target, filepath.FromSlash(p))
	switch n.Type {
	case format.NodeDir:
		if err := os.MkdirAll(dst, 0o700); err != nil {
			return err
		}
		rs.dirs.Add(dst, n)
		rs.mu.Lock()
		rs.stats.Dirs++
		rs.mu.Unlock()
		if n.Subtree == nil {
			return fmt.Errorf("%s: directory without subtree", p)
		}
		return rs.walk(ctx, *n.Subtree, p, whole)
	case format.NodeFile:
		if first, link := rs.hard.Claim(n, dst); link {
			rs.mu.Lock()
			rs.links = append(rs.links, [2]string{first, dst})
			rs.mu.Unlock()
			return nil
		}
		if len(n.Content) > 1 {
			return rs.writeBlobs(dst, n)
		}
		rs.g.Go(func() error { return rs.writeFile(rs.gctx, dst, n) })
		return nil
	default:
		if err := fsnode.Create(dst, n); err != nil {
			return err
		}
		rs.mu.Lock()
		rs.stats.Other++
		rs.mu.Unlock()
		return fsnode.ApplyMetadata(dst, n)
	}
}

// writeBlobs writes a file of several blobs with one job per blob, at the
// blob's offset, so that one large file is restored on every core. The job
// that writes the last blob closes the file and applies its metadata. Jobs
// are started by the walker, never by other jobs, so that the bounded
// errgroup cannot deadlock.
func (rs *restorer) writeBlobs(dst string, n *format.Node) error {
	offsets := make([]int64, len(n.Content)+1)
	for i, id := range n.Content {
		loc, ok := rs.r.Index().Lookup(format.BlobHandle{ID: id, Type: format.DataBlob})
		if !ok {
			return fmt.Errorf("restore %s: blob %v: %w", dst, id.Str(), repo.ErrBlobNotFound)
		}
		size := int64(loc.UncompressedLength)
		if size == 0 {
			size = int64(loc.Length) - crypto.Extension
		}
		offsets[i+1] = offsets[i] + size
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("restore %s: %w", dst, err)
	}
	// Reserving the blocks at once spares the filesystem from growing the
	// file piece by piece as blobs land out of order; where it is not
	// supported, the writes allocate as usual.
	_ = syscall.Fallocate(int(f.Fd()), 0, 0, offsets[len(offsets)-1])
	left := atomic.Int64{}
	left.Store(int64(len(n.Content)))
	for i, id := range n.Content {
		rs.g.Go(func() error {
			buf := rs.bufs.Get().(*[]byte)
			defer rs.bufs.Put(buf)
			var err error
			if *buf, err = rs.r.LoadBlob(rs.gctx, format.DataBlob, id, *buf); err != nil {
				f.Close()
				return fmt.Errorf("restore %s: %w", dst, err)
			}
			if int64(len(*buf)) != offsets[i+1]-offsets[i] {
				f.Close()
				return fmt.Errorf("restore %s: blob %v has %d bytes, the index says %d", dst, id.Str(), len(*buf), offsets[i+1]-offsets[i])
			}
			if _, err := f.WriteAt(*buf, offsets[i]); err != nil {
				f.Close()
				return fmt.Errorf("restore %s: %w", dst, err)
			}
			if left.Add(-1) > 0 {
				return nil
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("restore %s: %w", dst, err)
			}
			rs.mu.Lock()
			rs.stats.Files++
			rs.stats.Bytes += uint64(offsets[len(offsets)-1])
			rs.mu.Unlock()
			return fsnode.ApplyMetadata(dst, n)
		})
	}
	return nil
}

// writeFile writes a file's content blob by blob, then its metadata.
func (rs *restorer) writeFile(ctx context.Context, dst string, n *format.Node) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("restore %s: %w", dst, err)
	}
	var buf []byte
	var size uint64
	for _, id := range n.Content {
		buf, err = rs.r.LoadBlob(ctx, format.DataBlob, id, buf)
		if err != nil {
			f.Close()
			return fmt.Errorf("restore %s: %w", dst, err)
		}
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return fmt.Errorf("restore %s: %w", dst, err)
		}
		size += uint64(len(buf))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("restore %s: %w", dst, err)
	}
	rs.mu.Lock()
	rs.stats.Files++
	rs.stats.Bytes += size
	rs.mu.Unlock()
	return fsnode.ApplyMetadata(dst, n)
}
