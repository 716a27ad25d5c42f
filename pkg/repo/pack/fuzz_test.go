package pack_test

import (
	"bytes"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

// FuzzReadHeader feeds arbitrary files to the header reader and opens every
// blob it reports; nothing may panic. Seeds are valid packs under the spec
// key, so mutations explore headers that authenticate.
func FuzzReadHeader(f *testing.F) {
	key := specKey(f)
	for _, specs := range [][]bool{{false}, {true, false, true}, {true}} {
		var buf bytes.Buffer
		w, _ := pack.NewWriter(&buf, key, pack.Options{Version: 2, Rand: &ivSource{next: 1}})
		for i, c := range specs {
			p := bytes.Repeat([]byte{byte(i)}, i*10)
			if _, err := w.Add(format.DataBlob, format.Hash(p), p, c); err != nil {
				f.Fatal(err)
			}
		}
		if _, err := w.Finalize(); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		blobs, err := pack.ReadHeader(key, bytes.NewReader(file), int64(len(file)), format.ID{})
		if err != nil {
			return
		}
		if pack.PackedSize(blobs) != int64(len(file)) {
			t.Fatalf("accepted header does not match size: %d != %d", pack.PackedSize(blobs), len(file))
		}
		for _, b := range blobs { // opened in place or not, the same result
			plain, err := pack.LoadBlob(key, bytes.NewReader(file), format.ID{}, b, nil)
			inPlace, errInPlace := pack.OpenBlobInPlace(key, nil, bytes.Clone(file[b.Offset:b.Offset+b.Length]), b)
			if (err == nil) != (errInPlace == nil) || !bytes.Equal(plain, inPlace) {
				t.Fatalf("blob %+v: %v, in place %v", b, err, errInPlace)
			}
			within, _, errWithin := pack.OpenBlobWithin(key, nil, bytes.Clone(file[b.Offset:b.Offset+b.Length]), b)
			if (err == nil) != (errWithin == nil) || err == nil && !bytes.Equal(plain, within) {
				t.Fatalf("blob %+v: %v, within %v", b, err, errWithin)
			}
			errVerify := pack.VerifyBlob(key, bytes.NewReader(file[b.Offset:b.Offset+b.Length]), b, nil)
			// A stream may refuse what it cannot judge (a wide window) and
			// leave it to the full read; it must never pass what that refuses.
			if errVerify == nil && err != nil {
				t.Fatalf("blob %+v: %v, yet verified as a stream", b, err)
			}
		}
	})
}

// FuzzParseHeader checks the plaintext entry parser on its own, where the
// fuzzer does not have to forge MACs.
func FuzzParseHeader(f *testing.F) {
	f.Add(append([]byte{0, 38, 0, 0, 0}, make([]byte, 32)...))
	f.Add(append([]byte{3, 40, 0, 0, 0, 9, 0, 0, 0}, make([]byte, 32)...))
	f.Add([]byte{2, 1})
	f.Fuzz(func(t *testing.T, hdr []byte) {
		blobs, err := pack.ParseHeader(hdr)
		if err != nil {
			return
		}
		var n int64 = crypto.Extension
		var off uint32
		for _, b := range blobs {
			if b.Offset != off || b.Length < crypto.Extension {
				t.Fatalf("bad blob %+v", b)
			}
			off += b.Length
			n += int64(b.EntrySize())
		}
		if n != int64(len(hdr))+crypto.Extension {
			t.Fatalf("entries cover %d of %d bytes", n-crypto.Extension, len(hdr))
		}
	})
}
