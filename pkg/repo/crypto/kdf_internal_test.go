package crypto

import (
	"bytes"
	"fmt"
	"testing"
)

// TestDerivedKeysAreRemembered: a repeated derivation comes from the memo
// (no new entry), equal to the first and unaffected by changes to an
// earlier result; other salts or passwords derive anew; the memo is
// bounded, oldest out first.
func TestDerivedKeysAreRemembered(t *testing.T) {
	derived = &kdfMemo{}
	p := Params{N: 1024, R: 8, P: 1}
	salt := bytes.Repeat([]byte{7}, 64)
	a, err := DeriveKey("secret", salt, p)
	if err != nil {
		t.Fatal(err)
	}
	first := *a
	a.EncryptionKey[0] ^= 0xff // callers own their copy
	b, err := DeriveKey("secret", salt, p)
	if err != nil {
		t.Fatal(err)
	}
	if *b != first || len(derived.keys) != 1 {
		t.Fatalf("second derivation differs or was not remembered (%d entries)", len(derived.keys))
	}
	c, _ := DeriveKey("other", salt, p)
	salt2 := bytes.Repeat([]byte{8}, 64)
	d, _ := DeriveKey("secret", salt2, p)
	if *c == first || *d == first || len(derived.keys) != 3 {
		t.Fatalf("other password or salt gave the same key, or not remembered (%d entries)", len(derived.keys))
	}
	for i := range kdfMemoSize {
		if _, err := DeriveKey(fmt.Sprint("pw", i), salt, p); err != nil {
			t.Fatal(err)
		}
	}
	if len(derived.keys) != kdfMemoSize || len(derived.order) != kdfMemoSize {
		t.Fatalf("memo holds %d keys (%d in order), want %d", len(derived.keys), len(derived.order), kdfMemoSize)
	}
	if _, ok := derived.keys[kdfMemoKey("secret", salt, p)]; ok {
		t.Fatal("the oldest key was not evicted")
	}
}
