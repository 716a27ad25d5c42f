package pack_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func specKey(t testing.TB) *crypto.Key {
	t.Helper()
	k := &crypto.Key{}
	copy(k.EncryptionKey[:], unhex(t, "303e8687b1d7db18421bdc6bb8588ccadac4d59ee87b8ff70c44e635790cafef"))
	copy(k.MACKey.K[:], unhex(t, "ef4d8824cb80b2bcc5fbff8a9b12a42c"))
	copy(k.MACKey.R[:], unhex(t, "cc8d4b948ee0ebfe1d415de921d10353"))
	return k
}

// ivSource yields 00..0f, 10..1f, … as the spec's docs/format.md §5.5 vector uses.
type ivSource struct{ next byte }

func (s *ivSource) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = s.next
		s.next++
	}
	return len(p), nil
}

func TestSpecPackVector(t *testing.T) {
	want := unhex(t, `000102030405060708090a0b0c0d0e0f7cda86fc843484d47c0abb62b2e569d18f22ba012570
		101112131415161718191a1b1c1d1e1f9daf526b0ecb2e8b37104f2e049514155d5bd81566dff08972f6c261b4d235c82b561770989a968ef940285daf597165fb467f22ca
		45000000`)
	for _, version := range []uint{1, 2} {
		t.Run(fmt.Sprint("v", version), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := pack.NewWriter(&buf, specKey(t), pack.Options{Version: version, Rand: &ivSource{}})
			if err != nil {
				t.Fatal(err)
			}
			data := []byte("hello\n")
			if _, err := w.Add(format.DataBlob, format.Hash(data), data, false); err != nil {
				t.Fatal(err)
			}
			res, err := w.Finalize()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("pack bytes\n got %x\nwant %x", buf.Bytes(), want)
			}
			if res.ID.String() != "4681d7cebd68fd93eefac1fd4e08704d726d330f7ab3b83bb79da4657332ece0" || res.Size != 111 {
				t.Fatalf("pack id %v size %d", res.ID, res.Size)
			}
			if got := pack.PackedSize(res.Blobs); got != 111 {
				t.Fatalf("PackedSize = %d", got)
			}
			blobs, err := pack.ReadHeader(specKey(t), bytes.NewReader(want), int64(len(want)), res.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantBlob := pack.Blob{Type: format.DataBlob, ID: format.Hash(data), Offset: 0, Length: 38}
			if len(blobs) != 1 || blobs[0] != wantBlob {
				t.Fatalf("header %+v", blobs)
			}
		})
	}
}

type blobSpec struct {
	size     int
	compress bool
}

func buildPack(t *testing.T, key *crypto.Key, version uint, typ format.BlobType, specs []blobSpec) ([]byte, pack.Result, [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pack.NewWriter(&buf, key, pack.Options{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(len(specs)), 1))
	var plains [][]byte
	for i, s := range specs {
		p := make([]byte, s.size)
		for j := range p {
			if i%2 == 0 {
				p[j] = byte(rng.Uint32()) // incompressible
			} else {
				p[j] = byte(j % 7)
			}
		}
		b, err := w.Add(typ, format.Hash(p), p, s.compress)
		if err != nil {
			t.Fatal(err)
		}
		if s.size == 0 && b.IsCompressed() {
			t.Fatal("0-byte blob marked compressed")
		}
		plains = append(plains, p)
	}
	expect := w.PackedSize()
	res, err := w.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	if expect != res.Size || w.PackedSize() != res.Size {
		t.Fatalf("PackedSize before finalize %d, after %d, real %d", expect, w.PackedSize(), res.Size)
	}
	if format.Hash(buf.Bytes()) != res.ID || int64(buf.Len()) != res.Size || pack.PackedSize(res.Blobs) != res.Size {
		t.Fatalf("pack id/size mismatch: %v %d %d", res.ID, res.Size, buf.Len())
	}
	return buf.Bytes(), res, plains
}

func TestRoundTrip(t *testing.T) {
	key, _ := crypto.NewRandomKey()
	many := func(n int, c bool) []blobSpec {
		s := make([]blobSpec, n)
		for i := range s {
			s[i] = blobSpec{size: i * 3, compress: c}
		}
		return s
	}
	tests := []struct {
		name    string
		version uint
		typ     format.BlobType
		blobs   []blobSpec
	}{
		{"v2 mixed data", 2, format.DataBlob, []blobSpec{{0, true}, {1, true}, {100, false}, {5000, true}, {70000, true}, {0, false}}},
		{"v2 tree", 2, format.TreeBlob, []blobSpec{{10, true}, {300, true}}},
		{"v1 data", 1, format.DataBlob, []blobSpec{{0, false}, {17, false}, {4096, false}}},
		// Header sizes around the eager tail read (15 compressed entries).
		{"14 compressed", 2, format.DataBlob, many(14, true)},
		{"15 compressed", 2, format.DataBlob, many(15, true)},
		{"16 compressed", 2, format.DataBlob, many(16, true)},
		{"300 uncompressed", 2, format.TreeBlob, many(300, false)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file, res, plains := buildPack(t, key, tc.version, tc.typ, tc.blobs)
			checkPack(t, key, file, res, plains, tc.blobs)
		})
	}
}

// Writers share sealing buffers: many at once, with blobs of every size,
// must still each write exactly their own bytes.
func TestWritersInParallel(t *testing.T) {
	key, _ := crypto.NewRandomKey()
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(i), 2))
			specs := make([]blobSpec, 10+i)
			for j := range specs {
				specs[j] = blobSpec{size: rng.IntN(1 << 20), compress: rng.IntN(3) > 0}
			}
			specs[i] = blobSpec{size: 0, compress: i%2 == 0}
			file, res, plains := buildPack(t, key, 2, format.DataBlob, specs)
			checkPack(t, key, file, res, plains, specs)
		})
	}
}

func checkPack(t *testing.T, key *crypto.Key, file []byte, res pack.Result, plains [][]byte, specs []blobSpec) {
	t.Helper()
	blobs, err := pack.ReadHeader(key, bytes.NewReader(file), int64(len(file)), res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(blobs) != len(res.Blobs) {
		t.Fatalf("%d blobs read, %d written", len(blobs), len(res.Blobs))
	}
	for i, b := range blobs {
		if b != res.Blobs[i] {
			t.Fatalf("blob %d: header %+v, writer %+v", i, b, res.Blobs[i])
		}
		got, err := pack.LoadBlob(key, bytes.NewReader(file), res.ID, b, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[1:], plains[i]) {
			t.Fatalf("blob %d content differs", i)
		}
		sealed := bytes.Clone(file[b.Offset : b.Offset+b.Length])
		if got, err := pack.OpenBlobInPlace(key, []byte("y"), sealed, b); err != nil || !bytes.Equal(got[1:], plains[i]) || got[0] != 'y' {
			t.Fatalf("blob %d opened in place: %v", i, err)
		}
		sealed = bytes.Clone(file[b.Offset : b.Offset+b.Length])
		plain, scratch, err := pack.OpenBlobWithin(key, []byte("z"), sealed, b)
		if err != nil || !bytes.Equal(plain, plains[i]) {
			t.Fatalf("blob %d opened within: %v", i, err)
		}
		// The plaintext of an uncompressed blob is the sealed buffer itself.
		if within := len(plain) > 0 && &plain[0] == &sealed[crypto.IVSize]; len(plain) > 0 && within == b.IsCompressed() {
			t.Fatalf("blob %d (compressed %v): plaintext within the sealed bytes is %v", i, b.IsCompressed(), within)
		}
		if len(scratch) != 0 {
			t.Fatalf("blob %d: scratch returned with %d bytes, want none", i, len(scratch))
		}
		if b.IsCompressed() != (specs[i].compress && specs[i].size > 0) {
			t.Fatalf("blob %d compressed=%v", i, b.IsCompressed())
		}
	}
}

func TestWriterRefuses(t *testing.T) {
	key, _ := crypto.NewRandomKey()
	var buf bytes.Buffer
	w, _ := pack.NewWriter(&buf, key, pack.Options{Version: 2})
	if _, err := w.Finalize(); err == nil {
		t.Error("empty pack finalized")
	}
	if _, err := w.Add(format.DataBlob, format.Hash(nil), nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add(format.TreeBlob, format.Hash(nil), nil, false); !errors.Is(err, pack.ErrMixedTypes) {
		t.Errorf("mixed: %v", err)
	}
	if _, err := w.Finalize(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add(format.DataBlob, format.Hash(nil), nil, false); !errors.Is(err, pack.ErrFinalized) {
		t.Errorf("after finalize: %v", err)
	}
	w1, _ := pack.NewWriter(&buf, key, pack.Options{Version: 1})
	if _, err := w1.Add(format.DataBlob, format.Hash([]byte("a")), []byte("a"), true); !errors.Is(err, pack.ErrCompressionUnsupported) {
		t.Errorf("v1 compress: %v", err)
	}
	if _, err := pack.NewWriter(&buf, key, pack.Options{Version: 3}); err == nil {
		t.Error("version 3 accepted")
	}
}

func TestReadHeaderRejects(t *testing.T) {
	key, _ := crypto.NewRandomKey()
	file, res, _ := buildPack(t, key, 2, format.DataBlob, []blobSpec{{10, true}, {20, false}})
	setLen := func(n uint32) []byte {
		f := bytes.Clone(file)
		binary.LittleEndian.PutUint32(f[len(f)-4:], n)
		return f
	}
	flip := func(off int) []byte {
		f := bytes.Clone(file)
		f[off] ^= 1
		return f
	}
	other, _ := crypto.NewRandomKey()
	tests := []struct {
		name string
		file []byte
		key  *crypto.Key
	}{
		{"too small", file[:72], key},
		{"trailing byte", append(bytes.Clone(file), 0), key},
		{"leading byte", append([]byte{0}, file...), key},
		{"truncated", file[:len(file)-5], key},
		{"hdr len 0", setLen(0), key},
		{"hdr len 31", setLen(31), key},
		{"hdr len > size", setLen(uint32(len(file))), key},
		{"hdr len huge", setLen(1 << 31), key},
		{"header bit flip", flip(len(file) - 10), key},
		{"wrong key", file, other},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pack.ReadHeader(tc.key, bytes.NewReader(tc.file), int64(len(tc.file)), res.ID)
			var ipe *pack.InvalidPackError
			if !errors.As(err, &ipe) || !errors.Is(err, pack.ErrCorrupt) || ipe.PackID != res.ID {
				t.Fatalf("err = %v, want *InvalidPackError for %v", err, res.ID.Str())
			}
		})
	}
	// Blob-level corruption is found when opening the blob.
	bad := flip(3)
	_, err := pack.LoadBlob(key, bytes.NewReader(bad), res.ID, res.Blobs[0], nil)
	var be *pack.BlobError
	if !errors.As(err, &be) || !errors.Is(err, crypto.ErrUnauthenticated) || be.PackID != res.ID {
		t.Fatalf("corrupt blob: %v", err)
	}
	b0 := res.Blobs[0]
	_, err = pack.OpenBlobInPlace(key, nil, bytes.Clone(bad[b0.Offset:b0.Offset+b0.Length]), b0)
	if !errors.As(err, &be) || !errors.Is(err, crypto.ErrUnauthenticated) {
		t.Fatalf("corrupt blob opened in place: %v", err)
	}
	wrongID := res.Blobs[1]
	wrongID.ID[0] ^= 1
	if _, err := pack.LoadBlob(key, bytes.NewReader(file), res.ID, wrongID, nil); !errors.Is(err, pack.ErrIDMismatch) {
		t.Fatalf("wrong id: %v", err)
	}
	wrongLen := res.Blobs[0]
	wrongLen.UncompressedLength++
	if _, err := pack.LoadBlob(key, bytes.NewReader(file), res.ID, wrongLen, nil); !errors.Is(err, pack.ErrCorrupt) {
		t.Fatalf("wrong ulen: %v", err)
	}
}

func TestSizes(t *testing.T) {
	if pack.EntrySize != 37 || pack.CompressedEntrySize != 41 || pack.MinPackSize != 73 {
		t.Fatal("size constants")
	}
	blobs := []pack.Blob{{Length: 100}, {Length: 50, UncompressedLength: 200}}
	if got := pack.PackedSize(blobs); got != 36+37+41+150 {
		t.Fatalf("PackedSize = %d", got)
	}
	if pack.CheckVersion(blobs, 1) == nil || pack.CheckVersion(blobs, 2) != nil || pack.CheckVersion(blobs[:1], 1) != nil {
		t.Fatal("CheckVersion")
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestWriterPropagatesWriteErrors(t *testing.T) {
	key, _ := crypto.NewRandomKey()
	w, _ := pack.NewWriter(&failWriter{n: 1}, key, pack.Options{Version: 2})
	if _, err := w.Add(format.DataBlob, format.Hash([]byte("a")), []byte("a"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add(format.DataBlob, format.Hash([]byte("b")), []byte("b"), true); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("write error not reported: %v", err)
	}
	// Unusable after a failed write, and saying why: the write error, not
	// "already finalized", which hid "no space left on device".
	if _, err := w.Finalize(); err == nil || errors.Is(err, pack.ErrFinalized) || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Finalize after a failed write: %v", err)
	}
	if _, err := w.Add(format.DataBlob, format.Hash([]byte("c")), []byte("c"), true); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Add after a failed write: %v", err)
	}
}
