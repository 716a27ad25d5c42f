package repair

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// IndexOptions tune RepairIndex.
type IndexOptions struct {
	// ReadAllPacks reads every pack's header, trusting no index file.
	ReadAllPacks bool
	// Readers bounds the pack headers read at once; 0 means 8.
	Readers int
	Logger  *slog.Logger
}

// IndexResult says what RepairIndex found and did.
type IndexResult struct {
	Packs        int         // packs in the repository
	PacksRead    int         // packs whose header was read
	PacksDropped int         // packs an index listed that are gone
	Unreadable   []format.ID // packs whose header cannot be read: left out of the index
	BadIndexes   []format.ID // index files that could not be read
	Written      []format.ID // the new index files
	Removed      int         // old index files removed
}

// Index writes a new index for the packs the repository holds, from the
// index files that still describe them and, for the others, from their
// headers, then removes every old index file. A pack whose header cannot
// be read is left out (IndexResult.Unreadable): its blobs are lost to the
// index as they were to the repository. The caller holds an exclusive
// lock; check is called again before anything is removed.
func Index(ctx context.Context, r *repo.Repository, opts IndexOptions, check func(context.Context) error) (IndexResult, error) {
	if opts.Readers <= 0 {
		opts.Readers = 8
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var res IndexResult
	sizes, err := packSizes(ctx, r)
	if err != nil {
		return res, err
	}
	res.Packs = len(sizes)
	oldFiles, err := r.List(ctx, backend.IndexFile)
	if err != nil {
		return res, err
	}
	idx := index.New()
	known := map[format.ID]bool{}
	if !opts.ReadAllPacks {
		res.BadIndexes, res.PacksDropped = reuseIndexes(ctx, r, oldFiles, sizes, idx, known, opts.Logger)
	}
	toRead := make([]format.ID, 0, len(sizes))
	for id := range sizes {
		if !known[id] {
			toRead = append(toRead, id)
		}
	}
	slices.SortFunc(toRead, func(a, b format.ID) int { return slices.Compare(a[:], b[:]) })
	res.PacksRead = len(toRead)
	res.Unreadable, err = readHeaders(ctx, r, toRead, sizes, idx, opts)
	if err != nil {
		return res, err
	}
	res.Written, res.Removed, err = replaceIndex(ctx, r, idx, oldFiles, "the old index files are kept", check)
	if err != nil {
		return res, err
	}
	return res, r.LoadIndex(ctx)
}

// replaceIndex writes idx as the repository's new index, runs check,
// and only then removes the old index files it does not rewrite byte for
// byte: a failure at any step leaves a complete index. kept says, in an
// error before the removal, what is still as it was.
func replaceIndex(ctx context.Context, r *repo.Repository, idx *index.Index, oldFiles []format.ID, kept string,
	check func(context.Context) error) (written []format.ID, removed int, err error) {
	if written, err = saveIndex(ctx, r, idx); err != nil {
		return nil, 0, fmt.Errorf("write the new index (%s): %w", kept, err)
	}
	if err := check(ctx); err != nil {
		return written, 0, fmt.Errorf("the new index is written, %s: %w", kept, err)
	}
	for _, id := range oldFiles {
		if slices.Contains(written, id) {
			continue // the same content, written again
		}
		if err := r.Backend().Remove(ctx, backend.Handle{Type: backend.IndexFile, Name: id.String()}); err != nil {
			return written, removed, fmt.Errorf("remove old index file %s (the new index is complete; run repair index again): %w", id.Str(), backend.RefusedDelete(backend.IndexFile, err))
		}
		removed++
	}
	return written, removed, nil
}

// packSizes lists the pack files and their sizes.
func packSizes(ctx context.Context, r *repo.Repository) (map[format.ID]int64, error) {
	sizes := map[format.ID]int64{}
	err := r.Backend().List(ctx, backend.PackFile, func(name string, size int64) error {
		if id, err := format.ParseID(name); err == nil {
			sizes[id] = size
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	return sizes, nil
}

// reuseIndexes adds to idx what the readable index files say of packs
// that exist with the size their entries add up to, and marks those packs
// known. It returns the index files it could not read and how many packs
// they listed that are gone.
func reuseIndexes(ctx context.Context, r *repo.Repository, files []format.ID, sizes map[format.ID]int64,
	idx *index.Index, known map[format.ID]bool, log *slog.Logger) (bad []format.ID, dropped int) {
	gone := map[format.ID]bool{}
	for _, f := range files {
		doc, err := loadIndexFile(ctx, r, f)
		if err != nil {
			log.Warn("index file unreadable: its packs are read again", "index", f.Str(), "err", err)
			bad = append(bad, f)
			continue
		}
		for _, p := range doc.Packs {
			size, ok := sizes[p.ID]
			switch {
			case !ok:
				gone[p.ID] = true
			case known[p.ID]:
			case size != expectedSize(p.Blobs):
				log.Warn("pack size differs from its index entry: its header is read again", "pack", p.ID.Str())
			default:
				if idx.AddPack(p.ID, p.Blobs) == nil {
					known[p.ID] = true
				}
			}
		}
	}
	return bad, len(gone)
}

func loadIndexFile(ctx context.Context, r *repo.Repository, id format.ID) (*format.Index, error) {
	doc, err := r.LoadUnpacked(ctx, backend.IndexFile, id)
	if err != nil {
		return nil, err
	}
	return format.DecodeIndex(doc, r.Config().Version)
}

// expectedSize is the size of the pack file an index entry describes.
func expectedSize(blobs []format.IndexBlob) int64 {
	hdr := make([]pack.Blob, len(blobs))
	var data int64
	for i, b := range blobs {
		hdr[i] = pack.Blob{Type: b.Type, ID: b.ID, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength}
		data += int64(b.Length)
	}
	return data + pack.HeaderSize(hdr)
}

// readHeaders adds the blobs of each of ids, read from its header, to idx
// and returns the packs whose header cannot be read.
func readHeaders(ctx context.Context, r *repo.Repository, ids []format.ID, sizes map[format.ID]int64,
	idx *index.Index, opts IndexOptions) ([]format.ID, error) {
	headers := make([][]pack.Blob, len(ids))
	failed := make([]bool, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Readers)
	for i, id := range ids {
		g.Go(func() error {
			rd := &packReader{ctx: gctx, be: r.Backend(), h: backend.Handle{Type: backend.PackFile, Name: id.String()}}
			blobs, err := pack.ReadHeader(r.Key(), rd, sizes[id], id)
			if gctx.Err() != nil {
				return context.Cause(gctx)
			}
			if err != nil {
				opts.Logger.Warn("pack header unreadable: the pack is left out of the index", "pack", id.Str(), "err", err)
				failed[i] = true
				return nil
			}
			headers[i] = blobs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var unreadable []format.ID
	for i, id := range ids {
		if failed[i] {
			unreadable = append(unreadable, id)
			continue
		}
		if err := idx.AddPack(id, indexBlobs(headers[i])); err != nil {
			return nil, fmt.Errorf("pack %s: %w", id.Str(), err)
		}
	}
	return unreadable, nil
}

func indexBlobs(hdr []pack.Blob) []format.IndexBlob {
	out := make([]format.IndexBlob, len(hdr))
	for i, b := range hdr {
		out[i] = format.IndexBlob{ID: b.ID, Type: b.Type, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength}
	}
	return out
}

// saveIndex writes idx as index files and returns their IDs.
func saveIndex(ctx context.Context, r *repo.Repository, idx *index.Index) ([]format.ID, error) {
	docs, err := idx.EncodeJSON(format.MaxIndexBlobs)
	if err != nil {
		return nil, err
	}
	var written []format.ID
	for _, doc := range docs {
		id, err := r.SaveUnpacked(ctx, backend.IndexFile, doc)
		if err != nil {
			return written, err
		}
		written = append(written, id)
	}
	return written, nil
}

// packReader reads ranges of a pack file, for its header.
type packReader struct {
	ctx context.Context
	be  backend.Backend
	h   backend.Handle
}

func (p *packReader) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	err := p.be.Load(p.ctx, p.h, len(b), off, func(rd io.Reader) error {
		var err error
		n, err = io.ReadFull(rd, b)
		return err
	})
	return n, err
}
