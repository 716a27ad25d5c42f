package prune

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// loadBlob reads a blob through idx, the index this prune loaded (not the
// repository's, which may be stale or not loaded), trying every copy. The
// plaintext is verified against the blob ID by pack.OpenBlob.
func loadBlob(ctx context.Context, r *repo.Repository, idx *index.Index, h format.BlobHandle) ([]byte, error) {
	locs := idx.LookupAll(h, nil)
	if len(locs) == 0 {
		return nil, fmt.Errorf("%v: %w", h, repo.ErrBlobNotFound)
	}
	var errs []error
	for _, loc := range locs {
		out, err := loadCopy(ctx, r, h, loc)
		if err == nil {
			return out, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// loadEveryCopy reads and verifies every copy of a blob and fails if any
// copy is damaged, even when another is intact: prune keeps one copy of a
// duplicated blob and deletes the others, so it must never keep one it
// could not read (the walk of used trees uses this).
func loadEveryCopy(ctx context.Context, r *repo.Repository, idx *index.Index, h format.BlobHandle) ([]byte, error) {
	locs := idx.LookupAll(h, nil)
	if len(locs) == 0 {
		return nil, fmt.Errorf("%v: %w", h, repo.ErrBlobNotFound)
	}
	var good []byte
	var errs []error
	for _, loc := range locs {
		out, err := loadCopy(ctx, r, h, loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("copy in pack %v: %w", loc.PackID.Str(), err))
			continue
		}
		good = out
	}
	return good, errors.Join(errs...)
}

// loadCopy reads and opens the copy of h at loc.
func loadCopy(ctx context.Context, r *repo.Repository, h format.BlobHandle, loc index.Location) ([]byte, error) {
	sealed, err := readRange(ctx, r, loc.PackID, int64(loc.Offset), int(loc.Length))
	if err != nil {
		return nil, err
	}
	b := pack.Blob{Type: h.Type, ID: h.ID, Offset: loc.Offset, Length: loc.Length, UncompressedLength: loc.UncompressedLength}
	return openBlob(r, loc.PackID, sealed, b)
}

// readRange reads length bytes at offset of a pack.
func readRange(ctx context.Context, r *repo.Repository, packID format.ID, offset int64, length int) ([]byte, error) {
	buf := make([]byte, length)
	h := backend.Handle{Type: backend.PackFile, Name: packID.String()}
	err := r.Backend().Load(ctx, h, length, offset, func(rd io.Reader) error {
		_, err := io.ReadFull(rd, buf)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read pack %v (%d bytes at %d): %w", packID.Str(), length, offset, err)
	}
	return buf, nil
}

// openBlob decrypts, decompresses and verifies one blob and names the pack
// in the error.
func openBlob(r *repo.Repository, packID format.ID, sealed []byte, b pack.Blob) ([]byte, error) {
	out, err := pack.OpenBlob(r.Key(), nil, sealed, b)
	var be *pack.BlobError
	if errors.As(err, &be) {
		be.PackID = packID
	}
	return out, err
}
