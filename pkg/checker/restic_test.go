package checker_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/checker"
)

// A repository written by stock restic must check clean, down to every
// blob, and the same check must fail once one of its packs is damaged.
func TestResticWrittenRepository(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	dir := t.TempDir()
	root := filepath.Join(dir, "repo")
	src := filepath.Join(dir, "src")
	rnd := rand.New(rand.NewPCG(3, 4))
	big := make([]byte, 3<<20) // several chunks
	for i := range big {
		big[i] = byte(rnd.Uint32())
	}
	files := map[string][]byte{
		"big.bin":       big,
		"text.txt":      bytes.Repeat([]byte("restic compresses this. "), 5000),
		"sub/small.txt": []byte("hello\n"),
		"sub/empty":     {},
	}
	for name, data := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init"}, {"backup", src}, {"backup", src, "--tag", "second"}} {
		if out, err := restic(t.Context(), bin, root, args...); err != nil {
			t.Fatalf("restic %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	rep := check(t, root, checker.Options{ReadData: true})
	if !rep.OK() || len(rep.Notices) != 0 || rep.Snapshots != 2 || rep.PacksRead != rep.Packs || rep.BlobsRead < 5 ||
		checker.PacksReadWhole(rep) != 0 { // restic's packs pass in one pass
		t.Fatalf("restic's repository:\n%s", printed(rep))
	}

	// The oracle must be able to fail here too: damage a data pack.
	var biggest string
	var size int64
	_ = filepath.WalkDir(filepath.Join(root, "data"), func(p string, d os.DirEntry, err error) error {
		if fi, ierr := d.Info(); err == nil && ierr == nil && !d.IsDir() && fi.Size() > size {
			biggest, size = p, fi.Size()
		}
		return nil
	})
	modify(t, biggest, func(b []byte) []byte { b[len(b)/2] ^= 0x80; return b })
	if rep := check(t, root, checker.Options{ReadData: true}); rep.OK() || checker.PacksReadWhole(rep) != 1 {
		t.Fatalf("damaged pack %s not found:\n%s", filepath.Base(biggest), printed(rep))
	}
}
