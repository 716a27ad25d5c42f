package checker

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"slices"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// streamReadSize buffers the many small reads of a tree pack's blobs.
const streamReadSize = 256 << 10

// streamed is what one pass over a pack found out.
type streamed struct {
	clean bool  // every check passed: nothing to report
	bytes int64 // bytes read
	blobs int   // blobs opened
}

// streamPack verifies a pack in one pass over its bytes, holding neither
// the pack nor its blobs (they were most of what check held). It only
// proves a pack clean: a pack laid out other than its index says (blobs
// contiguous from offset 0 in offset order, then exactly the sealed
// header and its length) or failing any check is not clean, and
// the caller verifies it again the slow way, which says what is wrong.
// The returned error is the download's.
func (c *checker) streamPack(ctx context.Context, id format.ID, indexed []format.IndexBlob) (streamed, error) {
	sorted := slices.SortedFunc(slices.Values(indexed), func(a, b format.IndexBlob) int {
		return cmp.Compare(a.Offset, b.Offset)
	})
	tailBuf := packBufs.Get()
	defer packBufs.Put(tailBuf)
	var res streamed
	err := c.r.Backend().Load(ctx, backend.Handle{Type: backend.PackFile, Name: id.String()}, 0, 0, func(rd io.Reader) error {
		res = streamed{} // a retried download starts over
		h := sha256.New()
		counted := &countingReader{r: io.TeeReader(rd, h)}
		br := bufio.NewReaderSize(counted, streamReadSize)
		var err error
		res.blobs, err = c.streamBlobs(br, counted, sorted)
		if err != nil || res.blobs < 0 {
			return err
		}
		tail, err := readAll(io.LimitReader(br, pack.MaxHeaderSize+1), *tailBuf, 0)
		*tailBuf = tail
		if err != nil {
			return err
		}
		res.bytes = counted.n
		res.clean = format.ID(h.Sum(nil)) == id && c.headerMatches(tail, sorted, c.r.Config().Version)
		return nil
	})
	return res, err
}

// streamBlobs verifies the blobs of sorted as they are read from br,
// which must start at offset 0 and leave no gaps, holding none of them
// (pack.VerifyBlob). It returns how many it verified, or -1 if the pack
// is not laid out so or a blob is bad; the error is only a failed read.
// src, below br, tells a pack that ends early from a download that broke
// off (io.ErrUnexpectedEOF from the backend), which must be returned so
// that it is retried.
func (c *checker) streamBlobs(br io.Reader, src *countingReader, sorted []format.IndexBlob) (int, error) {
	var pos uint64
	buf := make([]byte, pack.VerifyBuffer)
	for _, b := range sorted {
		if uint64(b.Offset) != pos {
			return -1, nil
		}
		pos += uint64(b.Length)
		pb := pack.Blob{Type: b.Type, ID: b.ID, Offset: b.Offset, Length: b.Length, UncompressedLength: b.UncompressedLength}
		if err := pack.VerifyBlob(c.r.Key(), br, pb, buf); err != nil {
			if src.ended || errors.As(err, new(*pack.BlobError)) {
				return -1, nil // a bad blob, or the pack is shorter than its index says
			}
			return -1, err
		}
	}
	return len(sorted), nil
}

// headerMatches reports whether tail, all the pack holds after its blobs,
// is exactly a sealed header and its length, listing sorted and nothing
// else, valid for a repository of version.
func (c *checker) headerMatches(tail []byte, sorted []format.IndexBlob, version uint) bool {
	if len(tail) < pack.LengthFieldSize || len(tail) > pack.MaxHeaderSize {
		return false
	}
	box := tail[:len(tail)-pack.LengthFieldSize]
	if binary.LittleEndian.Uint32(tail[len(box):]) != uint32(len(box)) {
		return false
	}
	pt, err := c.r.Key().OpenBox(nil, box)
	if err != nil {
		return false
	}
	header, err := pack.ParseHeader(pt)
	if err != nil || len(header) == 0 || len(header) != len(sorted) || pack.CheckVersion(header, version) != nil {
		return false
	}
	for i, b := range header { // a valid header lists blobs in offset order too
		if b.IndexBlob() != sorted[i] {
			return false
		}
	}
	return true
}

// countingReader counts the bytes read through it and notes whether its
// source came to a clean end (io.EOF itself, as the io.Reader contract
// has it, not an error that wraps it).
type countingReader struct {
	r     io.Reader
	n     int64
	ended bool
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	cr.ended = cr.ended || err == io.EOF
	return n, err
}
