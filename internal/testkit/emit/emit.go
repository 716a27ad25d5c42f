// Package emit is the endless stream the Docker tests' program writes
// (`testapp emit N SEED`) and the tests rebuild to compare: ChaCha8
// output, which neither compresses nor deduplicates within itself, like
// an encrypted or compressed database dump.
package emit

import (
	"io"
	"math/rand/v2"
)

// Stream returns the stream for seed.
func Stream(seed uint64) io.Reader {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(key)
}
