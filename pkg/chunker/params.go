package chunker

import "fmt"

// restic's chunking parameters; repositories never use other values.
const (
	MinSize     = 512 << 10
	MaxSize     = 8 << 20
	AverageBits = 20
)

// Params are the size limits and cut mask of a chunking. The zero value means
// restic's defaults; other values exist for tests against restic's own
// vectors, which also cover non-default sizes.
type Params struct {
	MinSize     int  // smallest chunk, except the last one of a stream
	MaxSize     int  // largest chunk
	AverageBits uint // a cut candidate has this many low fingerprint bits zero
}

// withDefaults fills zero fields with restic's values and checks the result.
func (p Params) withDefaults() (Params, error) {
	if p.MinSize == 0 {
		p.MinSize = MinSize
	}
	if p.MaxSize == 0 {
		p.MaxSize = MaxSize
	}
	if p.AverageBits == 0 {
		p.AverageBits = AverageBits
	}
	switch {
	case p.MinSize < WindowSize:
		return p, fmt.Errorf("chunker: MinSize %d is smaller than the %d-byte window", p.MinSize, WindowSize)
	case p.MaxSize < p.MinSize:
		return p, fmt.Errorf("chunker: MaxSize %d is smaller than MinSize %d", p.MaxSize, p.MinSize)
	case p.AverageBits > 40:
		return p, fmt.Errorf("chunker: AverageBits %d is larger than 40", p.AverageBits)
	}
	return p, nil
}

func (p Params) mask() uint64 { return 1<<p.AverageBits - 1 }
