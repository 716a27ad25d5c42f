package heldfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock-backup/drydock/internal/heldfile"
)

// flock locks belong to an open file, not a process: a second open in
// this process is kept out as another process would be, and closing the
// file is what the kernel does when its process dies.
func TestHeldUntilClosed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "job.lock")
	f, err := heldfile.Create(p, "pid 1\n")
	if err != nil {
		t.Fatal(err)
	}
	if heldfile.Abandoned(p) {
		t.Error("Abandoned while its maker holds it")
	}
	if c, ok := heldfile.Claim(p); ok {
		c.Close()
		t.Error("Claim succeeded while its maker holds it")
	}
	if _, err := f.WriteString("more\n"); err != nil {
		t.Fatal(err)
	}
	f.Close() // the maker dies
	if !heldfile.Abandoned(p) {
		t.Error("not Abandoned once its maker is gone")
	}
	c, ok := heldfile.Claim(p)
	if !ok {
		t.Fatal("Claim failed once its maker is gone")
	}
	defer c.Close()
	if heldfile.Abandoned(p) {
		t.Error("Abandoned while a sweeper claims it")
	}
	if c2, ok := heldfile.Claim(p); ok {
		c2.Close()
		t.Error("a second sweeper claimed it too")
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "pid 1\nmore\n" {
		t.Errorf("content %q, %v; want the header, then what was appended", b, err)
	}
}

func TestCreateNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "job.lock")
	if err := os.WriteFile(p, []byte("theirs"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f, err := heldfile.Create(p, "ours"); err == nil {
		f.Close()
		t.Fatal("Create replaced an existing file")
	}
	if b, _ := os.ReadFile(p); string(b) != "theirs" {
		t.Errorf("existing file now holds %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left %d files, want only the existing one: %v", len(entries), entries)
	}
}

func TestMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gone.lock")
	if heldfile.Abandoned(p) {
		t.Error("a missing file is Abandoned")
	}
	if _, ok := heldfile.Claim(p); ok {
		t.Error("a missing file was claimed")
	}
}
