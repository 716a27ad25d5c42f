//go:build !amd64 || purego

package chunker

// fastKernel is the best kernel for this platform: the portable one.
func fastKernel(t *tables, p *byte, stride int, d *[laneCount]uint64, n int) int {
	return kernelGeneric(t, p, stride, d, n)
}

// fastWarm is the best warm-up for this platform: the portable one.
func fastWarm(t *tables, p *byte, stride int, d *[laneCount]uint64) {
	warmGeneric(t, p, stride, d)
}
