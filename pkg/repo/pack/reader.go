package pack

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/drydock-backup/drydock/internal/bufpool"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

var (
	// ErrCorrupt marks data that is in the repository but damaged. It is
	// one value in every layer (package repo exports it as repo.ErrCorrupt
	// for damaged index, snapshot and lock files), so that errors.Is finds
	// damage wherever it was detected. Every InvalidPackError and BlobError
	// matches it.
	ErrCorrupt = errors.New("corrupt repository data")
	// ErrIDMismatch is returned when a blob's SHA-256 differs from its ID.
	ErrIDMismatch = errors.New("blob content does not match its ID")
)

// InvalidPackError reports a structurally broken pack file.
type InvalidPackError struct {
	PackID format.ID
	Offset int64 // where in the file the problem was found; -1 if unknown
	Reason string
	Err    error // underlying cause, may be nil
}

func (e *InvalidPackError) Error() string {
	s := fmt.Sprintf("pack %v: %s", e.PackID, e.Reason)
	if e.Offset >= 0 {
		s = fmt.Sprintf("pack %v at offset %d: %s", e.PackID, e.Offset, e.Reason)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap lets errors.Is match ErrCorrupt and the cause.
func (e *InvalidPackError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// BlobError reports a blob that cannot be opened or fails verification.
type BlobError struct {
	PackID format.ID // zero if unknown
	Blob   Blob
	Err    error
}

func (e *BlobError) Error() string {
	return fmt.Sprintf("pack %v: %v blob %v at offset %d (length %d): %v",
		e.PackID.Str(), e.Blob.Type, e.Blob.ID, e.Blob.Offset, e.Blob.Length, e.Err)
}

// Unwrap lets errors.Is match ErrCorrupt and the cause.
func (e *BlobError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// ReadHeader reads and authenticates the header of the pack of the given
// size and returns its blobs with offsets. It enforces the exact layout:
// the blobs must fill the file up to the header with no gaps or trailing
// bytes. packID is only used in errors.
func ReadHeader(key *crypto.Key, rd io.ReaderAt, size int64, packID format.ID) ([]Blob, error) {
	bad := func(off int64, reason string, err error) error {
		return &InvalidPackError{PackID: packID, Offset: off, Reason: reason, Err: err}
	}
	if size < MinPackSize {
		return nil, bad(-1, fmt.Sprintf("file size %d is below the minimum %d", size, MinPackSize), nil)
	}
	tail := min(size, eagerTail)
	buf := make([]byte, tail)
	if err := readAt(rd, buf, size-tail); err != nil {
		return nil, bad(size-tail, "read header", err)
	}
	hdrLen := int64(binary.LittleEndian.Uint32(buf[tail-LengthFieldSize:]))
	switch {
	case hdrLen < crypto.Extension:
		return nil, bad(size-LengthFieldSize, fmt.Sprintf("header length %d is below %d", hdrLen, crypto.Extension), nil)
	case hdrLen > size-LengthFieldSize:
		return nil, bad(size-LengthFieldSize, fmt.Sprintf("header length %d exceeds file size %d", hdrLen, size), nil)
	case hdrLen+LengthFieldSize > MaxHeaderSize:
		return nil, bad(size-LengthFieldSize, fmt.Sprintf("header length %d exceeds the %d-byte limit", hdrLen, MaxHeaderSize-LengthFieldSize), nil)
	}
	hdrOff := size - LengthFieldSize - hdrLen
	var box []byte
	if hdrLen+LengthFieldSize <= tail {
		box = buf[tail-LengthFieldSize-hdrLen : tail-LengthFieldSize]
	} else {
		box = make([]byte, hdrLen)
		if err := readAt(rd, box, hdrOff); err != nil {
			return nil, bad(hdrOff, "read header", err)
		}
	}
	pt, err := key.OpenBox(nil, box)
	if err != nil {
		return nil, bad(hdrOff, "open header", err)
	}
	blobs, err := ParseHeader(pt)
	if err != nil {
		return nil, bad(hdrOff, "parse header", err)
	}
	var end int64
	if n := len(blobs); n > 0 {
		end = int64(blobs[n-1].Offset) + int64(blobs[n-1].Length)
	}
	if end != hdrOff {
		return nil, bad(hdrOff, fmt.Sprintf("blobs end at %d but the header starts at %d", end, hdrOff), nil)
	}
	return blobs, nil
}

// OpenBlob authenticates and decrypts the sealed bytes of b, decompresses
// them if needed, checks the length and that SHA-256 equals b.ID, and
// appends the plaintext to dst.
func OpenBlob(key *crypto.Key, dst, sealed []byte, b Blob) ([]byte, error) {
	return openBlob(key, dst, sealed, b, false)
}

// OpenBlobInPlace is OpenBlob for sealed bytes the caller no longer needs:
// it decrypts a compressed blob where it lies, so that only the plaintext
// needs a buffer of its own.
func OpenBlobInPlace(key *crypto.Key, dst, sealed []byte, b Blob) ([]byte, error) {
	return openBlob(key, dst, sealed, b, true)
}

// OpenBlobWithin is OpenBlobInPlace without a copy of an uncompressed
// blob: sealed is decrypted where it lies and plain is part of it, or, for
// a compressed blob, the plaintext decompressed into scratch[:0]. scratch
// is returned (grown) for the next call; plain is valid until sealed or
// scratch are reused. A check or a restore only reads the plaintext once,
// so decrypting into a buffer of its own was one more pass over memory.
func OpenBlobWithin(key *crypto.Key, scratch, sealed []byte, b Blob) (plain, scratchOut []byte, err error) {
	scratch = scratch[:0]
	if b.IsCompressed() {
		out, err := openBlob(key, scratch, sealed, b, true)
		if err != nil {
			return nil, out[:0], err
		}
		return out, out[:0], nil
	}
	if len(sealed) != int(b.Length) {
		return nil, scratch, &BlobError{Blob: b, Err: fmt.Errorf("got %d sealed bytes", len(sealed))}
	}
	pt, err := key.OpenBox(sealed[crypto.IVSize:crypto.IVSize], sealed) // overlaps exactly, as CTR allows
	if err == nil {
		err = checkPlain(pt, b)
	}
	if err != nil {
		return nil, scratch, &BlobError{Blob: b, Err: err}
	}
	return pt, scratch, nil
}

// checkPlain checks a blob's plaintext against its header entry.
func checkPlain(plain []byte, b Blob) error {
	if uint64(len(plain)) != uint64(b.PlaintextLength()) {
		return fmt.Errorf("decoded %d bytes, header says %d", len(plain), b.PlaintextLength())
	}
	if format.ID(sha256.Sum256(plain)) != b.ID {
		return ErrIDMismatch
	}
	return nil
}

func openBlob(key *crypto.Key, dst, sealed []byte, b Blob, inPlace bool) ([]byte, error) {
	fail := func(err error) ([]byte, error) { return dst, &BlobError{Blob: b, Err: err} }
	if len(sealed) != int(b.Length) {
		return fail(fmt.Errorf("got %d sealed bytes", len(sealed)))
	}
	start := len(dst)
	var out []byte
	var err error
	switch {
	case b.IsCompressed() && inPlace:
		pt, oerr := key.OpenBox(sealed[crypto.IVSize:crypto.IVSize], sealed) // overlaps exactly, as CTR allows
		if oerr != nil {
			return fail(oerr)
		}
		out, err = compress.Decode(dst, pt, int64(b.UncompressedLength))
	case b.IsCompressed():
		scratch := compressedBufs.Get()
		pt, oerr := key.OpenBox((*scratch)[:0], sealed)
		if oerr != nil {
			compressedBufs.Put(scratch)
			return fail(oerr)
		}
		out, err = compress.Decode(dst, pt, int64(b.UncompressedLength))
		*scratch = pt
		compressedBufs.Put(scratch)
	default:
		out, err = key.OpenBox(dst, sealed)
	}
	if err != nil {
		return fail(err)
	}
	if err := checkPlain(out[start:], b); err != nil {
		return fail(err)
	}
	return out, nil
}

// compressedBufs holds the decrypted, still compressed bytes of a blob
// between OpenBox and Decode: allocating (and zeroing) them per blob cost a
// restore 5% of its CPU.
var compressedBufs = bufpool.New(16, 64<<20)

// LoadBlob reads b from a pack and opens it like OpenBlob.
func LoadBlob(key *crypto.Key, rd io.ReaderAt, packID format.ID, b Blob, dst []byte) ([]byte, error) {
	sealed := make([]byte, b.Length)
	if err := readAt(rd, sealed, int64(b.Offset)); err != nil {
		return dst, fmt.Errorf("pack %v: read %v blob %v at offset %d: %w", packID.Str(), b.Type, b.ID.Str(), b.Offset, err)
	}
	out, err := OpenBlob(key, dst, sealed, b)
	var be *BlobError
	if errors.As(err, &be) {
		be.PackID = packID
	}
	return out, err
}

// readAt fills p; io.ReaderAt may report io.EOF together with a full read.
func readAt(rd io.ReaderAt, p []byte, off int64) error {
	n, err := rd.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}
