package restorer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/backend"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// Content is written pack by pack, as restic's restorer does: the walk
// first records, for every pack, which blobs go to which file offsets;
// then each pack is read once, in a few sequential ranges, and every blob
// is written wherever it is needed. One read per pack instead of one per
// blob is what makes restoring many small files fast.

// maxGap is the largest run of unneeded bytes read through rather than
// starting a new read of the same pack.
const maxGap = 256 << 10

// maxOpen bounds files kept open between packs; past it a file is closed
// after each write and opened again for the next.
var maxOpen int32 = 256

// fileState is a regular file being restored.
type fileState struct {
	path string
	node *format.Node
	size int64

	mu        sync.Mutex
	f         *os.File
	created   bool // opened once: later opens must not truncate
	remaining int  // blob writes still to do
}

// target is one place a blob goes: a file and an offset in it.
type target struct {
	file   *fileState
	offset int64
}

// packBlob is a blob needed from a pack, with every place it goes.
type packBlob struct {
	blob    pack.Blob
	targets []target
}

// contentPlan collects the blobs of every file, by pack.
type contentPlan struct {
	idx   *index.Index
	packs map[format.ID]map[format.ID]*packBlob // pack -> blob ID -> need
	open  atomic.Int32
}

func newContentPlan(idx *index.Index) *contentPlan {
	return &contentPlan{idx: idx, packs: map[format.ID]map[format.ID]*packBlob{}}
}

// add records where the blobs of the file at dst go, and creates it now if
// it is empty. It returns the file, or nil if it is complete already.
func (cp *contentPlan) add(dst string, n *format.Node) (*fileState, error) {
	fs := &fileState{path: dst, node: n, remaining: len(n.Content)}
	for _, id := range n.Content {
		loc, ok := cp.idx.Lookup(format.BlobHandle{ID: id, Type: format.DataBlob})
		if !ok {
			return nil, fmt.Errorf("restore %s: blob %v: %w", dst, id.Str(), repo.ErrBlobNotFound)
		}
		blobs := cp.packs[loc.PackID]
		if blobs == nil {
			blobs = map[format.ID]*packBlob{}
			cp.packs[loc.PackID] = blobs
		}
		pb := blobs[id]
		if pb == nil {
			pb = &packBlob{blob: pack.Blob{Type: format.DataBlob, ID: id, Offset: loc.Offset, Length: loc.Length, UncompressedLength: loc.UncompressedLength}}
			blobs[id] = pb
		}
		pb.targets = append(pb.targets, target{file: fs, offset: fs.size})
		fs.size += int64(plainLength(loc))
	}
	if fs.remaining > 0 {
		return fs, nil // created by its first write, in the parallel phase
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("restore %s: %w", dst, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("restore %s: %w", dst, err)
	}
	return nil, nil
}

func plainLength(loc index.Location) uint32 {
	if loc.UncompressedLength != 0 {
		return loc.UncompressedLength
	}
	return loc.Length - crypto.Extension
}

// write puts one blob's plaintext at off; the write that completes the
// file closes it and applies its metadata, and reports done.
func (cp *contentPlan) write(fs *fileState, off int64, data []byte) (done bool, err error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.f == nil {
		if err := fs.open(); err != nil {
			return false, err
		}
		cp.open.Add(1)
	}
	if _, err := fs.f.WriteAt(data, off); err != nil {
		return false, fmt.Errorf("restore %s: %w", fs.path, err)
	}
	fs.remaining--
	if fs.remaining > 0 && cp.open.Load() <= maxOpen {
		return false, nil
	}
	err = fs.f.Close()
	fs.f = nil
	cp.open.Add(-1)
	if err != nil {
		return false, fmt.Errorf("restore %s: %w", fs.path, err)
	}
	if fs.remaining > 0 {
		return false, nil
	}
	return true, fsnode.ApplyMetadata(fs.path, fs.node)
}

// open opens fs for writing; the first time it creates (or truncates) the
// file and reserves its blocks, which spares the file system from growing
// it piece by piece as blobs land out of order (where fallocate is not
// supported, the writes allocate as usual).
func (fs *fileState) open() (err error) {
	if fs.created {
		fs.f, err = os.OpenFile(fs.path, os.O_WRONLY, 0)
	} else if fs.f, err = os.OpenFile(fs.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err == nil {
		fs.created = true
		_ = syscall.Fallocate(int(fs.f.Fd()), 0, 0, fs.size)
	}
	if err != nil {
		return fmt.Errorf("restore %s: %w", fs.path, err)
	}
	return nil
}

// closeAll closes files left open by a failed restore.
func (cp *contentPlan) closeAll() {
	for _, blobs := range cp.packs {
		for _, pb := range blobs {
			for _, t := range pb.targets {
				t.file.mu.Lock()
				if t.file.f != nil {
					t.file.f.Close()
					t.file.f = nil
				}
				t.file.mu.Unlock()
			}
		}
	}
}

// run reads every pack of the plan once, with workers packs at a time.
func (cp *contentPlan) run(ctx context.Context, r *repo.Repository, workers int, finished func(*fileState)) error {
	ids := make([]format.ID, 0, len(cp.packs))
	for id := range cp.packs {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b format.ID) int { return slices.Compare(a[:], b[:]) })
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, id := range ids {
		g.Go(func() error { return cp.restorePack(gctx, r, id, finished) })
	}
	err := g.Wait()
	if err != nil {
		cp.closeAll()
	}
	return err
}

// restorePack reads the needed blobs of one pack in offset order, in as
// few ranges as the gaps between them allow.
func (cp *contentPlan) restorePack(ctx context.Context, r *repo.Repository, id format.ID, finished func(*fileState)) error {
	blobs := make([]*packBlob, 0, len(cp.packs[id]))
	for _, pb := range cp.packs[id] {
		blobs = append(blobs, pb)
	}
	slices.SortFunc(blobs, func(a, b *packBlob) int { return cmp.Compare(a.blob.Offset, b.blob.Offset) })
	for len(blobs) > 0 {
		n := 1
		for n < len(blobs) && blobs[n].blob.Offset <= blobs[n-1].blob.Offset+blobs[n-1].blob.Length+maxGap {
			n++
		}
		if err := cp.readRange(ctx, r, id, blobs[:n], finished); err != nil {
			return err
		}
		blobs = blobs[n:]
	}
	return nil
}

// readRange loads one stretch of a pack holding blobs and writes them. A
// retrying backend may call the load callback again: blobs already
// written are skipped then.
func (cp *contentPlan) readRange(ctx context.Context, r *repo.Repository, packID format.ID, blobs []*packBlob, finished func(*fileState)) error {
	start := blobs[0].blob.Offset
	last := blobs[len(blobs)-1].blob
	length := last.Offset + last.Length - start
	done := 0
	var sealed, plain []byte
	var damaged []*packBlob
	h := backend.Handle{Type: backend.PackFile, Name: packID.String()}
	err := r.Backend().Load(ctx, h, int(length), int64(start), func(rd io.Reader) error {
		pos := start
		for i, pb := range blobs {
			if _, err := io.CopyN(io.Discard, rd, int64(pb.blob.Offset-pos)); err != nil {
				return err
			}
			pos = pb.blob.Offset + pb.blob.Length
			if i < done {
				if _, err := io.CopyN(io.Discard, rd, int64(pb.blob.Length)); err != nil {
					return err
				}
				continue
			}
			sealed = slices.Grow(sealed[:0], int(pb.blob.Length))[:pb.blob.Length]
			if _, err := io.ReadFull(rd, sealed); err != nil {
				return err
			}
			var err error
			if plain, err = pack.OpenBlobInPlace(r.Key(), plain[:0], sealed, pb.blob); err != nil {
				// Another copy may be intact: try them after this range.
				damaged = append(damaged, pb)
			} else if err := cp.writeAll(pb, plain, finished); err != nil {
				return err
			}
			done = i + 1
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read pack %v: %w", packID.Str(), err)
	}
	for _, pb := range damaged {
		data, err := r.LoadBlob(ctx, format.DataBlob, pb.blob.ID, nil)
		if err != nil {
			return fmt.Errorf("blob %v: %w", pb.blob.ID.Str(), err)
		}
		if err := cp.writeAll(pb, data, finished); err != nil {
			return err
		}
	}
	return nil
}

// writeAll writes a blob to every place it goes.
func (cp *contentPlan) writeAll(pb *packBlob, data []byte, finished func(*fileState)) error {
	var errs []error
	for _, t := range pb.targets {
		done, err := cp.write(t.file, t.offset, data)
		if err != nil {
			errs = append(errs, err)
		} else if done {
			finished(t.file)
		}
	}
	return errors.Join(errs...)
}
