// Package bubble prepares a test binary whose synctest bubbles run
// repository code.
//
// A channel made inside a bubble belongs to it: using it from outside, or
// from another bubble, is a fatal error. The repository code keeps a few
// process-wide caches that make channels on first use (pkg/repo/compress's
// encoder pools, and zstd's decoders, one per size class), so the first
// bubble to compress or decompress would own them and the next test to do
// so would crash. Prepare makes them all up front, outside any bubble.
package bubble

import (
	"fmt"
	"math/bits"

	"github.com/drydock-backup/drydock/pkg/repo/compress"
)

// Prepare fills the caches; call it from TestMain before m.Run.
func Prepare() {
	for _, m := range []compress.Mode{compress.ModeAuto, compress.ModeOff, compress.ModeMax, compress.ModeFastest} {
		compress.Encode(nil, []byte("x"), m)
	}
	frame := compress.Encode(nil, []byte("x"), compress.ModeAuto)
	// Decoders are cached per power-of-two limit from 1 MiB up to
	// compress.MaxDecodedSize.
	for c := 20; c <= bits.Len64(compress.MaxDecodedSize-1); c++ {
		if _, err := compress.Decode(nil, frame, 1<<c); err != nil {
			panic(fmt.Sprintf("bubble: decode with limit 2^%d: %v", c, err))
		}
	}
}
