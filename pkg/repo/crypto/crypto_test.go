package crypto_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/crypto"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// specKey is the key of the spec's docs/format.md §2.2 vectors.
func specKey(t testing.TB) *crypto.Key {
	t.Helper()
	k := &crypto.Key{}
	copy(k.EncryptionKey[:], unhex(t, "303e8687b1d7db18421bdc6bb8588ccadac4d59ee87b8ff70c44e635790cafef"))
	copy(k.MACKey.K[:], unhex(t, "ef4d8824cb80b2bcc5fbff8a9b12a42c"))
	copy(k.MACKey.R[:], unhex(t, "cc8d4b948ee0ebfe1d415de921d10353"))
	return k
}

func TestSpecVectors(t *testing.T) {
	k := specKey(t)
	tests := []struct {
		name   string
		iv     string
		sealed string
		plain  string
	}{
		{"restic sealed vector (docs/format.md §2.2)", "69fb41c62d12def4593bd71757138606",
			"69fb41c62d12def4593bd71757138606 338f621aeaeb39da0fe4f99233f8037a54ea 63338a813bcf3f75d8c3cc75dddf8750",
			"Dies ist ein Test!"},
		{"fixed-IV vector (docs/format.md §2.2)", "000102030405060708090a0b0c0d0e0f",
			"000102030405060708090a0b0c0d0e0f 7cda86fc8434 84d47c0abb62b2e569d18f22ba012570",
			"hello\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sealed := unhex(t, tc.sealed)
			got, err := k.OpenBox(nil, sealed)
			if err != nil {
				t.Fatalf("OpenBox: %v", err)
			}
			if string(got) != tc.plain {
				t.Fatalf("OpenBox = %q, want %q", got, tc.plain)
			}
			var iv [crypto.IVSize]byte
			copy(iv[:], unhex(t, tc.iv))
			if out := k.SealBoxIV([]byte("pre"), &iv, []byte(tc.plain)); !bytes.Equal(out, append([]byte("pre"), sealed...)) {
				t.Fatalf("SealBoxIV = %x, want pre‖%x", out, sealed)
			}
			// Every single-bit flip anywhere must be rejected.
			for i := range sealed {
				bad := bytes.Clone(sealed)
				bad[i] ^= 0x10
				if _, err := k.OpenBox(nil, bad); err == nil {
					t.Fatalf("flip in byte %d accepted", i)
				}
			}
		})
	}
}

// TestPoly1305AES checks the MAC against the Poly1305-AES paper vectors by
// building boxes whose "ciphertext" is the vector message: Open succeeds only
// if our tag equals the published one.
func TestPoly1305AES(t *testing.T) {
	tests := []struct{ msg, r, k, nonce, tag string }{
		{"f3f6", "851fc40c3467ac0be05cc20404f3f700", "ec074c835580741701425b623235add6", "fb447350c4e868c52ac3275cf9d4327e", "f4c633c3044fc145f84f335cb81953de"},
		{"", "a0f3080000f46400d0c7e9076c834403", "75deaa25c09f208e1dc4ce6b5cad3fbf", "61ee09218d29b0aaed7e154a2c5509cc", "dd3fab2251f11ac759f0887129cc2ee7"},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			key := &crypto.Key{EncryptionKey: [32]byte{1}}
			copy(key.MACKey.R[:], unhex(t, tc.r))
			copy(key.MACKey.K[:], unhex(t, tc.k))
			ct := append(unhex(t, tc.msg), unhex(t, tc.tag)...)
			if _, err := key.Open(nil, unhex(t, tc.nonce), ct, nil); err != nil {
				t.Fatalf("published tag rejected: %v", err)
			}
			ct[len(ct)-1] ^= 1
			if _, err := key.Open(nil, unhex(t, tc.nonce), ct, nil); !errors.Is(err, crypto.ErrUnauthenticated) {
				t.Fatalf("modified tag: err = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	k := specKey(t)
	good := k.SealBoxIV(nil, &[16]byte{1}, []byte("x"))
	zeroIV := bytes.Clone(good)
	copy(zeroIV, make([]byte, 16))
	tests := []struct {
		name string
		box  []byte
		want error
	}{
		{"empty", nil, crypto.ErrInvalidCiphertext},
		{"31 bytes", make([]byte, 31), crypto.ErrInvalidCiphertext},
		{"zero IV", zeroIV, crypto.ErrZeroIV},
		{"truncated", good[:len(good)-1], crypto.ErrUnauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := k.OpenBox(nil, tc.box); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSealRoundTripAndAEAD(t *testing.T) {
	k, err := crypto.NewRandomKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 1000, 1 << 16} {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		box, err := k.SealBox(nil, pt)
		if err != nil {
			t.Fatal(err)
		}
		if len(box) != n+crypto.Extension {
			t.Fatalf("len %d, want %d", len(box), n+crypto.Extension)
		}
		box2, _ := k.SealBox(nil, pt)
		if bytes.Equal(box[:16], box2[:16]) {
			t.Fatal("two seals used the same IV")
		}
		got, err := k.OpenBox([]byte("dst"), box)
		if err != nil || !bytes.Equal(got, append([]byte("dst"), pt...)) {
			t.Fatalf("round trip of %d bytes: err %v", n, err)
		}
		// AEAD form: nonce carried separately, in-place sealing allowed.
		buf := bytes.Clone(pt)
		ct := k.Seal(buf[:0], box[:16], buf, nil)
		if !bytes.Equal(ct, box[16:]) {
			t.Fatalf("in-place Seal differs from SealBox")
		}
	}
	if k.NonceSize() != 16 || k.Overhead() != 16 {
		t.Fatal("wrong AEAD sizes")
	}
}

func TestDeriveKeyVector(t *testing.T) {
	salt := make([]byte, 64)
	for i := range salt {
		salt[i] = byte(i)
	}
	k, err := crypto.DeriveKey("geheim", salt, crypto.Params{N: 16384, R: 8, P: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(k.EncryptionKey[:]); got != "cc66e69192f15b74db1517365219cd3bbc9596c9d89742c0994c07731e4a8722" {
		t.Errorf("encryption key %s", got)
	}
	if got := hex.EncodeToString(k.MACKey.K[:]); got != "5660816cdb814e9d9fb6d37480a6a772" {
		t.Errorf("mac.k %s", got)
	}
	if got := hex.EncodeToString(k.MACKey.R[:]); got != "c7de7f285da1d924c3ea502395cf652a" {
		t.Errorf("mac.r %s", got)
	}
	for _, bad := range []crypto.Params{{N: 1000, R: 8, P: 1}, {N: 1, R: 8, P: 1}, {N: 1024, R: 0, P: 1}, {N: 1 << 30, R: 8, P: 1}} {
		if _, err := crypto.DeriveKey("x", salt, bad); !errors.Is(err, crypto.ErrInvalidParams) {
			t.Errorf("params %+v: err %v, want ErrInvalidParams", bad, err)
		}
	}
	if _, err := crypto.DeriveKey("x", salt[:32], crypto.Params{N: 1024, R: 8, P: 1}); err == nil {
		t.Error("32-byte salt accepted")
	}
}

var cheap = crypto.Params{N: 1024, R: 8, P: 1}

func TestKeyFileRoundTrip(t *testing.T) {
	master, err := crypto.NewRandomKey()
	if err != nil {
		t.Fatal(err)
	}
	data, err := crypto.CreateKeyFile("s3cret", master, crypto.KeyFileOptions{Params: cheap, Username: "u", Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kdf":"scrypt"`, `"N":1024`, `"r":8`, `"p":1`, `"username":"u"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("key file lacks %s: %s", want, data)
		}
	}
	got, err := crypto.OpenKeyFile(data, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if *got != *master {
		t.Fatal("master key changed in round trip")
	}
	if _, err := crypto.OpenKeyFile(data, "S3cret"); !errors.Is(err, crypto.ErrWrongPassword) {
		t.Fatalf("wrong password: err = %v, want ErrWrongPassword", err)
	}
	if _, err := crypto.OpenKeyFile([]byte(`{"kdf":"argon2"}`), "x"); err == nil || errors.Is(err, crypto.ErrWrongPassword) {
		t.Fatalf("bad kdf: err = %v", err)
	}
}

func TestMasterKeyJSON(t *testing.T) {
	k := specKey(t)
	b, err := crypto.EncodeMasterKey(k)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mac":{"k":"702IJMuAsrzF+/+KmxKkLA==","r":"zI1LlI7g6/4dQV3pIdEDUw=="},"encrypt":"MD6Gh7HX2xhCG9xruFiMytrE1Z7oe4/3DETmNXkMr+8="}`
	if string(b) != want {
		t.Fatalf("master key JSON\n got %s\nwant %s", b, want)
	}
	k2, err := crypto.DecodeMasterKey(b)
	if err != nil || *k2 != *k {
		t.Fatalf("decode: %v", err)
	}
	if _, err := crypto.DecodeMasterKey([]byte(`{"mac":{"k":"AA==","r":"AA=="},"encrypt":"AA=="}`)); err == nil {
		t.Fatal("short keys accepted")
	}
}

func TestKeyRedaction(t *testing.T) {
	k := specKey(t)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("m", "key", k, "mac", k.MACKey, "kv", *k)
	outputs := []string{logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		outputs = append(outputs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, *k), fmt.Sprintf(verb, k.MACKey))
	}
	for _, out := range outputs {
		for _, secret := range []string{"303e8687", "30 3e", "48 62 134", "ef4d8824", "cc8d4b94", "MD6Gh7", "[48 62"} {
			if strings.Contains(out, secret) {
				t.Errorf("secret %q leaked in %q", secret, out)
			}
		}
	}
}
