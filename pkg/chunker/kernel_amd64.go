//go:build amd64 && !purego

package chunker

//go:generate go run ./internal/asmgen

// scan8 is the assembly kernel (kernel_amd64.s); it has kernel's contract.
//
//go:noescape
func scan8(t *tables, p *byte, stride int, d *[laneCount]uint64, n int) int

// warm8 sets d[i] to the fingerprint of the 64 bytes before p + i*stride.
//
//go:noescape
func warm8(t *tables, p *byte, stride int, d *[laneCount]uint64)

// fastKernel is the best kernel for this platform.
func fastKernel(t *tables, p *byte, stride int, d *[laneCount]uint64, n int) int {
	return scan8(t, p, stride, d, n)
}

// fastWarm is the best warm-up for this platform.
func fastWarm(t *tables, p *byte, stride int, d *[laneCount]uint64) {
	warm8(t, p, stride, d)
}
