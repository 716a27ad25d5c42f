package repo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// SaverStats count what a BlobSaver added to the repository.
type SaverStats struct {
	DataBlobs, TreeBlobs int
	DataAdded            uint64 // plaintext bytes of new blobs
	DataAddedPacked      uint64 // bytes of new blobs as stored
	Packs                int
}

// BlobSaver stores new blobs in packs while a backup runs. SaveBlob is safe
// for concurrent use: each caller compresses and encrypts into one of
// several open packs, picked at random (see packerPool), so all cores work; full packs are uploaded by a few
// goroutines, and index files follow their packs.
type BlobSaver struct {
	r       *Repository
	packers map[format.BlobType]*packerPool
	uploads chan *packer

	// repack: save every blob once even if indexed, keep new packs out of
	// r.Index() and out of index files (see WithRepackSaver).
	repack bool
	// dry: pack and seal every new blob, to count what it would add, but
	// store nothing (see WithDryRunSaver).
	dry bool

	mu        sync.Mutex
	pending   map[format.BlobHandle]struct{} // being packed, not yet indexed
	unindexed *index.Index                   // uploaded packs not yet in an index file
	stats     SaverStats
}

// packer is an open pack. Its bytes go to a file without a name, so that
// packs waiting for upload cost disk cache, not heap, and a crash leaves
// nothing behind: for a local repository a file on its file system that
// becomes the pack file, else an unlinked temporary file, as restic's.
type packer struct {
	file  *os.File
	adopt bool          // file is from the backend's CreateFile
	bw    *bufio.Writer // tree blobs are small: batch their writes
	w     *pack.Writer
	res   pack.Result
}

// close releases the packer's temporary file.
func (p *packer) close() {
	if p != nil {
		p.file.Close()
	}
}

// WithBlobSaver runs fn with a BlobSaver and then, if fn succeeded, flushes
// the open packs, waits for every upload and writes the index files that
// describe them. Only after it returns without error may a snapshot refer
// to the saved blobs: this is the pack -> index -> snapshot order that keeps
// a crash from leaving a snapshot that points at missing data.
func (r *Repository) WithBlobSaver(ctx context.Context, fn func(ctx context.Context, s *BlobSaver) error) (SaverStats, error) {
	s, err := r.runSaver(ctx, saveNew, fn)
	if err == nil {
		err = s.writeIndex(ctx, s.takeUnindexed())
	}
	return s.Stats(), err
}

// WithRepackSaver is WithBlobSaver for copying blobs out of packs that are
// about to be deleted (prune). Every blob given to it is saved once, even
// though the index has it already (in the old pack). It writes no index
// files and does not add the new packs to r.Index(): it returns the index
// of the uploaded packs, which the caller writes together with the packs
// that stay. Until then the new packs are unreferenced, which is harmless.
func (r *Repository) WithRepackSaver(ctx context.Context, fn func(ctx context.Context, s *BlobSaver) error) (*index.Index, SaverStats, error) {
	s, err := r.runSaver(ctx, saveRepack, fn)
	if err != nil {
		return nil, s.Stats(), err
	}
	return s.takeUnindexed(), s.Stats(), nil
}

// WithDryRunSaver is WithBlobSaver for a dry run (backup --dry-run): new
// blobs are compressed, encrypted and packed as they would be, so that the
// stats say what a real run would add, but no pack or index file is
// written, nothing is added to r.Index(), and no file is created in the
// repository (packs go to unlinked temporary files). It writes nothing, so
// it needs no lock.
func (r *Repository) WithDryRunSaver(ctx context.Context, fn func(ctx context.Context, s *BlobSaver) error) (SaverStats, error) {
	s, err := r.runSaver(ctx, saveDry, fn)
	return s.Stats(), err
}

// saverMode says what a BlobSaver does with the packs it fills.
type saverMode int

const (
	saveNew    saverMode = iota // store and index new blobs
	saveRepack                  // store every blob given, index apart
	saveDry                     // store nothing, only count
)

// PackSize returns the target size of new packs in bytes.
func (r *Repository) PackSize() int { return r.opts.PackSize }

// runSaver runs fn with a new BlobSaver, then flushes its packs and waits
// for the uploads.
func (r *Repository) runSaver(ctx context.Context, mode saverMode, fn func(ctx context.Context, s *BlobSaver) error) (*BlobSaver, error) {
	repack := mode == saveRepack
	g, gctx := errgroup.WithContext(ctx)
	s := &BlobSaver{
		r:       r,
		packers: map[format.BlobType]*packerPool{},
		// Unbuffered: a full pack waits for a free uploader instead of
		// queueing, which bounds memory at one pack per packer and uploader.
		uploads:   make(chan *packer),
		repack:    repack,
		dry:       mode == saveDry,
		pending:   map[format.BlobHandle]struct{}{},
		unindexed: index.New(),
	}
	dataPacks := max(runtime.GOMAXPROCS(0), minDataPacks)
	if repack {
		// Prune copies blobs whose packs are already mixed at random; one
		// pack at a time keeps it from leaving several small packs that
		// the next prune would repack again.
		dataPacks = 1
	}
	s.packers[format.DataBlob] = newPackerPool(dataPacks)
	s.packers[format.TreeBlob] = newPackerPool(1)
	for range r.opts.Uploads {
		g.Go(func() error { return s.uploadLoop(gctx) })
	}
	err := fn(gctx, s)
	if ferr := s.flush(gctx, err == nil); err == nil {
		err = ferr
	}
	close(s.uploads)
	// A failed upload cancels gctx, and fn then fails with "context
	// canceled": report the upload's error, not that (it would read as an
	// interruption).
	if werr := g.Wait(); werr != nil && (err == nil || ctx.Err() == nil && errors.Is(err, context.Canceled)) {
		err = werr
	}
	return s, err
}

// Stats returns the counts so far.
func (s *BlobSaver) Stats() SaverStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// SaveBlob stores data as a blob of type t unless the repository or this
// saver has it already, and returns its ID and whether it was new.
func (s *BlobSaver) SaveBlob(ctx context.Context, t format.BlobType, data []byte) (format.ID, bool, error) {
	id := format.Hash(data)
	added, err := s.SaveBlobID(ctx, t, id, data)
	return id, added, err
}

// SaveBlobID is SaveBlob for a caller that has hashed data already.
func (s *BlobSaver) SaveBlobID(ctx context.Context, t format.BlobType, id format.ID, data []byte) (bool, error) {
	h := format.BlobHandle{ID: id, Type: t}
	if !s.repack && s.r.Index().Has(h) {
		return false, nil
	}
	s.mu.Lock()
	_, dup := s.pending[h]
	s.pending[h] = struct{}{}
	s.mu.Unlock()
	if dup {
		return false, nil
	}
	// Decided before a pack is taken: the probe runs while other callers
	// use the packs.
	compressed := s.compress(t, data)
	p, err := s.packers[t].take(ctx)
	if err != nil {
		return false, err
	}
	p, err = s.add(ctx, p, h, data, compressed)
	s.packers[t].put(p)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	if t == format.DataBlob {
		s.stats.DataBlobs++
	} else {
		s.stats.TreeBlobs++
	}
	s.stats.DataAdded += uint64(len(data))
	s.mu.Unlock()
	return true, nil
}

// compress reports whether a blob of type t is stored compressed. In a
// version 2 repository trees always are, data blobs unless compression is
// off or, in modes auto and fastest, zstd would gain next to nothing on them
// (compress.Incompressible): random or already compressed data then costs
// a probe of a few microseconds per MiB instead of zstd's 0.2-1 ms, and an
// uncompressed blob is as valid a blob to restic as a compressed one.
// Prune's repacking (s.repack) compresses every blob, so that `prune
// --repack-uncompressed`, drydock's or restic's, leaves no uncompressed
// blob behind to repack again.
func (s *BlobSaver) compress(t format.BlobType, data []byte) bool {
	switch {
	case s.r.cfg.Version < format.Version2:
		return false
	case t == format.TreeBlob:
		return true
	case !s.r.opts.Compression.CompressData():
		return false
	case s.repack || s.r.opts.Compression == compress.ModeMax:
		return true
	}
	return !compress.Incompressible(data)
}

// add puts the blob into p (a new packer if p is nil or full) and hands p to
// the uploaders once it reaches the target size. It returns the packer to
// keep using.
func (s *BlobSaver) add(ctx context.Context, p *packer, h format.BlobHandle, data []byte, compressed bool) (*packer, error) {
	for range 2 {
		if p == nil {
			var err error
			if p, err = s.newPacker(h.Type); err != nil {
				return nil, err
			}
		}
		_, err := p.w.Add(h.Type, h.ID, data, compressed)
		if errors.Is(err, pack.ErrFull) && p.w.Count() > 0 {
			if err := s.ship(ctx, p); err != nil {
				return nil, err
			}
			p = nil
			continue
		}
		if err != nil {
			// A failed pack is never reused: its stream is broken, and the
			// next caller would only see a follow-up error instead of this
			// one.
			p.close()
			return nil, fmt.Errorf("pack %v: %w", h, err)
		}
		if p.w.Size() >= int64(s.r.opts.PackSize) {
			return nil, s.ship(ctx, p)
		}
		return p, nil
	}
	return p, fmt.Errorf("pack %v: blob does not fit into an empty pack", h)
}

// packMode is the compression level of a pack of blob type t in mode m:
// trees are compressed at zstd's fastest level unless m is max (see
// compress.ModeFastest).
func packMode(t format.BlobType, m compress.Mode) compress.Mode {
	if t == format.TreeBlob && m != compress.ModeMax {
		return compress.ModeFastest
	}
	return m
}

func (s *BlobSaver) newPacker(t format.BlobType) (*packer, error) {
	f, adopt, err := s.packFile()
	if err != nil {
		return nil, err
	}
	p := &packer{file: f, adopt: adopt, bw: bufio.NewWriterSize(f, 256<<10)}
	if p.w, err = pack.NewWriter(p.bw, s.r.key, pack.Options{Version: s.r.cfg.Version, Mode: packMode(t, s.r.opts.Compression)}); err != nil {
		f.Close()
		return nil, err
	}
	return p, nil
}

// packFile returns the file for a new pack: one the backend can adopt as
// the pack file itself (a local repository), else an unlinked temporary
// file that uploading copies.
func (s *BlobSaver) packFile() (f *os.File, adopt bool, err error) {
	if fs, ok := backend.AsFileSaver(s.r.be); ok && !s.dry {
		if f, err := fs.CreateFile(); err == nil {
			return f, true, nil
		}
	}
	if f, err = os.CreateTemp(s.r.opts.TempDir, "drydock-pack-"); err != nil {
		return nil, false, fmt.Errorf("temporary pack file: %w", err)
	}
	_ = os.Remove(f.Name()) // the open descriptor keeps it until closed
	return f, false, nil
}

// store uploads a finished pack, or has the backend adopt its file. If
// the file could not be named but is intact (backend.ErrNotAdopted), it
// is copied like any other pack; any other failure (a failed fsync may
// have cost the data) fails the upload, as a failed Save does.
func (s *BlobSaver) store(ctx context.Context, p *packer) error {
	h := backend.Handle{Type: backend.PackFile, Name: p.res.ID.String()}
	if p.adopt {
		fs, _ := backend.AsFileSaver(s.r.be)
		err := fs.SaveFile(ctx, h, p.file)
		if !errors.Is(err, backend.ErrNotAdopted) || ctx.Err() != nil {
			return err
		}
	}
	return s.r.be.Save(ctx, h, backend.NewFileReader(p.file, p.res.Size))
}

// ship finalizes p and queues it for upload.
func (s *BlobSaver) ship(ctx context.Context, p *packer) error {
	res, err := p.w.Finalize()
	if err == nil {
		err = p.bw.Flush()
	}
	if err != nil {
		p.close()
		return fmt.Errorf("write pack: %w", err)
	}
	p.res = res
	select {
	case s.uploads <- p:
		return nil
	case <-ctx.Done():
		p.close()
		return ctx.Err()
	}
}

// flush ships every open pack, or on error closes them all.
func (s *BlobSaver) flush(ctx context.Context, ship bool) error {
	var err error
	for _, pp := range s.packers {
		for _, p := range pp.drain() {
			switch {
			case p == nil:
			case ship && err == nil && p.w.Count() > 0:
				err = s.ship(ctx, p)
			default:
				p.close()
			}
		}
	}
	return err
}

// uploadLoop stores packs, then indexes them; every format.MaxIndexBlobs
// blobs it writes an index file, so that a long backup's progress is
// durable and no index file grows too large.
func (s *BlobSaver) uploadLoop(ctx context.Context) error {
	for p := range s.uploads {
		if s.dry {
			s.countDry(p)
			continue
		}
		err := s.store(ctx, p)
		p.close()
		if err != nil {
			return fmt.Errorf("upload pack %v: %w", p.res.ID.Str(), err)
		}
		blobs := make([]format.IndexBlob, len(p.res.Blobs))
		for i, b := range p.res.Blobs {
			blobs[i] = b.IndexBlob()
		}
		if !s.repack {
			if err := s.r.Index().AddPack(p.res.ID, blobs); err != nil && !errors.Is(err, index.ErrDuplicatePack) {
				return err
			}
			s.r.idxs.noteAdded(p.res.ID)
		}
		s.mu.Lock()
		err = s.unindexed.AddPack(p.res.ID, blobs)
		s.stats.Packs++
		s.stats.DataAddedPacked += uint64(p.res.Size)
		var full *index.Index
		if !s.repack && s.unindexed.Count() >= format.MaxIndexBlobs {
			full = s.takeUnindexedLocked()
		}
		s.mu.Unlock()
		if err != nil && !errors.Is(err, index.ErrDuplicatePack) {
			return err
		}
		if err := s.writeIndex(ctx, full); err != nil {
			return err
		}
	}
	return nil
}

// countDry counts a dry run's pack as uploaded and drops it.
func (s *BlobSaver) countDry(p *packer) {
	p.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Packs++
	s.stats.DataAddedPacked += uint64(p.res.Size)
}

func (s *BlobSaver) takeUnindexed() *index.Index {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takeUnindexedLocked()
}

func (s *BlobSaver) takeUnindexedLocked() *index.Index {
	x := s.unindexed
	s.unindexed = index.New()
	return x
}

// writeIndex stores x as index files of at most format.MaxIndexBlobs blobs.
func (s *BlobSaver) writeIndex(ctx context.Context, x *index.Index) error {
	if x == nil || x.Count() == 0 {
		return nil
	}
	docs, err := x.EncodeJSON(format.MaxIndexBlobs)
	if err != nil {
		return err
	}
	ids := make([]format.ID, 0, len(docs))
	for _, doc := range docs {
		id, err := s.r.SaveUnpacked(ctx, backend.IndexFile, doc)
		if err != nil {
			return fmt.Errorf("write index: %w", err)
		}
		ids = append(ids, id)
	}
	if !s.repack {
		s.r.idxs.noteWritten(ids, x)
	}
	return nil
}
