package checker

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// loadIndex loads every index file on its own, so that a damaged one is
// reported by name while the others still count.
func (c *checker) loadIndex(ctx context.Context) error {
	ids, err := c.r.List(ctx, backend.IndexFile)
	if err != nil {
		return err
	}
	c.rep.IndexFiles = len(ids)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Workers)
	for _, id := range ids {
		g.Go(func() error {
			doc, err := c.r.LoadUnpacked(gctx, backend.IndexFile, id)
			if cerr := gctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil && !isDamage(err) {
				return fmt.Errorf("read index %v: %w", id.Str(), err) // not damage: see checkTree
			}
			if err == nil {
				var f *format.Index
				if f, err = format.DecodeIndex(doc, c.r.Config().Version); err == nil {
					c.addIndexFile(id, f)
				}
			}
			if err != nil {
				c.addError(&IndexError{File: id, Err: err})
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	c.idx.Compact()
	c.rep.Packs = len(c.packs)
	for id, p := range c.packs {
		if len(p.files) > 1 {
			c.addNotice(hintRepairIndex, "pack %v: contained in several indexes: %s", id, joinIDs(p.files))
		}
	}
	return nil
}

func joinIDs(ids []format.ID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.Str()
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}

// addIndexFile checks each pack entry of index file file and adds it to the
// checker's index unless another file described the pack first.
func (c *checker) addIndexFile(file format.ID, f *format.Index) {
	for _, p := range f.Packs {
		blobs := slices.Clone(p.Blobs)
		slices.SortFunc(blobs, func(a, b format.IndexBlob) int { return cmp.Compare(a.Offset, b.Offset) })
		if err := checkTiling(blobs); err != nil {
			c.addError(&PackError{Pack: p.ID, Err: fmt.Errorf("index %v: %w", file.Str(), err)})
		}
		if mixed(blobs) {
			c.addNotice(hintPrune, "pack %v: contains both data and tree blobs; run `drydock prune`", p.ID)
		}
		info := &packInfo{size: packedSize(blobs), digest: digest(blobs), files: []format.ID{file}}
		c.mu.Lock()
		if prev, ok := c.packs[p.ID]; ok {
			prev.files = append(prev.files, file)
			if prev.digest != info.digest {
				c.rep.Errors = append(c.rep.Errors, &PackError{Pack: p.ID,
					Err: fmt.Errorf("%w: index files %v and %v describe it differently", ErrIndexInconsistent, prev.files[0].Str(), file.Str())})
			}
			c.mu.Unlock()
			continue
		}
		c.packs[p.ID] = info
		err := c.idx.AddPack(p.ID, p.Blobs)
		c.mu.Unlock()
		if err != nil {
			c.addError(&IndexError{File: file, Err: err})
		}
	}
}

// checkTiling reports gaps and overlaps: entries sorted by offset must
// cover [0, Σ length) exactly (docs/format.md §6.3 invariant 3).
func checkTiling(sorted []format.IndexBlob) error {
	var end uint64
	for _, b := range sorted {
		switch off := uint64(b.Offset); {
		case off > end:
			return fmt.Errorf("%w: gap before blob %v at offset %d (previous blob ends at %d)", ErrIndexInconsistent, b.ID.Str(), off, end)
		case off < end:
			return fmt.Errorf("%w: blob %v at offset %d overlaps the previous one (ending at %d)", ErrIndexInconsistent, b.ID.Str(), off, end)
		}
		end += uint64(b.Length)
	}
	return nil
}

func mixed(blobs []format.IndexBlob) bool {
	for _, b := range blobs {
		if b.Type != blobs[0].Type {
			return true
		}
	}
	return false
}

func packBlobs(blobs []format.IndexBlob) []pack.Blob {
	out := make([]pack.Blob, len(blobs))
	for i, b := range blobs {
		out[i] = pack.Blob{Type: b.Type, ID: b.ID, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength}
	}
	return out
}

func packedSize(blobs []format.IndexBlob) int64 { return pack.PackedSize(packBlobs(blobs)) }

// digest hashes entries sorted by offset, to tell whether two index files
// describe a pack identically.
func digest(sorted []format.IndexBlob) [32]byte {
	h := sha256.New()
	var buf [format.IDSize + 13]byte
	for _, b := range sorted {
		copy(buf[:], b.ID[:])
		buf[format.IDSize] = byte(b.Type)
		binary.LittleEndian.PutUint32(buf[format.IDSize+1:], b.Offset)
		binary.LittleEndian.PutUint32(buf[format.IDSize+5:], b.Length)
		binary.LittleEndian.PutUint32(buf[format.IDSize+9:], b.UncompressedLength)
		h.Write(buf[:])
	}
	return [32]byte(h.Sum(nil))
}

const unreferencedSuffix = ": not referenced in any index"

// checkPackFiles compares the packs the backend lists with the index and
// returns the listed sizes by pack ID.
func (c *checker) checkPackFiles(ctx context.Context) (map[format.ID]int64, error) {
	listed := map[format.ID]int64{}
	err := c.r.Backend().List(ctx, backend.PackFile, func(name string, size int64) error {
		if id, err := format.ParseID(name); err == nil {
			listed[id] = size
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list packs: %w", err)
	}
	for id, p := range c.packs {
		size, ok := listed[id]
		switch {
		case !ok:
			c.addError(&PackError{Pack: id, Err: ErrPackMissing})
		case size != p.size:
			c.addError(&PackError{Pack: id, Err: fmt.Errorf("%w: %d bytes, the index implies %d", ErrPackSizeMismatch, size, p.size)})
		}
	}
	for id := range listed {
		if _, ok := c.packs[id]; !ok {
			c.addNotice(hintPrune, "pack %v%s", id, unreferencedSuffix)
		}
	}
	return listed, nil
}
