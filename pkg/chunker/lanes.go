package chunker

import "unsafe"

// laneSlices returns, for each lane, the bytes from 64 before its next
// position to n after it: element s is the byte leaving the window at step s,
// element s+64 the byte entering it. The caller guarantees (scanLanes does)
// that all of these bytes lie in one buffer.
func laneSlices(p *byte, stride, n int) [laneCount][]byte {
	var l [laneCount][]byte
	for i := range l {
		l[i] = unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(p), i*stride-WindowSize)), n+WindowSize)
	}
	return l
}

// scan returns the first cut candidate in [from, to) of buf and its
// fingerprint, or -1 and the fingerprint at to-1.
func scan(t *tables, buf []byte, from, to int, mask uint64) (int, uint64) {
	if mask == 1<<AverageBits-1 {
		return scanLanes(t, buf, from, to, fastKernel, fastWarm)
	}
	return scanGeneric(t, buf, from, to, mask)
}
