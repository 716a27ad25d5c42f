package crypto

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/scrypt"
)

// TestScryptLanesMatchXCrypto: scrypt with its lanes side by side gives
// x/crypto's bytes, for lane counts below, at and above p, for r and N
// small and as restic writes them, and key lengths shorter and longer
// than one SHA-256.
func TestScryptLanesMatchXCrypto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		p            Params
		keyLen, lane int
	}{
		{Params{N: 2, R: 1, P: 2}, 64, 2},
		{Params{N: 16, R: 1, P: 3}, 64, 2},
		{Params{N: 16, R: 3, P: 5}, 33, 3},
		{Params{N: 1024, R: 8, P: 4}, 64, 2},
		{Params{N: 256, R: 2, P: 2}, 100, 4},
		{Params{N: 32768, R: 8, P: 2}, 64, 2},
	} {
		t.Run(fmt.Sprintf("N=%d,r=%d,p=%d,lanes=%d", tc.p.N, tc.p.R, tc.p.P, tc.lane), func(t *testing.T) {
			password, salt := make([]byte, 1+rng.IntN(40)), make([]byte, 64)
			for _, b := range [][]byte{password, salt} {
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
			}
			want, err := scrypt.Key(password, salt, tc.p.N, tc.p.R, tc.p.P, tc.keyLen)
			if err != nil {
				t.Fatal(err)
			}
			got, err := scryptLanes(password, salt, tc.p, tc.keyLen, tc.lane)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("scryptLanes = %x, %v\nwant %x", got, err, want)
			}
			if got, err := scryptKey(password, salt, tc.p, tc.keyLen); err != nil || !bytes.Equal(got, want) {
				t.Errorf("scryptKey = %x, %v\nwant %x", got, err, want)
			}
		})
	}
}

// RFC 7914's third test vector (N=16384, r=8, p=1 is x/crypto's path):
// N=1024, r=8, p=16, the lanes path on any machine with two cores.
func TestScryptLanesRFCVector(t *testing.T) {
	want := []byte{
		0xfd, 0xba, 0xbe, 0x1c, 0x9d, 0x34, 0x72, 0x00, 0x78, 0x56, 0xe7, 0x19, 0x0d, 0x01, 0xe9, 0xfe,
		0x7c, 0x6a, 0xd7, 0xcb, 0xc8, 0x23, 0x78, 0x30, 0xe7, 0x73, 0x76, 0x63, 0x4b, 0x37, 0x31, 0x62,
		0x2e, 0xaf, 0x30, 0xd9, 0x2e, 0x22, 0xa3, 0x88, 0x6f, 0xf1, 0x09, 0x27, 0x9d, 0x98, 0x30, 0xda,
		0xc7, 0x27, 0xaf, 0xb9, 0x4a, 0x83, 0xee, 0x6d, 0x83, 0x60, 0xcb, 0xdf, 0xa2, 0xcc, 0x06, 0x40,
	}
	got, err := scryptLanes([]byte("password"), []byte("NaCl"), Params{N: 1024, R: 8, P: 16}, 64, 2)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("RFC 7914 vector: %x, %v", got, err)
	}
}

func BenchmarkScrypt(b *testing.B) {
	password, salt := []byte("benchmark"), make([]byte, 64)
	p := Params{N: 32768, R: 8, P: 4}
	b.Run("x/crypto", func(b *testing.B) {
		for b.Loop() {
			_, _ = scrypt.Key(password, salt, p.N, p.R, p.P, 64)
		}
	})
	b.Run("lanes", func(b *testing.B) {
		for b.Loop() {
			_, _ = scryptLanes(password, salt, p, 64, 2)
		}
	})
	b.Run("one lane", func(b *testing.B) {
		for b.Loop() {
			_, _ = scryptLanes(password, salt, p, 64, 1)
		}
	})
}

func BenchmarkScryptOneLane(b *testing.B) {
	password, salt := []byte("benchmark"), make([]byte, 64)
	p := DefaultParams
	b.Run("x/crypto", func(b *testing.B) {
		for b.Loop() {
			_, _ = scrypt.Key(password, salt, p.N, p.R, p.P, 64)
		}
	})
	b.Run("mixer", func(b *testing.B) {
		for b.Loop() {
			_, _ = scryptLanes(password, salt, p, 64, 1)
		}
	})
}
