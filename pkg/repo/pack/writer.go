package pack

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/drydock-backup/drydock/internal/bufpool"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

var (
	// ErrMixedTypes is returned when data and tree blobs would share a pack.
	ErrMixedTypes = errors.New("pack: data and tree blobs must not share a pack")
	// ErrCompressionUnsupported is returned for compressed blobs in a
	// version 1 repository.
	ErrCompressionUnsupported = errors.New("pack: repository version 1 does not support compressed blobs")
	// ErrFull is returned when a blob does not fit (header limit or 4 GiB).
	ErrFull = errors.New("pack: full")
	// ErrFinalized is returned when using a Writer after Finalize.
	ErrFinalized = errors.New("pack: writer already finalized")
)

// Options configure a Writer.
type Options struct {
	// Version is the repository version (1 or 2); compressed blobs need 2.
	Version uint
	// Mode is the zstd level for blobs added with compression.
	Mode compress.Mode
	// Rand is the IV source; nil means crypto/rand. Only tests set it, to
	// produce byte-exact packs.
	Rand io.Reader
}

// Result describes a finalized pack.
type Result struct {
	ID    format.ID // SHA-256 of every byte written
	Size  int64     // total bytes written
	Blobs []Blob    // header entries, for the index
}

// Writer writes one pack. It is not safe for concurrent use.
type Writer struct {
	w       io.Writer
	hash    hash.Hash
	key     *crypto.Key
	opts    Options
	typ     format.BlobType
	blobs   []Blob
	size    int64
	hdrSize int64
	done    bool
	failed  error // the write error that ended this pack
}

// NewWriter returns a Writer that seals blobs with key and writes to w.
func NewWriter(w io.Writer, key *crypto.Key, opts Options) (*Writer, error) {
	if opts.Version != format.Version1 && opts.Version != format.Version2 {
		return nil, fmt.Errorf("pack writer: %w %d", format.ErrUnsupportedVersion, opts.Version)
	}
	if !key.Valid() {
		return nil, errors.New("pack writer: key is empty")
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &Writer{w: w, hash: sha256.New(), key: key, opts: opts, hdrSize: crypto.Extension}, nil
}

// Type returns the blob type of this pack (InvalidBlob while empty).
func (w *Writer) Type() format.BlobType { return w.typ }

// Count returns the number of blobs added.
func (w *Writer) Count() int { return len(w.blobs) }

// Size returns the bytes written so far (blobs only, no header). restic
// closes a pack once this reaches the target pack size.
func (w *Writer) Size() int64 { return w.size }

// PackedSize returns the file size the pack will have if finalized now.
func (w *Writer) PackedSize() int64 {
	if w.done {
		return w.size
	}
	return w.size + w.hdrSize + LengthFieldSize
}

// Add seals plaintext (compressing it first if compressed is set) and
// writes it. id must be the SHA-256 of plaintext; the caller has it already
// from deduplication. A zero-length blob is never marked compressed.
func (w *Writer) Add(t format.BlobType, id format.ID, plaintext []byte, compressed bool) (Blob, error) {
	switch {
	case w.failed != nil:
		return Blob{}, w.failedErr()
	case w.done:
		return Blob{}, ErrFinalized
	case t != format.DataBlob && t != format.TreeBlob:
		return Blob{}, fmt.Errorf("pack: add blob %v: invalid type %d", id.Str(), t)
	case w.typ != format.InvalidBlob && w.typ != t:
		return Blob{}, fmt.Errorf("add %v blob %v to %v pack: %w", t, id.Str(), w.typ, ErrMixedTypes)
	case compressed && w.opts.Version < format.Version2:
		return Blob{}, ErrCompressionUnsupported
	}
	if compressed && uint64(len(plaintext)) > 1<<32-1 {
		return Blob{}, fmt.Errorf("pack: add blob %v: %d bytes: %w", id.Str(), len(plaintext), ErrFull)
	}
	b := Blob{Type: t, ID: id, Offset: uint32(w.size)}
	// The box is built in one buffer: room for the IV, the payload (the
	// compressed plaintext, encrypted in place), then the MAC.
	scratch := scratchBufs.Get()
	box := append((*scratch)[:0], make([]byte, crypto.IVSize)...)
	defer func() { *scratch = box; scratchBufs.Put(scratch) }()
	payload := plaintext
	if compressed && len(plaintext) > 0 {
		box = compress.Encode(box, plaintext, w.opts.Mode)
		payload = box[crypto.IVSize:]
		b.UncompressedLength = uint32(len(plaintext))
	}
	sealed := int64(len(payload)) + crypto.Extension
	if w.size+sealed > 1<<32-1 || w.hdrSize+int64(b.EntrySize())+LengthFieldSize > MaxHeaderSize {
		return Blob{}, fmt.Errorf("pack: add blob %v (%d bytes at offset %d): %w", id.Str(), sealed, w.size, ErrFull)
	}
	var iv [crypto.IVSize]byte
	if err := crypto.NewIV(w.opts.Rand, &iv); err != nil {
		return Blob{}, err
	}
	copy(box, iv[:])
	box = w.key.Seal(box[:crypto.IVSize], iv[:], payload, nil)
	b.Length = uint32(len(box))
	if err := w.write(box); err != nil {
		return Blob{}, fmt.Errorf("pack: write blob %v: %w", id.Str(), err)
	}
	w.typ = t
	w.hdrSize += int64(b.EntrySize())
	w.blobs = append(w.blobs, b)
	return b, nil
}

// scratchBufs hold sealed blobs between sealing and writing. A Writer
// lives for one pack but its blobs are up to 8 MiB: buffers of its own
// were re-grown for every pack and made up most of what a backup
// allocated, and so how high the heap rose between collections.
var scratchBufs = bufpool.New(8, 64<<20)

func (w *Writer) write(p []byte) error {
	n, err := w.w.Write(p)
	w.hash.Write(p[:n])
	w.size += int64(n)
	if err == nil && n != len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		// The underlying stream is now inconsistent; refuse further use,
		// and keep saying why.
		w.done, w.failed = true, err
	}
	return err
}

// failedErr is what a Writer whose stream failed returns when used again:
// the original error, not ErrFinalized, which would hide it.
func (w *Writer) failedErr() error {
	return fmt.Errorf("pack: an earlier write failed: %w", w.failed)
}

// Finalize writes the sealed header and its length and returns the pack
// ID and entries. An empty pack is an error: restic cannot read one.
func (w *Writer) Finalize() (Result, error) {
	if w.failed != nil {
		return Result{}, w.failedErr()
	}
	if w.done {
		return Result{}, ErrFinalized
	}
	if len(w.blobs) == 0 {
		return Result{}, errors.New("pack: finalize: no blobs added")
	}
	hdr := make([]byte, 0, w.hdrSize-crypto.Extension)
	for _, b := range w.blobs {
		hdr = appendEntry(hdr, b)
	}
	var iv [crypto.IVSize]byte
	if err := crypto.NewIV(w.opts.Rand, &iv); err != nil {
		return Result{}, err
	}
	buf := w.key.SealBoxIV(nil, &iv, hdr)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(buf)))
	if err := w.write(buf); err != nil {
		return Result{}, fmt.Errorf("pack: write header: %w", err)
	}
	w.done = true
	var id format.ID
	w.hash.Sum(id[:0])
	return Result{ID: id, Size: w.size, Blobs: w.blobs}, nil
}
