package crypto

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
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

// TestDeriveKeyOnceForConcurrentCallers: callers of one derivation at
// once (an open and PrepareKeyFile ahead of it) share one scrypt run and
// its key; a failed derivation is not remembered.
func TestDeriveKeyOnceForConcurrentCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &kdfMemo{}
		k := kdfMemoKey("secret", bytes.Repeat([]byte{1}, 64), DefaultParams)
		release := make(chan struct{})
		var runs atomic.Int32
		results := make(chan []byte, 3)
		for range 3 {
			go func() {
				b, _ := m.derive(k, func() ([]byte, error) {
					runs.Add(1)
					<-release
					return []byte("derived"), nil
				})
				results <- b
			}()
		}
		synctest.Wait() // all three inside derive: one in fn, two waiting
		close(release)
		for range 3 {
			if b := <-results; string(b) != "derived" {
				t.Errorf("a caller got %q", b)
			}
		}
		if n := runs.Load(); n != 1 {
			t.Errorf("fn ran %d times, want 1", n)
		}
		if _, err := m.derive([32]byte{9}, func() ([]byte, error) { return nil, fmt.Errorf("boom") }); err == nil {
			t.Fatal("the failure was not returned")
		}
		if _, ok := m.keys[[32]byte{9}]; ok || len(m.order) != 1 {
			t.Errorf("a failed derivation was remembered (%d in order)", len(m.order))
		}
	})
}

// TestPrepareKeyFile: a key file prepared ahead is opened without a new
// derivation; a file that is not a key file prepares nothing.
func TestPrepareKeyFile(t *testing.T) {
	master, err := NewRandomKey()
	if err != nil {
		t.Fatal(err)
	}
	data, err := CreateKeyFile("pw", master, KeyFileOptions{Params: Params{N: 1024, R: 8, P: 2}})
	if err != nil {
		t.Fatal(err)
	}
	derived = &kdfMemo{}
	PrepareKeyFile([]byte("garbage"), "pw")
	PrepareKeyFile(data, "pw")
	if len(derived.keys) != 1 {
		t.Fatalf("%d derivations prepared, want 1", len(derived.keys))
	}
	got, err := OpenKeyFile(data, "pw")
	if err != nil || *got != *master || len(derived.keys) != 1 {
		t.Errorf("open after prepare: %v, master equal %v, %d derivations", err, err == nil && *got == *master, len(derived.keys))
	}
}
