package compress

import "github.com/klauspost/compress/s2"

// Incompressible reports whether zstd would gain next to nothing on b (less
// than about 3%), judged from samples in a few microseconds instead of the
// 0.2-1 ms zstd spends on 1 MiB it cannot compress (docs/performance.md).
// A blob it reports is best stored without compression, which every
// restic-compatible reader accepts.
//
// Windows of probeWindow bytes, one per probeStride of b (a quarter of it)
// from its start to its end, are tested for the two things zstd exploits:
// skewed byte frequencies (a chi-squared statistic of the first
// probeSample bytes of every chi2Every'th window) and repeated strings (a
// fast LZ pass, s2.EstimateBlockSize, 10+ GB/s on random data). Any window
// that shows either makes b compressible. What the windows cannot see is
// a repetition between distant parts of b (two copies of one compressed
// file in one chunk) or a compressible stretch shorter than a stride
// between two windows: such a blob is stored as it is, which costs space,
// never correctness (0.44% of the zstd output on a Go module cache of zip
// files, nothing on the other corpora measured).
func Incompressible(b []byte) bool {
	if len(b) < probeMin {
		return false
	}
	// Windows of probeWindow bytes, one per probeStride, the first at the
	// start and the last at the end of b.
	n := max(1, (len(b)+probeStride-1)/probeStride)
	if len(b) <= n*probeWindow {
		n = (len(b) + probeWindow - 1) / probeWindow
		for i := range n {
			if compressible(b[i*probeWindow:min((i+1)*probeWindow, len(b))], i) {
				return false
			}
		}
		return true
	}
	step := 0
	if n > 1 {
		step = (len(b) - probeWindow) / (n - 1)
	}
	for i := range n {
		if compressible(b[i*step:i*step+probeWindow], i) {
			return false
		}
	}
	return true
}

const (
	probeMin    = 2 << 10 // smaller blobs are compressed: zstd is as cheap as a probe there
	probeWindow = 16 << 10
	probeStride = 64 << 10
	// Every chi2Every'th window gets the chi-squared test too.
	chi2Every   = 4
	probeSample = 1 << 10
	// lzGain: the LZ pass must save more than 1/lzGain of a window.
	lzGain = 32
	// chi2Max is the chi-squared statistic (255 degrees of freedom) above
	// which a sample's bytes are too skewed to be random. Random bytes give
	// 255 with a standard deviation of about 23; a sample whose order-0
	// entropy is 0.1 bit per byte below 8 (a gain of about 1.3%) gives
	// about 255 + 0.1 * 2 ln 2 * probeSample = 397.
	chi2Max = 400
)

// compressible reports whether w, the i'th window, shows skewed bytes or
// repeated strings. The cheaper test comes first: text and binaries are
// told by it alone.
func compressible(w []byte, i int) bool {
	if i%chi2Every == 0 && chi2(w[:min(len(w), probeSample)]) > chi2Max {
		return true
	}
	d := s2.EstimateBlockSize(w)
	return d > 0 && d < len(w)-len(w)/lzGain
}

// chi2 is Pearson's chi-squared statistic of the byte counts of s against
// the uniform distribution: sum over the 256 values of (count-E)^2/E with
// E = len(s)/256, computed as 256/len(s) * sum(count^2) - len(s).
func chi2(s []byte) int {
	// Four tables let consecutive equal bytes update different counters.
	var h [4][256]uint16
	i := 0
	for ; i+4 <= len(s); i += 4 {
		h[0][s[i]]++
		h[1][s[i+1]]++
		h[2][s[i+2]]++
		h[3][s[i+3]]++
	}
	for ; i < len(s); i++ {
		h[0][s[i]]++
	}
	var sq int
	for c := range 256 {
		v := int(h[0][c]) + int(h[1][c]) + int(h[2][c]) + int(h[3][c])
		sq += v * v
	}
	return 256*sq/len(s) - len(s)
}
