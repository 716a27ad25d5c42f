package repair

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// PacksOptions tune Packs.
type PacksOptions struct {
	// BackupDir, if set, receives a copy of each pack file's bytes as
	// pack-ID before anything is changed, as restic's repair packs writes
	// into the current directory. An existing copy is never overwritten.
	BackupDir string
	Logger    *slog.Logger
}

// PacksResult says what Packs salvaged and what is lost.
type PacksResult struct {
	BackedUp []string // the backup copies written
	Salvaged int      // blobs saved into new packs
	// Lost are the blobs that could not be read from the damaged packs
	// and have no other copy: `repair snapshots` takes them out of the
	// snapshots that use them.
	Lost    []format.BlobHandle
	Written []format.ID // the new index files
	Removed []format.ID // the damaged packs, removed
}

// Packs salvages the packs ids: every blob that the index or the pack's
// own header places in them and that still decrypts and matches its ID
// is saved into a new pack; then the index is written anew without the
// damaged packs, and they are removed. The order (new packs, new index,
// check, old index files, damaged packs) leaves a complete repository at
// every step: a crash costs at most unreferenced packs or duplicate
// index entries, which prune and repair index clean up. The caller holds
// an exclusive lock; check is called again before anything is removed.
func Packs(ctx context.Context, r *repo.Repository, ids []format.ID, opts PacksOptions, check func(context.Context) error) (PacksResult, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var res PacksResult
	if err := r.LoadIndex(ctx); err != nil {
		return res, fmt.Errorf("load the index (run repair index first if it is damaged): %w", err)
	}
	sizes, err := packSizes(ctx, r)
	if err != nil {
		return res, err
	}
	damaged := map[format.ID]bool{}
	for _, id := range ids {
		if _, ok := sizes[id]; !ok && !r.Index().HasPack(id) {
			return res, fmt.Errorf("pack %s is neither in the repository nor in its index: nothing to repair (drydock list packs names the packs)", id)
		}
		damaged[id] = true
	}
	if opts.BackupDir != "" {
		if res.BackedUp, err = backUpPacks(ctx, r, ids, sizes, opts.BackupDir); err != nil {
			return res, err
		}
	}
	oldFiles, err := r.List(ctx, backend.IndexFile)
	if err != nil {
		return res, err
	}
	added, _, err := r.WithRepackSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		for _, id := range ids {
			if err := salvage(ctx, r, s, id, sizes, damaged, &res, opts.Logger); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("save the salvaged blobs (nothing was removed): %w", err)
	}
	idx, err := withoutPacks(r.Index(), damaged, added)
	if err != nil {
		return res, err
	}
	if res.Written, _, err = replaceIndex(ctx, r, idx, oldFiles, "nothing was removed", check); err != nil {
		return res, err
	}
	for _, id := range ids {
		if _, ok := sizes[id]; !ok {
			continue
		}
		if err := r.Backend().Remove(ctx, backend.Handle{Type: backend.PackFile, Name: id.String()}); err != nil {
			return res, fmt.Errorf("remove damaged pack %s (no index refers to it any more; prune removes it): %w", id.Str(), backend.RefusedDelete(backend.PackFile, err))
		}
		res.Removed = append(res.Removed, id)
	}
	return res, r.LoadIndex(ctx)
}

// backUpPacks copies the bytes of each pack, damaged as they are, to
// dir/pack-ID.
func backUpPacks(ctx context.Context, r *repo.Repository, ids []format.ID, sizes map[format.ID]int64, dir string) ([]string, error) {
	var written []string
	for _, id := range ids {
		if _, ok := sizes[id]; !ok {
			continue // gone: nothing to copy
		}
		name := filepath.Join(dir, "pack-"+id.String())
		if err := backUpPack(ctx, r, id, name); err != nil {
			return written, fmt.Errorf("back up pack %s to %s (nothing was changed): %w", id.Str(), name, err)
		}
		written = append(written, name)
	}
	return written, nil
}

func backUpPack(ctx context.Context, r *repo.Repository, id format.ID, name string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	h := backend.Handle{Type: backend.PackFile, Name: id.String()}
	err = r.Backend().Load(ctx, h, 0, 0, func(rd io.Reader) error {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := f.Truncate(0); err != nil {
			return err
		}
		_, err := io.Copy(f, rd)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}

// salvage saves the readable blobs of pack id into s; a blob that cannot
// be read and has no copy outside the damaged packs is added to res.Lost.
func salvage(ctx context.Context, r *repo.Repository, s *repo.BlobSaver, id format.ID, sizes map[format.ID]int64,
	damaged map[format.ID]bool, res *PacksResult, log *slog.Logger) error {
	blobs := packBlobs(ctx, r, id, sizes, log)
	if len(blobs) == 0 {
		log.Warn("no blob of the pack is known: neither the index nor its header lists any", "pack", id.Str())
	}
	for _, b := range blobs {
		h := format.BlobHandle{ID: b.ID, Type: b.Type}
		data, err := readBlob(ctx, r, id, b)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err != nil {
			log.Warn("blob cannot be read", "pack", id.Str(), "blob", h.ID.Str(), "type", h.Type, "err", err)
			if !copyElsewhere(r.Index(), h, damaged) && !slices.Contains(res.Lost, h) {
				res.Lost = append(res.Lost, h)
			}
			continue
		}
		if _, err := s.SaveBlobID(ctx, b.Type, b.ID, data); err != nil {
			return err
		}
		res.Salvaged++
	}
	return nil
}

// packBlobs lists the blobs of a pack as the index places them and, where
// the pack's header can be read, as the header does: an index entry may be
// incomplete, a header damaged. Each blob is listed once per position.
func packBlobs(ctx context.Context, r *repo.Repository, id format.ID, sizes map[format.ID]int64, log *slog.Logger) []pack.Blob {
	var out []pack.Blob
	seen := map[pack.Blob]bool{}
	add := func(b pack.Blob) {
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	r.Index().EachPack(func(p format.ID, blobs []format.IndexBlob) bool {
		if p == id {
			for _, b := range blobs {
				add(pack.Blob{Type: b.Type, ID: b.ID, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength})
			}
		}
		return true
	})
	if size, ok := sizes[id]; ok {
		rd := &packReader{ctx: ctx, be: r.Backend(), h: backend.Handle{Type: backend.PackFile, Name: id.String()}}
		hdr, err := pack.ReadHeader(r.Key(), rd, size, id)
		if err != nil {
			log.Warn("pack header unreadable: salvaging what the index lists", "pack", id.Str(), "err", err)
		}
		for _, b := range hdr {
			add(b)
		}
	}
	return out
}

// readBlob reads, decrypts and verifies one blob of a pack.
func readBlob(ctx context.Context, r *repo.Repository, id format.ID, b pack.Blob) ([]byte, error) {
	sealed := make([]byte, b.Length)
	h := backend.Handle{Type: backend.PackFile, Name: id.String()}
	err := r.Backend().Load(ctx, h, int(b.Length), int64(b.Offset), func(rd io.Reader) error {
		_, err := io.ReadFull(rd, sealed)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pack.OpenBlobInPlace(r.Key(), nil, sealed, b) // checks the ID too
}

// copyElsewhere reports whether the index has h in a pack that is not
// being repaired.
func copyElsewhere(x *index.Index, h format.BlobHandle, damaged map[format.ID]bool) bool {
	for _, loc := range x.LookupAll(h, nil) {
		if !damaged[loc.PackID] {
			return true
		}
	}
	return false
}

// withoutPacks is the index x without the packs in drop, with the packs
// of added. A pack that two index files list is kept once.
func withoutPacks(x *index.Index, drop map[format.ID]bool, added *index.Index) (*index.Index, error) {
	out := index.New()
	var err error
	keep := func(p format.ID, blobs []format.IndexBlob) bool {
		if drop[p] {
			return true
		}
		if aerr := out.AddPack(p, blobs); aerr != nil && !errors.Is(aerr, index.ErrDuplicatePack) {
			err = fmt.Errorf("pack %s: %w", p.Str(), aerr)
			return false
		}
		return true
	}
	x.EachPack(keep)
	if err == nil {
		added.EachPack(keep)
	}
	return out, err
}
