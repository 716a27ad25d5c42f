package format_test

import (
	"bytes"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// The fuzz targets check that no parser of repository data panics, and
// that whatever a decoder accepts survives an encode/decode round trip.

func FuzzDecodeConfig(f *testing.F) {
	f.Add([]byte(`{"version":2,"id":"ec22d6c10232a90d10b43f018943fc2ac5ef5d6faa58f0e0461c8f3139a54075","chunker_polynomial":"316037900a242f"}`))
	f.Add([]byte(`{"version":1,"id":"x","chunker_polynomial":"ffffffffffffffff"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := format.DecodeConfig(data)
		if err != nil {
			return
		}
		b, err := format.EncodeConfig(c)
		if err != nil {
			t.Fatalf("accepted config does not encode: %v", err)
		}
		c2, err := format.DecodeConfig(b)
		if err != nil || *c2 != *c {
			t.Fatalf("round trip: %v %+v %+v", err, c, c2)
		}
	})
}

func FuzzDecodeIndex(f *testing.F) {
	f.Add([]byte(`{"packs":[{"id":"`+helloID+`","blobs":[{"id":"`+helloID+`","type":"data","offset":0,"length":47,"uncompressed_length":6}]}]}`), uint8(2))
	f.Add([]byte(`{"supersedes":[],"packs":[{"id":"`+helloID+`","blobs":[{"id":"`+helloID+`","type":"tree","offset":5,"length":32}]}]}`), uint8(1))
	f.Add([]byte(`[{"id":"`+helloID+`","blobs":[]}]`), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, version uint8) {
		idx, err := format.DecodeIndex(data, uint(version))
		if err != nil {
			return
		}
		b, err := format.EncodeIndex(idx)
		if err != nil {
			t.Fatalf("accepted index does not encode: %v", err)
		}
		if _, err := format.DecodeIndex(b, uint(version)); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-23T06:42:01.85196727Z","tree":"` + helloID + `","paths":["/tmp/exp/src"],"hostname":"vm","username":"root"}`))
	f.Add([]byte(`{"time":"2026-11-23T06:42:01Z","parent":"` + helloID + `","tree":"` + helloID + `","paths":["/"],"tags":["a"],"summary":{"files_new":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := format.DecodeSnapshot(data)
		if err != nil || len(s.Paths) == 0 {
			return
		}
		if _, err := format.EncodeSnapshot(s); err != nil {
			t.Fatalf("accepted snapshot does not encode: %v", err)
		}
	})
}

func FuzzDecodeLock(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-23T06:43:23.501932591Z","exclusive":false,"hostname":"backuphost","username":"daemon","pid":4242,"uid":1000,"gid":1000}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := format.DecodeLock(data)
		if err != nil {
			return
		}
		if _, err := format.EncodeLock(l); err != nil {
			t.Fatalf("accepted lock does not encode: %v", err)
		}
	})
}

func FuzzDecodeTree(f *testing.F) {
	f.Add([]byte("{\"nodes\":[]}\n"))
	f.Add([]byte(`{"nodes":[` + nodeEmpty + `,` + nodeFifo + `,` + nodeLink + `,` + nodeSmall + `,` + nodeSub + `]}`))
	f.Add([]byte(`{"nodes":[{"name":"we\\\"ird\\\\name\u003c\u0026\u003e\\xff","type":"file","mode":420,"content":[],"extended_attributes":[{"name":"user.x","value":"AAE="}],"linktarget_raw":"/w=="}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := format.DecodeTree(data)
		if err != nil {
			return
		}
		if tr.Validate() != nil {
			return
		}
		b, err := format.EncodeTree(tr.Nodes)
		if err != nil {
			t.Fatalf("valid tree does not encode: %v", err)
		}
		tr2, err := format.DecodeTree(b)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, b)
		}
		b2, err := format.EncodeTree(tr2.Nodes)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", b, b2)
		}
	})
}

func FuzzDecodeKeyFile(f *testing.F) {
	f.Add([]byte(`{"created":"2026-11-23T06:42:01.278120521Z","username":"root","hostname":"vm","kdf":"scrypt","N":32768,"r":8,"p":8,"salt":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==","data":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := format.DecodeKeyFile(data)
		if err != nil {
			return
		}
		if _, err := format.EncodeKeyFile(k); err != nil {
			t.Fatalf("accepted key file does not encode: %v", err)
		}
	})
}

func FuzzDecodeUnpacked(f *testing.F) {
	doc := []byte(`{"packs":[]}`)
	z, _ := format.EncodeUnpacked(2, doc, compress.ModeAuto)
	f.Add(z, uint8(2))
	f.Add(doc, uint8(1))
	f.Add([]byte("[]"), uint8(2))
	f.Add([]byte("\x02"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, version uint8) {
		out, err := format.DecodeUnpacked(uint(version), data)
		if err != nil || version != 2 || len(out) == 0 || (out[0] != '{' && out[0] != '[') {
			return
		}
		// Anything readable must be re-encodable to the same document.
		enc, err := format.EncodeUnpacked(2, out, compress.ModeAuto)
		if err != nil {
			t.Fatal(err)
		}
		back, err := format.DecodeUnpacked(2, enc)
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
