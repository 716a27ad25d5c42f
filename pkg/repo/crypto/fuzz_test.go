package crypto_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func FuzzOpenBox(f *testing.F) {
	k := specKey(f)
	f.Add(unhex(f, "69fb41c62d12def4593bd71757138606338f621aeaeb39da0fe4f99233f8037a54ea63338a813bcf3f75d8c3cc75dddf8750"))
	f.Add(unhex(f, "000102030405060708090a0b0c0d0e0f7cda86fc843484d47c0abb62b2e569d18f22ba012570"))
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, box []byte) {
		pt, err := k.OpenBox(nil, box)
		if err != nil {
			return
		}
		// Anything that opens must re-seal to the same bytes with its IV.
		var iv [crypto.IVSize]byte
		copy(iv[:], box)
		if again := k.SealBoxIV(nil, &iv, pt); !bytes.Equal(again, box) {
			t.Fatalf("reseal differs")
		}
	})
}

// FuzzOpenKeyFile parses key files and, when the KDF is cheap enough for a
// fuzzer, derives the key and opens the master key.
func FuzzOpenKeyFile(f *testing.F) {
	master := specKey(f)
	kf, err := crypto.CreateKeyFile("pw", master, crypto.KeyFileOptions{Params: crypto.Params{N: 2, R: 1, P: 1}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(kf, "pw")
	f.Add(kf, "wrong")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		k, err := format.DecodeKeyFile(data)
		if err != nil || k.N*k.R > 64 || k.P > 4 {
			return
		}
		got, err := crypto.OpenKeyFile(data, password)
		if err == nil && !got.Valid() {
			t.Fatal("opened an invalid key")
		}
		if err != nil && errors.Is(err, crypto.ErrWrongPassword) && got != nil {
			t.Fatal("key returned with error")
		}
	})
}

func FuzzDecodeMasterKey(f *testing.F) {
	b, _ := crypto.EncodeMasterKey(specKey(f))
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := crypto.DecodeMasterKey(data)
		if err != nil {
			return
		}
		b, err := crypto.EncodeMasterKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if k2, err := crypto.DecodeMasterKey(b); err != nil || *k2 != *k {
			t.Fatalf("round trip: %v", err)
		}
	})
}
