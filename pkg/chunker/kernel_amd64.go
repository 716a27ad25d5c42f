//go:build amd64 && !purego

package chunker

import "golang.org/x/sys/cpu"

//go:generate go run ./internal/asmgen

// scan8 is the assembly kernel (kernel_amd64.s); it has kernel's contract.
//
//go:noescape
func scan8(t *tables, p *byte, stride int, d *[laneCount]uint64, n int) int

// scan8Fixed is scan8 for stride == laneBlock (kernel_amd64.s).
//
//go:noescape
func scan8Fixed(t *tables, p *byte, d *[laneCount]uint64, n int) int

// warm8 sets d[i] to the fingerprint of the 64 bytes before p + i*stride.
//
//go:noescape
func warm8(t *tables, p *byte, stride int, d *[laneCount]uint64)

// fastKernel is the best kernel for this platform.
func fastKernel(t *tables, p *byte, stride int, d *[laneCount]uint64, n int) int {
	if stride == laneBlock && hasBMI2 {
		return scan8Fixed(t, p, d, n)
	}
	return scan8(t, p, stride, d, n)
}

// hasBMI2: scan8Fixed uses SHRX.
var hasBMI2 = cpu.X86.HasBMI2

// fastWarm is the best warm-up for this platform.
func fastWarm(t *tables, p *byte, stride int, d *[laneCount]uint64) {
	warm8(t, p, stride, d)
}
