package bench

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"fmt"
	"testing"

	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 restic's MAC is Poly1305-AES; this measures what drydock runs.

	"github.com/drydock-backup/drydock/pkg/chunker"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
)

// The per-byte work of a first backup, one component at a time, over the
// same 128 MiB, in 1 MiB blobs where the backup works per blob: compare
// each with BenchmarkSHA256 of the same run (docs/performance.md).
//
//	GOMAXPROCS=1 go test -run '^$' -bench 'Component|SHA256$' -benchtime 3x ./bench/

const blob = 1 << 20

func eachBlob(data []byte, fn func([]byte)) {
	for off := 0; off+blob <= len(data); off += blob {
		fn(data[off : off+blob])
	}
}

// textData is compressible: numbered lines, like bench/backup.sh's text.
var textData = func() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 32<<20; i++ {
		fmt.Fprintf(&b, "line 7 of compressible text: %d\n", i)
	}
	return b.Bytes()[:32<<20]
}

func BenchmarkComponentSHA256PerBlob(b *testing.B) {
	data := benchData()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		eachBlob(data, func(p []byte) { sha256.Sum256(p) })
	}
}

func BenchmarkComponentAESCTR(b *testing.B) {
	data := benchData()
	block, _ := aes.NewCipher(make([]byte, 32))
	dst := make([]byte, blob)
	iv := make([]byte, aes.BlockSize)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		eachBlob(data, func(p []byte) { cipher.NewCTR(block, iv).XORKeyStream(dst, p) })
	}
}

func BenchmarkComponentPoly1305(b *testing.B) {
	data := benchData()
	var key [32]byte
	var tag [16]byte
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		eachBlob(data, func(p []byte) { poly1305.Sum(&tag, p, &key) })
	}
}

// BenchmarkComponentSeal is AES-CTR and Poly1305 as drydock seals a blob.
func BenchmarkComponentSeal(b *testing.B) {
	data := benchData()
	k, err := crypto.NewRandomKey()
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, 0, blob+crypto.Extension)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		eachBlob(data, func(p []byte) {
			if _, err := k.SealBox(dst[:0], p); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkComponentZstd(b *testing.B) {
	for _, tc := range []struct {
		name string
		data []byte
	}{{"random", benchData()}, {"text", textData()}} {
		b.Run(tc.name, func(b *testing.B) {
			dst := make([]byte, 0, 2*blob)
			b.SetBytes(int64(len(tc.data)))
			for b.Loop() {
				eachBlob(tc.data, func(p []byte) { dst = compress.Encode(dst[:0], p, compress.ModeAuto) })
			}
		})
	}
}

func BenchmarkComponentProbe(b *testing.B) {
	data := benchData()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		eachBlob(data, func(p []byte) {
			if !compress.Incompressible(p) {
				b.Fatal("random data judged compressible")
			}
		})
	}
}

// BenchmarkComponentChunker is BenchmarkDrydockChunker, in this list.
func BenchmarkComponentChunker(b *testing.B) {
	data := benchData()
	_ = wantChunks()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		got, err := chunker.Split(data, pol, chunker.Params{})
		if err != nil {
			b.Fatal(err)
		}
		check(b, len(got))
	}
}
