package chunker

// The scanners find cut candidates: positions p whose window buf[p-63:p+1]
// has a fingerprint with all mask bits zero. They need 64 bytes before the
// first position to warm up, so callers pass from >= WindowSize.

// scanGeneric returns the first candidate p in [from, to) and its
// fingerprint, or -1 and the fingerprint at to-1.
func scanGeneric(t *tables, buf []byte, from, to int, mask uint64) (int, uint64) {
	return scanGenericFrom(t, buf, from, to, mask, t.windowFP(buf[from-WindowSize:from]))
}

// scanGenericFrom is scanGeneric with d, the fingerprint at from-1, known.
func scanGenericFrom(t *tables, buf []byte, from, to int, mask uint64, d uint64) (int, uint64) {
	if from >= to {
		return -1, d
	}
	in := buf[from:to]
	out := buf[from-WindowSize : to-WindowSize]
	out = out[:len(in)] // lets the compiler drop the bounds check on out[i]
	for i, c := range in {
		d ^= t.out[out[i]]
		d = (d<<8 | uint64(c)) ^ t.mod[d>>polShift&0xff]
		if d&mask == 0 {
			return from + i, d
		}
	}
	return -1, d
}

// Lane geometry of the interleaved scanner: a block is laneCount lanes of up
// to laneBlock bytes each. Blocks are kept small because everything a block
// scans beyond the first candidate is wasted.
const (
	laneCount = 8
	laneBlock = 16 << 10
	laneMin   = 512 // shorter lanes are not worth their warm-up
)

// kernel hashes laneCount lanes, each `stride` bytes apart starting at p, for
// up to n steps in lockstep. d holds each lane's fingerprint at the position
// before its next byte and is updated. It stops after the first step in which
// any lane's fingerprint has the low 20 bits zero, and returns the steps done.
type kernel func(t *tables, p *byte, stride int, d *[laneCount]uint64, n int) int

// warmer sets d[i] to the fingerprint of the 64 bytes before p + i*stride.
type warmer func(t *tables, p *byte, stride int, d *[laneCount]uint64)

// scanLanes is scanGeneric for the default 20-bit mask, driving k over
// blocks of interleaved lanes.
func scanLanes(t *tables, buf []byte, from, to int, k kernel, warm warmer) (int, uint64) {
	const mask = 1<<AverageBits - 1
	p := from
	for to-p >= laneCount*laneMin {
		l := min(laneBlock, (to-p)/laneCount)
		var d [laneCount]uint64
		warm(t, &buf[p], l, &d)
		first, fp := -1, uint64(0)
		for done := 0; done < l; {
			done += k(t, &buf[p+done], l, &d, l-done)
			for i := range laneCount {
				if d[i]&mask != 0 {
					continue
				}
				if pos := p + i*l + done - 1; first < 0 || pos < first {
					first, fp = pos, d[i]
				}
			}
			if first >= 0 && first < p+l {
				break // lane 0 hit: nothing later can come first
			}
		}
		if first >= 0 {
			return first, fp
		}
		p += laneCount * l
	}
	return scanGeneric(t, buf, p, to, mask)
}

// kernelGeneric is the portable kernel; the assembly kernel is tested
// against it.
func kernelGeneric(t *tables, p *byte, stride int, d *[laneCount]uint64, n int) int {
	const mask = 1<<AverageBits - 1
	lanes := laneSlices(p, stride, n)
	for step := 0; step < n; step++ {
		hit := false
		for i := range laneCount {
			x := d[i] ^ t.out[lanes[i][step]]
			x = (x<<8 | uint64(lanes[i][step+WindowSize])) ^ t.mod[x>>polShift&0xff]
			d[i] = x
			hit = hit || x&mask == 0
		}
		if hit {
			return step + 1
		}
	}
	return n
}

// warmGeneric is the portable warm-up.
func warmGeneric(t *tables, p *byte, stride int, d *[laneCount]uint64) {
	lanes := laneSlices(p, stride, 0)
	for i := range d {
		d[i] = t.windowFP(lanes[i])
	}
}
