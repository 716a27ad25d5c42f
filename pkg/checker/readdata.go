package checker

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/drydock-backup/drydock/internal/bufpool"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// maxBuckets is restic's limit for "n/m": packs are grouped by the first
// byte of their ID.
const maxBuckets = 256

// Subset is a parsed --read-data-subset value: either group N of M, or a
// random Percent of the packs.
type Subset struct {
	N, M    uint
	Percent float64
}

// ParseSubset parses restic's --read-data-subset syntax: "n/m" with
// 1 ≤ n ≤ m ≤ 256, or "x%" with 0 < x ≤ 100.
func ParseSubset(s string) (Subset, error) {
	bad := func(why string) (Subset, error) {
		return Subset{}, fmt.Errorf("invalid read data subset %q: %s (want \"n/m\" or \"x%%\")", s, why)
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return bad("not a number before %")
		}
		if !(f > 0 && f <= 100) {
			return bad("percentage must be > 0 and ≤ 100")
		}
		return Subset{Percent: f}, nil
	}
	ns, ms, ok := strings.Cut(s, "/")
	if !ok {
		return bad("no '/' or '%'")
	}
	n, err1 := strconv.ParseUint(ns, 10, 32)
	m, err2 := strconv.ParseUint(ms, 10, 32)
	switch {
	case err1 != nil || err2 != nil:
		return bad("n and m must be positive integers")
	case m == 0 || m > maxBuckets:
		return bad(fmt.Sprintf("m must be between 1 and %d", maxBuckets))
	case n == 0 || n > m:
		return bad("n must be between 1 and m")
	}
	return Subset{N: uint(n), M: uint(m)}, nil
}

// selectPacks returns the packs of ids that s selects, sorted, the way
// restic 0.14 picks them: group n of m holds the packs whose first ID byte
// is n-1 modulo m; a percentage picks that share at random (at least one).
func selectPacks(ids []format.ID, s *Subset) []format.ID {
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b format.ID) int { return bytes.Compare(a[:], b[:]) })
	switch {
	case s == nil:
		return ids
	case s.M > 0:
		return slices.DeleteFunc(ids, func(id format.ID) bool { return uint(id[0])%s.M != s.N-1 })
	}
	n := int(float64(len(ids)) * s.Percent / 100)
	if n < 1 && len(ids) > 0 {
		n = 1
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	ids = ids[:n]
	slices.SortFunc(ids, func(a, b format.ID) int { return bytes.Compare(a[:], b[:]) })
	return ids
}

// readPacks downloads and verifies the selected indexed packs that exist.
func (c *checker) readPacks(ctx context.Context, listed map[format.ID]int64, s *Subset) error {
	var ids []format.ID
	for id := range c.packs {
		if _, ok := listed[id]; ok { // missing packs are reported already
			ids = append(ids, id)
		}
	}
	ids = selectPacks(ids, s)
	want := make(map[format.ID][]format.IndexBlob, len(ids))
	for _, id := range ids {
		want[id] = nil
	}
	c.idx.EachPack(func(id format.ID, blobs []format.IndexBlob) bool {
		if _, ok := want[id]; ok {
			want[id] = blobs
		}
		return true
	})

	var (
		progMu sync.Mutex
		done   int
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(c.opts.Downloads, min(c.opts.Workers, maxPacksVerified)))
	for _, id := range ids {
		g.Go(func() error {
			if err := c.readPack(gctx, id, listed[id], want[id]); err != nil {
				return err
			}
			progMu.Lock()
			defer progMu.Unlock()
			done++
			if c.opts.Progress != nil {
				c.opts.Progress(done, len(ids))
			}
			return nil
		})
	}
	return g.Wait()
}

// packBufs hold sealed blobs being verified (whole packs if a pack is
// broken) and blobBufs their plaintext: new buffers for each were most of
// what check allocated, and so of how high its heap rose.
var packBufs, blobBufs = bufpool.New(maxPacksVerified, 64<<20), bufpool.New(maxPacksVerified, 64<<20)

// readAll appends rd to buf[:0] until EOF, making room for size bytes at
// once (bytes.Buffer would allocate three times that to grow a pooled
// buffer by a little).
func readAll(rd io.Reader, buf []byte, size int) ([]byte, error) {
	buf = slices.Grow(buf[:0], size+1) // +1: EOF is seen without growing
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 1<<20)
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF { // only a clean end: an error wrapping io.EOF is a failed read
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// readPack verifies one pack (of listed size) against its name, its header
// and indexed: in one pass if it is sound, else once more whole, to report
// what is wrong. Only a cancelled context is returned; everything else is
// reported.
func (c *checker) readPack(ctx context.Context, id format.ID, size int64, indexed []format.IndexBlob) error {
	if packedSize(indexed) != size {
		// Reported already; and blob lengths beyond the file must not
		// size the one-pass buffers.
		return c.readWholePack(ctx, id, size, indexed)
	}
	res, err := c.streamPack(ctx, id, indexed)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	switch {
	case err != nil:
		c.downloadFailed(id, err)
	case res.clean:
		c.mu.Lock()
		c.rep.PacksRead++
		c.rep.BytesRead += res.bytes
		c.rep.BlobsRead += res.blobs
		c.mu.Unlock()
	default:
		return c.readWholePack(ctx, id, size, indexed)
	}
	return nil
}

// readWholePack verifies a pack held whole in memory, reporting every
// problem it finds.
func (c *checker) readWholePack(ctx context.Context, id format.ID, size int64, indexed []format.IndexBlob) error {
	fail := func(b *format.BlobHandle, err error) { c.addError(&PackError{Pack: id, Blob: b, Err: err}) }
	packBuf, blobBuf := packBufs.Get(), blobBufs.Get()
	data, dst := *packBuf, *blobBuf
	defer func() {
		*packBuf, *blobBuf = data, dst
		packBufs.Put(packBuf)
		blobBufs.Put(blobBuf)
	}()
	err := c.r.Backend().Load(ctx, backend.Handle{Type: backend.PackFile, Name: id.String()}, 0, 0, func(rd io.Reader) error {
		var err error
		data, err = readAll(rd, data, int(min(size, 1<<30)))
		return err
	})
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if err != nil {
		c.downloadFailed(id, err)
		return nil
	}
	c.mu.Lock()
	c.rep.PacksRead++
	c.rep.packsReadWhole++
	c.rep.BytesRead += int64(len(data))
	c.mu.Unlock()
	if got := format.Hash(data); got != id {
		fail(nil, fmt.Errorf("%w: SHA-256 is %v", ErrPackHash, got))
	}
	blobs, err := pack.ReadHeader(c.r.Key(), bytes.NewReader(data), int64(len(data)), id)
	if err != nil {
		fail(nil, headerError(err))
		blobs = packBlobs(indexed) // still check what the index points at
	} else {
		c.compareHeader(id, blobs, indexed)
	}
	if err := pack.CheckVersion(blobs, c.r.Config().Version); err != nil {
		fail(nil, err)
	}
	n := 0
	for _, b := range blobs {
		h := &format.BlobHandle{ID: b.ID, Type: b.Type}
		end := uint64(b.Offset) + uint64(b.Length)
		if end > uint64(len(data)) {
			fail(h, fmt.Errorf("blob at offset %d, length %d lies beyond the end of the pack", b.Offset, b.Length))
			continue
		}
		n++
		if dst, err = pack.OpenBlob(c.r.Key(), dst[:0], data[b.Offset:end], b); err != nil {
			var be *pack.BlobError
			if errors.As(err, &be) { // drop BlobError's own "pack 00000000: …" prefix
				err = fmt.Errorf("%w: offset %d, length %d: %w", pack.ErrCorrupt, b.Offset, b.Length, be.Err)
			}
			fail(h, err)
		}
	}
	c.mu.Lock()
	c.rep.BlobsRead += n
	c.mu.Unlock()
	return nil
}

// downloadFailed records a pack that could not be downloaded: a missing
// file is damage; any other failure (I/O, a backend that does not answer)
// leaves the pack unverified, which says nothing about its content.
func (c *checker) downloadFailed(id format.ID, err error) {
	perr := &PackError{Pack: id, Err: fmt.Errorf("download: %w", err)}
	if errors.Is(err, backend.ErrNotExist) {
		c.addError(perr)
		return
	}
	c.mu.Lock()
	c.rep.Unread = append(c.rep.Unread, perr)
	c.mu.Unlock()
}

// headerError drops the pack ID that InvalidPackError repeats.
func headerError(err error) error {
	var ipe *pack.InvalidPackError
	if !errors.As(err, &ipe) {
		return err
	}
	msg := "header: " + ipe.Reason
	if ipe.Offset >= 0 {
		msg = fmt.Sprintf("header at offset %d: %s", ipe.Offset, ipe.Reason)
	}
	if ipe.Err != nil {
		return fmt.Errorf("%w: %s: %w", pack.ErrCorrupt, msg, ipe.Err)
	}
	return fmt.Errorf("%w: %s", pack.ErrCorrupt, msg)
}

// compareHeader reports entries that are in the header but not in the
// index, or the other way round (same ID, type, offset, length, ulen).
func (c *checker) compareHeader(id format.ID, header []pack.Blob, indexed []format.IndexBlob) {
	inHeader := make(map[format.IndexBlob]bool, len(header))
	for _, b := range header {
		inHeader[b.IndexBlob()] = true
	}
	inIndex := make(map[format.IndexBlob]bool, len(indexed))
	for _, b := range indexed {
		inIndex[b] = true
		if !inHeader[b] {
			c.addError(&PackError{Pack: id, Blob: &format.BlobHandle{ID: b.ID, Type: b.Type}, Err: fmt.Errorf(
				"%w: indexed at offset %d, length %d, but the header has no such entry", ErrHeaderMismatch, b.Offset, b.Length)})
		}
	}
	var extra []format.IndexBlob
	for b := range inHeader {
		if !inIndex[b] {
			extra = append(extra, b)
		}
	}
	slices.SortFunc(extra, func(a, b format.IndexBlob) int { return cmp.Compare(a.Offset, b.Offset) })
	for _, b := range extra {
		c.addError(&PackError{Pack: id, Blob: &format.BlobHandle{ID: b.ID, Type: b.Type}, Err: fmt.Errorf(
			"%w: header entry at offset %d, length %d is not in the index", ErrHeaderMismatch, b.Offset, b.Length)})
	}
}
