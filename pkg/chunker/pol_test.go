package chunker

import (
	"errors"
	"testing"
)

// stepStream is the spec's docs/format.md §10.4 byte stream s[j] = (7j + 13) mod 256.
type stepStream struct{ j, read int }

func (s *stepStream) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(7*s.j + 13)
		s.j++
	}
	s.read += len(p)
	return len(p), nil
}

func TestRandomPolVector(t *testing.T) {
	s := &stepStream{}
	p, err := RandomPol(s)
	if err != nil {
		t.Fatal(err)
	}
	if p != 0x2f0801faf3ece5 || s.read != 112 {
		t.Fatalf("got %#x after %d bytes, want 0x2f0801faf3ece5 after 112", uint64(p), s.read)
	}
}

func TestRandomPolIsValid(t *testing.T) {
	for range 20 {
		p, err := RandomPol(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("%v: %v", p, err)
		}
	}
}

func TestTableVectors(t *testing.T) {
	tab := newTables(0x3DA3358B4DC173)
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"out[0]", tab.out[0], 0},
		{"out[1]", tab.out[1], 0x17eb4232e19216},
		{"out[255]", tab.out[255], 0xb80b98cecc39a},
		{"mod[0]", tab.mod[0], 0},
		{"mod[1]", tab.mod[1], 0x3da3358b4dc173},
		{"mod[255]", tab.mod[255], 0x1ff7ac8a5af476a7},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestIrreducible(t *testing.T) {
	for _, c := range []struct {
		p    Pol
		want bool
	}{
		{0x3DA3358B4DC173, true},
		{0x316037900a242f, true}, // a real restic 0.14 repository
		{0x2f0801faf3ece5, true},
		{0x3DA3358B4DC173 ^ 1, false}, // divisible by x
		{0x3, true},                   // x+1
		{0x2, true},
		{0x7, true},  // x^2+x+1
		{0x5, false}, // x^2+1 = (x+1)^2
		{0, false},
		{1, false},
		{(1<<53 | 1) * 3 & (1<<54 - 1), false},
	} {
		if got := c.p.Irreducible(); got != c.want {
			t.Errorf("%#x.Irreducible() = %v, want %v", uint64(c.p), got, c.want)
		}
	}
}

func TestParsePol(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Pol
		err  error
	}{
		{"3da3358b4dc173", 0x3da3358b4dc173, nil},
		{"0x3DA3358B4DC173", 0x3da3358b4dc173, nil},
		{"0", 0, ErrZeroPol},
		{"7", 0, ErrPolDegree},                 // irreducible, but degree 2
		{"3da3358b4dc172", 0, ErrPolReducible}, // divisible by x
		{"", 0, errPolSyntax},
		{"xyz", 0, errPolSyntax},
		{"1ffffffffffffffff", 0, errPolSyntax},
	} {
		got, err := ParsePol(c.in)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("ParsePol(%q) = %#x, %v; want %#x, %v", c.in, uint64(got), err, uint64(c.want), c.err)
		}
	}
}

func TestNewSplitterRejectsBadPol(t *testing.T) {
	for _, p := range []Pol{0, 0x7, 0x3da3358b4dc172} {
		if _, err := NewSplitter(p, Params{}); err == nil {
			t.Errorf("NewSplitter(%#x) accepted a bad polynomial", uint64(p))
		}
	}
}

func TestString(t *testing.T) {
	if s := Pol(0x316037900a242f).String(); s != "316037900a242f" {
		t.Fatalf("String() = %q", s)
	}
}
