package checker_test

import (
	"fmt"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/checker"
)

// "1/2" and "2/2" together read every pack once, and a damaged pack is
// found by exactly the half that holds it.
func TestReadDataSubset(t *testing.T) {
	f := baseRepo(t)
	bad := f.dataPacks[0]
	modify(t, packPath(f.dir, bad), func(b []byte) []byte { b[10] ^= 1; return b })
	var read, failed int
	for _, s := range []string{"1/2", "2/2"} {
		rep := check(t, f.dir, checker.Options{ReadDataSubset: s})
		read += rep.PacksRead
		holds := uint(bad[0])%2 == map[string]uint{"1/2": 0, "2/2": 1}[s]
		if rep.OK() == holds {
			t.Errorf("subset %s: OK %v, but it holds the damaged pack: %v\n%s", s, rep.OK(), holds, printed(rep))
		}
		if !rep.OK() {
			failed++
		}
		if rep.PacksRead == 0 || rep.PacksRead == rep.Packs {
			t.Errorf("subset %s read %d of %d packs", s, rep.PacksRead, rep.Packs)
		}
	}
	if read != len(f.dataPacks)+len(f.treePacks) || failed != 1 {
		t.Fatalf("halves read %d packs (want %d), %d found the damage (want 1)", read, len(f.dataPacks)+len(f.treePacks), failed)
	}

	var calls, last int
	rep := check(t, f.dir, checker.Options{ReadDataSubset: "50%", Progress: func(done, total int) { calls, last = calls+1, total }})
	if want := rep.Packs / 2; rep.PacksRead != want || calls != want || last != want {
		t.Fatalf("50%%: read %d packs, %d progress calls (total %d), want %d", rep.PacksRead, calls, last, want)
	}
	if _, err := checker.Check(t.Context(), openRepo(t, f.dir), checker.Options{ReadDataSubset: "3/2"}); err == nil {
		t.Fatal("Check accepted subset 3/2")
	}
}

// Our "n/m" groups are restic's: with one damaged pack, restic and we fail
// on the same third.
func TestReadDataSubsetAgreesWithRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	f := baseRepo(t)
	modify(t, packPath(f.dir, f.dataPacks[1]), func(b []byte) []byte { b[10] ^= 1; return b })
	for n := 1; n <= 3; n++ {
		s := fmt.Sprintf("%d/3", n)
		ours := check(t, f.dir, checker.Options{ReadDataSubset: s})
		out, err := restic(t.Context(), bin, f.dir, "check", "--read-data-subset", s)
		if ours.OK() != (err == nil) {
			t.Errorf("subset %s: our OK %v, restic: %v\n%s\n%s", s, ours.OK(), err, printed(ours), out)
		}
	}
}
