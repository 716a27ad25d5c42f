package chunker

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
)

// Pol is a polynomial over GF(2): bit i is the coefficient of x^i.
type Pol uint64

// PolDegree is the degree every chunker polynomial must have. restic
// generates degree-53 polynomials so that a fingerprint shifted left by one
// byte still fits in 64 bits.
const PolDegree = 53

// Errors returned when a polynomial cannot be used for chunking.
var (
	ErrZeroPol        = errors.New("chunker polynomial is zero")
	ErrPolDegree      = fmt.Errorf("chunker polynomial does not have degree %d", PolDegree)
	ErrPolReducible   = errors.New("chunker polynomial is not irreducible")
	ErrNoIrreducible  = errors.New("no irreducible polynomial found")
	errPolSyntax      = errors.New("not a hexadecimal number")
	randomPolAttempts = 1_000_000
)

// Deg returns the degree of p, or -1 for the zero polynomial.
func (p Pol) Deg() int { return bits.Len64(uint64(p)) - 1 }

// String formats p as restic stores it in a repository config: lowercase hex
// without a prefix or leading zeros.
func (p Pol) String() string { return strconv.FormatUint(uint64(p), 16) }

// Add returns p+q (XOR in GF(2)).
func (p Pol) Add(q Pol) Pol { return p ^ q }

// Mod returns p modulo d. It panics if d is zero.
func (p Pol) Mod(d Pol) Pol {
	if d == 0 {
		panic("chunker: division by zero polynomial")
	}
	dd := d.Deg()
	for diff := p.Deg() - dd; diff >= 0; diff = p.Deg() - dd {
		p ^= d << uint(diff)
	}
	return p
}

// mulMod returns p*q mod m without overflowing 64 bits; p and q must already
// be reduced modulo m (degree < 63).
func mulMod(p, q, m Pol) Pol {
	var res Pol
	for q != 0 {
		if q&1 != 0 {
			res ^= p
		}
		q >>= 1
		p <<= 1
		if p.Deg() == m.Deg() {
			p ^= m
		}
	}
	return res
}

func gcd(a, b Pol) Pol {
	for b != 0 {
		a, b = b, a.Mod(b)
	}
	return a
}

// Irreducible reports whether p cannot be factored over GF(2). It uses
// Ben-Or's test: p of degree n is irreducible iff gcd(p, x^(2^i) - x mod p)
// is 1 for all i <= n/2.
func (p Pol) Irreducible() bool {
	n := p.Deg()
	if n <= 0 || n > 62 {
		return n == 1
	}
	const x = Pol(2)
	sq := x
	for i := 1; i <= n/2; i++ {
		sq = mulMod(sq, sq, p)
		if gcd(p, sq^x) != 1 {
			return false
		}
	}
	return true
}

// Validate returns an error explaining why p cannot be a chunker polynomial.
func (p Pol) Validate() error {
	switch {
	case p == 0:
		return ErrZeroPol
	case p.Deg() != PolDegree:
		return fmt.Errorf("%w: %#x has degree %d", ErrPolDegree, uint64(p), p.Deg())
	case !p.Irreducible():
		return fmt.Errorf("%w: %#x", ErrPolReducible, uint64(p))
	}
	return nil
}

// ParsePol parses a polynomial written in hex, with or without a 0x prefix,
// and validates it.
func ParsePol(s string) (Pol, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	v, err := strconv.ParseUint(t, 16, 64)
	if err != nil || t == "" {
		return 0, fmt.Errorf("parse chunker polynomial %q: %w", s, errPolSyntax)
	}
	p := Pol(v)
	if err := p.Validate(); err != nil {
		return 0, fmt.Errorf("chunker polynomial %q: %w", s, err)
	}
	return p, nil
}

// RandomPol draws a random irreducible polynomial of degree 53 from rnd, the
// way restic does for a new repository: 8 little-endian bytes per candidate,
// bits 1..52 random, x^53 and 1 set.
func RandomPol(rnd io.Reader) (Pol, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [8]byte
	for range randomPolAttempts {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return 0, fmt.Errorf("read random polynomial: %w", err)
		}
		f := Pol(binary.LittleEndian.Uint64(b[:]))
		f &= 1<<(PolDegree+1) - 1
		f |= 1<<PolDegree | 1
		if f.Irreducible() {
			return f, nil
		}
	}
	return 0, ErrNoIrreducible
}
