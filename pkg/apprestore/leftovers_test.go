package apprestore

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSweep: Sweep leaves the directories of a live restore's journal,
// removes those a dead restore's journal lists (and the journal), and
// never what is not provably such a leftover: a directory no journal
// lists, one listed but not named as drydock names it beside its data,
// the data itself, one kept on purpose, and nothing of a volume whose
// data directory is missing.
func TestSweep(t *testing.T) {
	state, vols := t.TempDir(), t.TempDir()
	data := filepath.Join(vols, "v", "_data")
	writeFile(t, filepath.Join(data, "f"), []byte("live"))
	staged, old := SiblingName(data, ".drydock-restore-"), SiblingName(data, ".drydock-old-")
	kept := SiblingName(data, ".drydock-new-")
	foreign := SiblingName(data, ".drydock-restore-") // no journal lists it
	outside := filepath.Join(vols, ".drydock-restore-_data-0123456789ab")
	for _, d := range []string{staged, old, kept, foreign, outside} {
		writeFile(t, filepath.Join(d, "f"), []byte("x"))
	}

	j, err := openJournal(state)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{staged, old, kept, outside, data} {
		must(t, j.add(data, d))
	}
	must(t, j.keep(kept))
	if removed, err := Sweep(state, slog.New(slog.DiscardHandler)); err != nil || len(removed) != 0 {
		t.Fatalf("sweep during the restore: removed %v, %v", removed, err)
	}
	// A line cut short by a kill.
	_, _ = j.f.WriteString(`{"dir":"` + foreign)
	j.release()

	removed, err := Sweep(state, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := slices.Sorted(slices.Values([]string{staged, old})); !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, d := range []string{data, kept, foreign, outside} {
		if _, err := os.Stat(filepath.Join(d, "f")); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	for _, d := range []string{staged, old} {
		if _, err := os.Lstat(d); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", d, err)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(state, journalDir)); len(left) != 0 {
		t.Errorf("journals left: %v", left)
	}

	// The data directory is missing: nothing of the volume is removed.
	j, err = openJournal(state)
	if err != nil {
		t.Fatal(err)
	}
	must(t, j.add(data, foreign))
	j.release()
	must(t, os.Rename(data, old))
	if _, err := Sweep(state, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), data+" missing") {
		t.Errorf("sweep without the data directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "f")); err != nil {
		t.Errorf("removed with the data directory missing: %v", err)
	}
	must(t, os.Rename(old, data))
	if removed, err := Sweep(state, slog.New(slog.DiscardHandler)); err != nil || !slices.Equal(removed, []string{foreign}) {
		t.Errorf("sweep once the data is back: %v, %v", removed, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
