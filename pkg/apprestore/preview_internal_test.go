package apprestore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// TestPreviewRoomAddsUp: two volumes on one filesystem, each of which
// fits alone, do not fit together: the restore stages the second while
// the first is held, and the preview checks room the same way. The
// second fails its room check, naming the volume.
func TestPreviewRoomAddsUp(t *testing.T) {
	dir := t.TempDir()
	free, size, err := fsSpace(dir)
	if err != nil || size == 0 || free < 64<<20 {
		t.Fatalf("statfs %s: %d free of %d, %v: need a filesystem with 64 MiB free", dir, free, size, err)
	}
	room := free - min(size/20, maxKeepFree)
	each := restorer.Stats{Files: 1, Bytes: room / 10 * 6} // 60%: alone it fits
	pv := newPreviewer(newRun(Env{}, repo.Snapshot{}, nil))
	held := map[uint64]restorer.Stats{}
	for _, name := range []string{"first", "second"} {
		mp := filepath.Join(dir, name, "_data")
		if err := os.MkdirAll(mp, 0o755); err != nil {
			t.Fatal(err)
		}
		pv.room(t.Context(), &VolumePlan{Name: name, Action: WillReplace, Mountpoint: mp}, each, held)
	}
	if len(pv.p.Checks) != 2 {
		t.Fatalf("checks: %+v", pv.p.Checks)
	}
	first, second := pv.p.Checks[0], pv.p.Checks[1]
	if !first.OK || first.Kind != KindRoom || first.Subject != "first" {
		t.Errorf("first volume: %+v, want room ok", first)
	}
	if second.OK || second.Kind != KindRoom || !strings.Contains(second.Detail, "volume second") || !strings.Contains(second.Detail, ErrNoRoom.Error()) {
		t.Errorf("second volume: %+v, want room FAILED naming it", second)
	}
}
