package checker

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func TestParseSubset(t *testing.T) {
	good := map[string]Subset{"1/1": {N: 1, M: 1}, "2/5": {N: 2, M: 5}, "256/256": {N: 256, M: 256},
		"10%": {Percent: 10}, "0.5%": {Percent: 0.5}, "100%": {Percent: 100}}
	for s, want := range good {
		if got, err := ParseSubset(s); err != nil || got != want {
			t.Errorf("ParseSubset(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0/2", "3/2", "1/0", "1/257", "-1/2", "a/b", "1/2/3", "0%", "101%", "x%", "%", "1", "1.5/2"} {
		if got, err := ParseSubset(s); err == nil {
			t.Errorf("ParseSubset(%q) = %+v, want an error", s, got)
		}
	}
}

// Every pack is in exactly one of the m groups, and a percentage picks
// restic's count: ⌊n·x/100⌋, at least one.
func TestSelectPacks(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	ids := make([]format.ID, 1000)
	for i := range ids {
		for j := range ids[i] {
			ids[i][j] = byte(rnd.Uint32())
		}
	}
	for _, m := range []uint{1, 2, 3, 7, 256} {
		seen := map[format.ID]int{}
		for n := uint(1); n <= m; n++ {
			for _, id := range selectPacks(ids, &Subset{N: n, M: m}) {
				seen[id]++
				if uint(id[0])%m != n-1 { // restic's grouping, so halves match restic's
					t.Fatalf("%d/%d selected pack %v", n, m, id.Str())
				}
			}
		}
		if len(seen) != len(ids) {
			t.Fatalf("m=%d: groups cover %d of %d packs", m, len(seen), len(ids))
		}
		for id, c := range seen {
			if c != 1 {
				t.Fatalf("m=%d: pack %v in %d groups", m, id.Str(), c)
			}
		}
	}
	for pct, want := range map[float64]int{10: 100, 0.01: 1, 100: 1000, 33.3: 333} {
		if got := len(selectPacks(ids, &Subset{Percent: pct})); got != want {
			t.Errorf("%v%%: %d packs, want %d", pct, got, want)
		}
	}
	if got := len(selectPacks(ids, nil)); got != len(ids) {
		t.Errorf("no subset: %d packs", got)
	}
}

// Unsorted nodes are flagged but do not hide a real problem behind them.
func TestValidateUnsorted(t *testing.T) {
	file := func(name string, content format.IDs) *format.Node {
		return &format.Node{Name: name, Type: format.NodeFile, Content: content}
	}
	cases := []struct {
		nodes            []*format.Node
		unsorted, broken bool
	}{
		{[]*format.Node{file("a", format.IDs{}), file("b", format.IDs{})}, false, false},
		{[]*format.Node{file("b", format.IDs{}), file("a", format.IDs{})}, true, false},
		{[]*format.Node{file("b", format.IDs{}), file("a", nil)}, true, true},
		{[]*format.Node{file("a", format.IDs{}), file("", format.IDs{})}, false, true},
	}
	for i, tc := range cases {
		unsorted, err := validate(&format.Tree{Nodes: tc.nodes})
		if unsorted != tc.unsorted || (err != nil) != tc.broken {
			t.Errorf("case %d: unsorted %v, err %v; want %v, broken %v", i, unsorted, err, tc.unsorted, tc.broken)
		}
	}
}

// readAll reads to EOF whatever the size hint says, into a reused buffer.
func TestReadAll(t *testing.T) {
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	reused := make([]byte, 5, 100)
	for _, tc := range []struct{ n, hint int }{{0, 0}, {10, 10}, {10, 0}, {3 << 20, 1 << 20}, {1 << 20, 3 << 20}, {2 << 20, 2 << 20}} {
		got, err := readAll(iotest.OneByteReader(bytes.NewReader(data[:min(tc.n, 4096)])), reused, tc.hint)
		if err != nil || !bytes.Equal(got, data[:min(tc.n, 4096)]) {
			t.Fatalf("%d bytes, hint %d, one byte at a time: %d bytes, %v", tc.n, tc.hint, len(got), err)
		}
		got, err = readAll(bytes.NewReader(data[:tc.n]), reused, tc.hint)
		if err != nil || !bytes.Equal(got, data[:tc.n]) {
			t.Fatalf("%d bytes, hint %d: %d bytes, %v", tc.n, tc.hint, len(got), err)
		}
		reused = got
	}
	boom := errors.New("boom")
	if _, err := readAll(iotest.ErrReader(boom), nil, 10); !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
}
