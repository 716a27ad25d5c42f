package crypto_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo/crypto"
)

// TestOpenKeyFileRefusesHostileParams: a key file's scrypt parameters are
// not authenticated, so ones that would need gigabytes or hours are
// refused at once (before any allocation), and garbage is an error, never
// a panic or "wrong password".
func TestOpenKeyFileRefusesHostileParams(t *testing.T) {
	salt := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 64))
	data := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 80))
	keyFile := func(n, r, p int64) []byte {
		return fmt.Appendf(nil, `{"kdf":"scrypt","N":%d,"r":%d,"p":%d,"salt":%q,"data":%q}`, n, r, p, salt, data)
	}
	hostile := map[string][]byte{
		"1 GiB":               keyFile(1<<23, 1, 1),
		"hours of work":       keyFile(1<<21, 1, 1<<19),
		"N·r overflows":       keyFile(1<<62, 4, 1),
		"r·p buffer of 1 GiB": keyFile(2, 1<<13, 1<<10),
		"huge p":              keyFile(2, 1, 1<<40),
	}
	for name, kf := range hostile {
		start := time.Now()
		done := make(chan error, 1)
		go func() { _, err := crypto.OpenKeyFile(kf, "pw"); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, crypto.ErrInvalidParams) {
				t.Errorf("%s: err %v, want ErrInvalidParams", name, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("%s: took %v", name, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still deriving after 5 s", name)
		}
	}
	garbage := [][]byte{nil, []byte("{"), []byte("null"), []byte(`[]`), []byte(`{"kdf":"scrypt"}`),
		keyFile(1000, 8, 1), keyFile(-2, 8, 1), keyFile(1024, -1, 1), []byte("\x00\xff garbage")}
	for _, kf := range garbage {
		k, err := crypto.OpenKeyFile(kf, "pw")
		if err == nil || k != nil || errors.Is(err, crypto.ErrWrongPassword) {
			t.Errorf("%q: key %v, err %v; want a format error", kf, k, err)
		}
	}
	if err := crypto.DefaultParams.Validate(); err != nil {
		t.Fatalf("default parameters refused: %v", err)
	}
}
