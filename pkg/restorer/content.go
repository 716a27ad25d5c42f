package restorer

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/internal/bufpool"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
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

// rangeBufs keeps the sealed and opened blob buffers of pack ranges for
// the next range: two per pack in flight (at most 6, defaultFiles), each
// up to a blob's largest size (chunks are at most 8 MiB).
var rangeBufs = bufpool.New(12, 9<<20)

// presizeMax bounds what readRange allocates ahead for one blob: a data
// blob holds one chunk of at most 8 MiB.
const presizeMax = 9 << 20

// maxOpen bounds files kept open between packs; past it a file is closed
// after each write and opened again for the next.
var maxOpen int32 = 256

// fileState is a regular file being restored.
type fileState struct {
	rel     string // below the target, also its snapshot path without "/"
	node    *format.Node
	size    int64
	updated bool // replaces a regular file that was there (restic's "updated")

	mu      sync.Mutex
	f       *os.File
	created bool  // opened once: later opens must not truncate
	pending int   // blob writes (or failures) still to come
	err     error // the first reason the file cannot be restored fully
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
	root  *fsnode.Root
	fail  *failures
	log   *slog.Logger
	packs map[format.ID]map[format.ID]*packBlob // pack -> blob ID -> need
	open  atomic.Int32
	files int   // files planned
	bytes int64 // their content
	// wrote, if set, is told of each write of content, from any goroutine.
	wrote func(n int)
}

func newContentPlan(idx *index.Index, root *fsnode.Root, fail *failures, log *slog.Logger) *contentPlan {
	return &contentPlan{idx: idx, root: root, fail: fail, log: log, packs: map[format.ID]map[format.ID]*packBlob{}}
}

// add records where the blobs of the file rel go; an empty file is
// written at once, any other at its first blob, in the parallel phase.
// A blob the index does not know makes the file partial (see finish).
func (cp *contentPlan) add(rel string, n *format.Node, updated bool, finished func(*fileState)) {
	fs := &fileState{rel: rel, node: n, pending: len(n.Content), updated: updated}
	for i, id := range n.Content {
		loc, ok := cp.idx.Lookup(format.BlobHandle{ID: id, Type: format.DataBlob})
		if !ok {
			fs.fail(fmt.Errorf("blob %d of %d (%v): %w", i+1, len(n.Content), id.Str(), repo.ErrBlobNotFound))
			continue
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
		fs.size += int64(loc.PlainLength())
	}
	cp.files++
	cp.bytes += fs.size
	missing := fs.err != nil
	if !missing && uint64(fs.size) != n.Size {
		// The snapshot disagrees with itself: a content list cut short
		// would look like this. The content is what its blobs say and is
		// written, never grown to the claimed size, but not under the
		// real name.
		fs.err = fmt.Errorf("the snapshot says the file has %d bytes, its content has %d", n.Size, fs.size)
	}
	if fs.pending == 0 {
		if !missing { // empty: nothing will write it
			if err := cp.openFile(fs); err != nil && fs.err == nil {
				fs.err = err
			}
		}
		cp.finish(fs, finished)
	}
}

// fail records why fs cannot be restored fully and counts one pending
// write as done; the caller holds fs.mu or is the only one with fs.
func (fs *fileState) fail(err error) {
	if fs.err == nil {
		fs.err = err
	}
	fs.pending--
}

// write puts one blob's plaintext at off; the write that completes the
// file finishes it.
func (cp *contentPlan) write(fs *fileState, off int64, data []byte, finished func(*fileState)) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	// A file known to be partial is still written: its intact parts are
	// kept under PartialSuffix.
	err := cp.openFile(fs)
	if err == nil {
		if _, werr := fs.f.WriteAt(data, off); werr != nil {
			err = fmt.Errorf("write: %w", werr)
		}
	}
	if err != nil {
		fs.fail(err)
	} else {
		fs.pending--
		if cp.wrote != nil {
			cp.wrote(len(data))
		}
	}
	if fs.pending > 0 {
		if cp.open.Load() > maxOpen {
			cp.closeFile(fs)
		}
		return
	}
	cp.finish(fs, finished)
}

// failBlob records that a blob could not be had for any of its targets.
func (cp *contentPlan) failBlob(pb *packBlob, err error, finished func(*fileState)) {
	for _, t := range pb.targets {
		t.file.mu.Lock()
		t.file.fail(fmt.Errorf("blob %v at offset %d: %w", pb.blob.ID.Str(), t.offset, err))
		if t.file.pending == 0 {
			cp.finish(t.file, finished)
		}
		t.file.mu.Unlock()
	}
}

// openFile opens fs for writing unless it is open; the first time it
// creates the file (replacing what was there) and, if more than one blob
// goes into it, reserves its blocks, which spares the file system from
// growing it piece by piece as blobs land out of order (where fallocate
// is not supported, the writes allocate as usual). A file of one blob is
// written by one write, which allocates it whole anyway: most files are,
// and the fallocate was one system call in seven of such a file's.
func (cp *contentPlan) openFile(fs *fileState) (err error) {
	if fs.f != nil {
		return nil
	}
	if fs.created {
		fs.f, err = cp.root.OpenFile(fs.rel)
	} else if fs.f, err = cp.root.CreateFile(fs.rel); err == nil {
		fs.created = true
		if fs.size > 0 && len(fs.node.Content) > 1 {
			_ = syscall.Fallocate(int(fs.f.Fd()), 0, 0, fs.size)
		}
	}
	if err == nil {
		cp.open.Add(1)
	}
	return err
}

// finish completes fs once nothing is pending: a whole file gets its
// metadata; a partial one is set aside under PartialSuffix and reported.
func (cp *contentPlan) finish(fs *fileState, finished func(*fileState)) {
	if fs.err == nil && fs.f != nil {
		fs.err = cp.fail.metadata(fs.rel, fsnode.ApplyMetadataFile(fs.f, fs.node))
	}
	cp.closeFile(fs)
	if fs.err == nil {
		finished(fs)
		return
	}
	err := fs.err
	if fs.created {
		if at, serr := cp.root.SetAside(fs.rel, PartialSuffix); serr != nil {
			err = fmt.Errorf("%w; and removing the partial file failed: %v", err, serr)
		} else if at != "" {
			err = fmt.Errorf("%w (what could be restored is in %s)", err, at)
		}
	}
	cp.fail.add(fs.rel, err)
}

// closeFile closes fs if it is open; a failed close fails the file.
func (cp *contentPlan) closeFile(fs *fileState) {
	if fs.f == nil {
		return
	}
	cp.open.Add(-1)
	if err := fs.f.Close(); err != nil && fs.err == nil {
		fs.err = fmt.Errorf("close: %w", err)
	}
	fs.f = nil
}

// closeAll closes files left open by a cancelled restore.
func (cp *contentPlan) closeAll() {
	for _, blobs := range cp.packs {
		for _, pb := range blobs {
			for _, t := range pb.targets {
				t.file.mu.Lock()
				cp.closeFile(t.file)
				t.file.mu.Unlock()
			}
		}
	}
}

// run reads every pack of the plan once, with workers packs at a time.
// Damage is reported per file (see finish); only a cancelled context ends
// it early.
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
// handled are skipped then. Blobs that could not be read from this range
// (damaged, or the pack unreadable) are tried from their other copies, and
// failed where there is none.
func (cp *contentPlan) readRange(ctx context.Context, r *repo.Repository, packID format.ID, blobs []*packBlob, finished func(*fileState)) error {
	start := blobs[0].blob.Offset
	last := blobs[len(blobs)-1].blob
	length := last.Offset + last.Length - start
	done := 0
	// Buffers outlive the range: grown afresh for every range, they were
	// most of a restore's allocations, and garbage the collector let pile
	// up with the cores.
	sb, pb := rangeBufs.Get(), rangeBufs.Get()
	sealed, plain := *sb, *pb
	// Sized once for the range's largest blob: decrypting into a buffer
	// grown blob by blob cleared and copied it again at every larger one.
	// Lengths come from the index, which may be damaged: only sizes a data
	// blob can have are allocated ahead.
	// An uncompressed blob is decrypted where it lies: only compressed
	// ones need room for their plaintext.
	var mostSealed, mostPlain uint32
	for _, b := range blobs {
		mostSealed = max(mostSealed, b.blob.Length)
		if b.blob.IsCompressed() {
			mostPlain = max(mostPlain, b.blob.UncompressedLength)
		}
	}
	if mostSealed <= presizeMax && mostPlain <= presizeMax {
		sealed, plain = slices.Grow(sealed[:0], int(mostSealed)), slices.Grow(plain[:0], int(mostPlain))
	}
	defer func() {
		*sb, *pb = sealed, plain
		rangeBufs.Put(sb)
		rangeBufs.Put(pb)
	}()
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
			data, scratch, err := pack.OpenBlobWithin(r.Key(), plain, sealed, pb.blob)
			plain = scratch
			if err != nil {
				damaged = append(damaged, pb)
			} else {
				cp.writeAll(pb, data, finished)
			}
			done = i + 1
		}
		return nil
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		cp.log.Info("pack unreadable, trying other copies of its blobs", "pack", packID.Str(), "err", err)
		damaged = append(damaged, blobs[done:]...)
	}
	for _, pb := range damaged {
		data, err := r.LoadBlob(ctx, format.DataBlob, pb.blob.ID, nil)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			cp.failBlob(pb, err, finished)
			continue
		}
		cp.writeAll(pb, data, finished)
	}
	return nil
}

// writeAll writes a blob to every place it goes.
func (cp *contentPlan) writeAll(pb *packBlob, data []byte, finished func(*fileState)) {
	for _, t := range pb.targets {
		cp.write(t.file, t.offset, data, finished)
	}
}
