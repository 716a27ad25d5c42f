package main

import (
	"io"
	"math/rand/v2"
)

// Emit is the endless stream `testapp emit` writes: ChaCha8 output, which
// neither compresses nor deduplicates within itself, like an encrypted or
// compressed dump. Tests rebuild it to compare (see
// internal/dockertest.Emit, which must stay equal).
func Emit(seed uint64) io.Reader {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(key)
}
