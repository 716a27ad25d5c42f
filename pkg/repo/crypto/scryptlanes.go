package crypto

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/scrypt"
)

// laneMemory bounds what the lanes of one derivation that run at once may
// allocate together: each needs 128·N·r bytes (32 MiB for restic's usual
// N=32768, r=8), so two of those, or more of a cheaper key.
const laneMemory = 64 << 20

// scryptKey is scrypt (RFC 7914) with its p lanes run side by side. The
// lanes (ROMix of one 128·r-byte part of the first PBKDF2 output each) do
// not depend on each other, and restic calibrates p so that the whole
// takes about half a second on the machine that made the key: done one
// after the other, as golang.org/x/crypto/scrypt does, every command pays
// that in full on every core count. With one lane to run, or one core,
// it is x/crypto's scrypt. The result is the same bytes either way
// (TestScryptLanesMatchXCrypto).
func scryptKey(password, salt []byte, p Params, keyLen int) ([]byte, error) {
	lanes := min(p.P, runtime.GOMAXPROCS(0), laneMemory/(128*p.R*p.N))
	if lanes <= 1 {
		return scrypt.Key(password, salt, p.N, p.R, p.P, keyLen)
	}
	return scryptLanes(password, salt, p, keyLen, lanes)
}

// scryptLanes is scrypt with lanes goroutines mixing the p lanes.
func scryptLanes(password, salt []byte, p Params, keyLen, lanes int) ([]byte, error) {
	laneBytes := 128 * p.R
	b, err := pbkdf2.Key(sha256.New, string(password), salt, 1, p.P*laneBytes)
	if err != nil {
		return nil, err
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range lanes {
		wg.Go(func() {
			m := newMixer(p.N, p.R)
			for {
				i := int(next.Add(1)) - 1
				if i >= p.P {
					return
				}
				m.roMix(b[i*laneBytes : (i+1)*laneBytes])
			}
		})
	}
	wg.Wait()
	return pbkdf2.Key(sha256.New, string(password), b, 1, keyLen)
}

// mixer holds one lane's working memory: v, the N blocks ROMix looks back
// into, and x, y, the block being mixed and the next one. A block is 2·r
// salsa blocks of 16 words.
type mixer struct {
	n, r int
	v    []uint32
	x, y []uint32
}

func newMixer(n, r int) *mixer {
	words := 32 * r
	return &mixer{n: n, r: r, v: make([]uint32, n*words), x: make([]uint32, words), y: make([]uint32, words)}
}

// roMix replaces lane (128·r bytes, little-endian words) with ROMix of it:
// N steps filling v with successive BlockMix outputs, then N steps mixing
// in the entry that the block's last salsa block selects.
func (m *mixer) roMix(lane []byte) {
	words := len(m.x)
	for i := range m.x {
		m.x[i] = binary.LittleEndian.Uint32(lane[4*i:])
	}
	for i := range m.n {
		copy(m.v[i*words:], m.x)
		m.blockMix()
	}
	mask := uint64(m.n - 1) // N is a power of two
	for range m.n {
		j := int(m.integerify() & mask)
		vj := m.v[j*words : (j+1)*words]
		for k := range m.x {
			m.x[k] ^= vj[k]
		}
		m.blockMix()
	}
	for i, w := range m.x {
		binary.LittleEndian.PutUint32(lane[4*i:], w)
	}
}

// integerify is the first 64 bits of x's last salsa block.
func (m *mixer) integerify() uint64 {
	last := m.x[len(m.x)-16:]
	return uint64(last[0]) | uint64(last[1])<<32
}

// blockMix replaces x with BlockMix of it: each salsa block in turn XORed
// into the running one and put through Salsa20/8, the results of the even
// positions first, then those of the odd ones.
func (m *mixer) blockMix() {
	var t [16]uint32
	copy(t[:], m.x[len(m.x)-16:])
	for i := range 2 * m.r {
		in := m.x[16*i : 16*i+16]
		for k := range t {
			t[k] ^= in[k]
		}
		salsa208(&t)
		out := 16 * (i/2 + (i%2)*m.r)
		copy(m.y[out:out+16], t[:])
	}
	m.x, m.y = m.y, m.x
}

// salsa208 is the Salsa20/8 core: four double rounds (a column round,
// then a row round) over the 4×4 state, then the input added back.
func salsa208(s *[16]uint32) {
	w0, w1, w2, w3, w4, w5, w6, w7 := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
	w8, w9, w10, w11, w12, w13, w14, w15 := s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15]
	for range 4 {
		// Columns.
		w4 ^= bits.RotateLeft32(w0+w12, 7)
		w8 ^= bits.RotateLeft32(w4+w0, 9)
		w12 ^= bits.RotateLeft32(w8+w4, 13)
		w0 ^= bits.RotateLeft32(w12+w8, 18)
		w9 ^= bits.RotateLeft32(w5+w1, 7)
		w13 ^= bits.RotateLeft32(w9+w5, 9)
		w1 ^= bits.RotateLeft32(w13+w9, 13)
		w5 ^= bits.RotateLeft32(w1+w13, 18)
		w14 ^= bits.RotateLeft32(w10+w6, 7)
		w2 ^= bits.RotateLeft32(w14+w10, 9)
		w6 ^= bits.RotateLeft32(w2+w14, 13)
		w10 ^= bits.RotateLeft32(w6+w2, 18)
		w3 ^= bits.RotateLeft32(w15+w11, 7)
		w7 ^= bits.RotateLeft32(w3+w15, 9)
		w11 ^= bits.RotateLeft32(w7+w3, 13)
		w15 ^= bits.RotateLeft32(w11+w7, 18)
		// Rows.
		w1 ^= bits.RotateLeft32(w0+w3, 7)
		w2 ^= bits.RotateLeft32(w1+w0, 9)
		w3 ^= bits.RotateLeft32(w2+w1, 13)
		w0 ^= bits.RotateLeft32(w3+w2, 18)
		w6 ^= bits.RotateLeft32(w5+w4, 7)
		w7 ^= bits.RotateLeft32(w6+w5, 9)
		w4 ^= bits.RotateLeft32(w7+w6, 13)
		w5 ^= bits.RotateLeft32(w4+w7, 18)
		w11 ^= bits.RotateLeft32(w10+w9, 7)
		w8 ^= bits.RotateLeft32(w11+w10, 9)
		w9 ^= bits.RotateLeft32(w8+w11, 13)
		w10 ^= bits.RotateLeft32(w9+w8, 18)
		w12 ^= bits.RotateLeft32(w15+w14, 7)
		w13 ^= bits.RotateLeft32(w12+w15, 9)
		w14 ^= bits.RotateLeft32(w13+w12, 13)
		w15 ^= bits.RotateLeft32(w14+w13, 18)
	}
	s[0], s[1], s[2], s[3] = s[0]+w0, s[1]+w1, s[2]+w2, s[3]+w3
	s[4], s[5], s[6], s[7] = s[4]+w4, s[5]+w5, s[6]+w6, s[7]+w7
	s[8], s[9], s[10], s[11] = s[8]+w8, s[9]+w9, s[10]+w10, s[11]+w11
	s[12], s[13], s[14], s[15] = s[12]+w12, s[13]+w13, s[14]+w14, s[15]+w15
}
