package dockertest

import (
	"io"
	"math/rand/v2"
)

// Emit is the stream `testapp emit N SEED` writes (its first N bytes): the
// test image's program builds it the same way, so a test can compare what
// a snapshot holds without keeping a copy.
func Emit(seed uint64) io.Reader {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(key)
}
