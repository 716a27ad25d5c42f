package main

import (
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snapcopy"
)

// TestCopyLines: what copy prints for a copied and a skipped snapshot,
// and its summary.
func TestCopyLines(t *testing.T) {
	at := time.Date(2026, 12, 7, 7, 38, 46, 0, time.UTC)
	when := at.Local().Format("2006-01-02 15:04:05")
	src := repo.Snapshot{ID: format.Hash([]byte("src")), Snapshot: &format.Snapshot{Time: at, Paths: []string{"/srv", "/etc"}, Hostname: "vm", Username: "root"}}
	dst := format.Hash([]byte("dst"))
	for _, c := range []struct {
		name, got, want string
	}{
		{"copied", copyLine(snapcopy.Result{Source: src, Copy: dst, Stats: repo.SaverStats{DataBlobs: 3, TreeBlobs: 2, DataAdded: 1536}}),
			"snapshot " + src.ID.Str() + " of [/srv /etc] at " + when + " by root@vm: copied to " + dst.Str() + " (3 data and 2 tree blobs new, 1.5 KiB)"},
		{"skipped", copyLine(snapcopy.Result{Source: src, Skipped: true, Copy: dst}),
			"snapshot " + src.ID.Str() + " of [/srv /etc] at " + when + " by root@vm: skipped, already in the destination as " + dst.Str()},
		{"summary", copySummary(snapcopy.Summary{Copied: 1, Skipped: 2, Stats: repo.SaverStats{DataBlobs: 3, TreeBlobs: 2, DataAdded: 1536, Packs: 2}}, 3),
			"copied 1 of 3 snapshots, skipped 2 already in the destination; added 3 data and 2 tree blobs (1.5 KiB) in 2 packs"},
		{"summary of a run that stopped", copySummary(snapcopy.Summary{Copied: 1}, 3),
			"copied 1 of 3 snapshots, skipped 0 already in the destination; added 0 data and 0 tree blobs (0 B) in 0 packs; 2 not copied"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got\n%s\nwant\n%s", c.got, c.want)
			}
		})
	}
}
