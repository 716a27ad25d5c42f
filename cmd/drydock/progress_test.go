package main

import (
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backup"
)

// TestVolumesStatusLine: the status line names the app and its pass,
// gives an ETA from the last snapshot's size during the warm pass, and
// the stopped containers during the final pass.
func TestVolumesStatusLine(t *testing.T) {
	clock := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	render, update := volumesRender(func() time.Time { return clock })
	if got := render(); got != "planning" {
		t.Errorf("before any progress: %q", got)
	}
	update(backup.AppProgress{App: "shop", Phase: backup.PhaseWarm, Stopped: []string{"web", "db"}, Expected: 400 << 20})
	clock = clock.Add(10 * time.Second)
	update(backup.AppProgress{App: "shop", Phase: backup.PhaseWarm, Stopped: []string{"web", "db"}, Files: 12, Bytes: 100 << 20, Expected: 400 << 20})
	for _, want := range []string{"app shop: warm pass", "12 files, 100.0 MiB of ~400.0 MiB", "ETA 30s", "10.0 MiB/s"} {
		if got := render(); !strings.Contains(got, want) {
			t.Errorf("warm pass: %q lacks %q", got, want)
		}
	}
	if strings.Contains(render(), "stopped") {
		t.Errorf("warm pass names stopped containers: %q", render())
	}
	update(backup.AppProgress{App: "shop", Phase: backup.PhaseFinal, Stopped: []string{"web", "db"}, Files: 1, Bytes: 1 << 20, Expected: 400 << 20})
	clock = clock.Add(time.Second)
	if got := render(); !strings.Contains(got, "final pass (stopped: web, db), 1 files") || strings.Contains(got, "ETA") {
		t.Errorf("final pass: %q", got)
	}
}
