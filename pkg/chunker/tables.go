package chunker

import "sync"

// WindowSize is the number of bytes the rolling fingerprint covers.
const WindowSize = 64

// polShift moves the 8 bits above a reduced fingerprint (bits 45..52 of a
// degree-53 polynomial's residue) down to an index.
const polShift = PolDegree - 8

// tables holds the two lookup tables of one polynomial. out cancels the byte
// leaving the window; mod reduces the byte that overflows when the
// fingerprint is shifted left by 8. They are laid out back to back because
// the assembly scanner addresses both from one base register.
type tables struct {
	out [256]uint64
	mod [256]uint64
}

// tableCache shares tables between all splitters of a polynomial; computing
// them costs about as much as hashing 30 KiB.
var tableCache sync.Map // Pol -> *tables

func tablesFor(p Pol) *tables {
	if t, ok := tableCache.Load(p); ok {
		return t.(*tables)
	}
	t, _ := tableCache.LoadOrStore(p, newTables(p))
	return t.(*tables)
}

func newTables(p Pol) *tables {
	t := new(tables)
	for b := range 256 {
		// out[b] is the fingerprint of b followed by 63 zero bytes, i.e.
		// b*x^(8*63) mod p: the contribution b has when it leaves the window.
		var h Pol
		h = appendByte(h, byte(b), p)
		for range WindowSize - 1 {
			h = appendByte(h, 0, p)
		}
		t.out[b] = uint64(h)
		// mod[b] cancels the overflow bits b<<53 and adds their residue, so
		// one XOR both clears and reduces them.
		t.mod[b] = uint64((Pol(b) << PolDegree).Mod(p) | Pol(b)<<PolDegree)
	}
	return t
}

// appendByte returns (h*x^8 + b) mod p, the slow reference step.
func appendByte(h Pol, b byte, p Pol) Pol {
	return (h<<8 | Pol(b)).Mod(p)
}

// windowFP returns the fingerprint of win, at most 64 bytes, as if they were
// the only bytes that ever entered the window.
func (t *tables) windowFP(win []byte) uint64 {
	var d uint64
	for _, c := range win {
		d = (d<<8 | uint64(c)) ^ t.mod[d>>polShift]
	}
	return d
}
