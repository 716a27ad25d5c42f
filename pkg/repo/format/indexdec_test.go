package format

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// checkFastIndex: where the fast decoder accepts data, encoding/json must
// accept it too and decode the same index.
func checkFastIndex(t *testing.T, data []byte) (fastOK bool) {
	t.Helper()
	fast, ok := decodeIndexFast(data)
	if !ok {
		return false
	}
	var slow Index
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatalf("fast decoder accepted what encoding/json refuses (%v):\n%q", err, data)
	}
	if !reflect.DeepEqual(fast, &slow) {
		t.Fatalf("decoders disagree on\n%q\nfast %+v\nslow %+v", data, fast, &slow)
	}
	return true
}

// TestDecodeIndexFast: what EncodeIndex writes (random packs and blobs,
// compressed or not, empty lists) takes the fast path and decodes as
// encoding/json decodes it; other layouts fall back.
func TestDecodeIndexFast(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		idx := &Index{Packs: []IndexPack{}}
		for range r.IntN(4) {
			p := IndexPack{Blobs: []IndexBlob{}}
			fillID(r, &p.ID)
			for range r.IntN(5) {
				b := IndexBlob{Type: BlobType(1 + r.IntN(2)), Offset: r.Uint32(), Length: r.Uint32()}
				if r.IntN(2) == 0 {
					b.UncompressedLength = r.Uint32()
				}
				fillID(r, &b.ID)
				p.Blobs = append(p.Blobs, b)
			}
			idx.Packs = append(idx.Packs, p)
		}
		data, err := EncodeIndex(idx)
		if err != nil {
			t.Fatal(err)
		}
		if !checkFastIndex(t, data) {
			t.Fatalf("our own encoding left to encoding/json:\n%s", data)
		}
	}
	id := `"` + ID{1}.String() + `"`
	for _, slow := range []string{
		`{"supersedes":[],"packs":[]}`,
		`{"packs": []}`,
		`{"packs":[{"blobs":[],"id":` + id + `}]}`,
		`{"packs":[{"id":` + id + `,"blobs":null}]}`,
		`{"packs":[{"id":` + id + `,"blobs":[{"id":` + id + `,"type":"data","offset":1.0,"length":40}]}]}`,
		`{"packs":[{"id":` + id + `,"blobs":[{"id":` + id + `,"type":"data","offset":1,"length":4294967296}]}]}`,
		`{"packs":[]}x`,
	} {
		if checkFastIndex(t, []byte(slow)) {
			t.Errorf("fast decoder took %s", slow)
		}
	}
}

func fillID(r *rand.Rand, id *ID) {
	for i := range id {
		id[i] = byte(r.Uint32())
	}
}

// FuzzDecodeIndexFast: the fast decoder never accepts what encoding/json
// refuses, and never decodes differently.
func FuzzDecodeIndexFast(f *testing.F) {
	id := `"` + ID{1, 2, 3}.String() + `"`
	f.Add([]byte(`{"packs":[{"id":` + id + `,"blobs":[{"id":` + id + `,"type":"data","offset":0,"length":47,"uncompressed_length":6}]}]}` + "\n"))
	f.Add([]byte(`{"packs":[{"id":` + id + `,"blobs":[{"id":` + id + `,"type":"tree","offset":5,"length":32},{"id":` + id + `,"type":"data","offset":37,"length":40}]}]}`))
	f.Add([]byte(`{"packs":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastIndex(t, data)
	})
}

// BenchmarkDecodeIndex: one full index file (50,000 blobs), the fast
// decoder against encoding/json.
func BenchmarkDecodeIndex(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	idx := &Index{}
	for range MaxIndexBlobs / 50 {
		p := IndexPack{}
		fillID(r, &p.ID)
		for i := range 50 {
			bl := IndexBlob{Type: DataBlob, Offset: uint32(i) << 16, Length: r.Uint32() >> 12, UncompressedLength: r.Uint32() >> 11}
			fillID(r, &bl.ID)
			p.Blobs = append(p.Blobs, bl)
		}
		idx.Packs = append(idx.Packs, p)
	}
	data, err := EncodeIndex(idx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, ok := decodeIndexFast(data); !ok {
				b.Fatal("not fast")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var x Index
			if err := json.Unmarshal(data, &x); err != nil {
				b.Fatal(err)
			}
		}
	})
}
