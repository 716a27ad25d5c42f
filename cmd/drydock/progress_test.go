package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/restorer"
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
	// An image's stream is no measure of the volumes' ETA: its own step.
	clock = clock.Add(50 * time.Minute)
	update(backup.AppProgress{App: "shop", Phase: backup.PhaseWarm, Step: "saving image shop:dev", Files: 13, Bytes: 101 << 20, Expected: 400 << 20})
	if got := render(); !strings.Contains(got, "warm pass, saving image shop:dev, 13 files") || strings.Contains(got, "ETA") {
		t.Errorf("image save: %q", got)
	}
	update(backup.AppProgress{App: "shop", Phase: backup.PhaseStopping, Stopped: []string{"web", "db"}})
	clock = clock.Add(10 * time.Second)
	if got := render(); got != "app shop: stopping web, db (10s)" {
		t.Errorf("stopping: %q", got)
	}
	update(backup.AppProgress{App: "shop", Phase: backup.PhaseFinal, Stopped: []string{"web", "db"}, Files: 1, Bytes: 1 << 20, Expected: 400 << 20})
	clock = clock.Add(time.Second)
	if got := render(); !strings.Contains(got, "final pass (stopped: web, db), 1 files") || strings.Contains(got, "ETA") {
		t.Errorf("final pass: %q", got)
	}
	update(backup.AppProgress{App: "shop", Phase: backup.PhaseStarting, Stopped: []string{"web", "db"}})
	clock = clock.Add(2 * time.Second)
	if got := render(); got != "app shop: starting web, db (2s)" {
		t.Errorf("starting: %q", got)
	}
	update(backup.AppProgress{App: "shop", Phase: backup.PhaseCommit})
	if got := render(); got != "app shop: writing the snapshot (the app runs again)" {
		t.Errorf("commit: %q", got)
	}
}

// TestRestoreStatusLine: the status line of a volume restore gives the
// staged volume's progress with an ETA from the planned size once writing
// began, then the containers being stopped, swapped and started.
func TestRestoreStatusLine(t *testing.T) {
	clock := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	render, update := restoreRender(func() time.Time { return clock })
	if got := render(); got != "planning" {
		t.Errorf("before any progress: %q", got)
	}
	staging := func(s restorer.Stats) apprestore.Progress {
		return apprestore.Progress{Phase: apprestore.PhaseStaging, Volume: "db", Index: 2, Volumes: 2, Stats: s}
	}
	update(staging(restorer.Stats{Dirs: 3}))
	if got := render(); !strings.Contains(got, "volume db (2 of 2) staged beside its data") || !strings.Contains(got, "reading the snapshot, 3 directories") {
		t.Errorf("reading trees: %q", got)
	}
	clock = clock.Add(time.Minute) // reading trees does not count in the rate
	update(staging(restorer.Stats{PlannedFiles: 40, PlannedBytes: 400 << 20, Written: 1}))
	clock = clock.Add(10 * time.Second)
	update(staging(restorer.Stats{Files: 10, PlannedFiles: 40, Bytes: 90 << 20, PlannedBytes: 400 << 20, Written: 100 << 20}))
	got := render()
	for _, want := range []string{"10 of 40 files", "100.0 MiB of 400.0 MiB", "10.0 MiB/s", "ETA 30s"} {
		if !strings.Contains(got, want) {
			t.Errorf("staging: %q lacks %q", got, want)
		}
	}
	for _, tc := range []struct {
		p    apprestore.Progress
		want string
	}{
		{apprestore.Progress{Phase: apprestore.PhaseSwap, Stopping: []string{"web", "db"}}, "stopping web, db for the swap"},
		{apprestore.Progress{Phase: apprestore.PhaseSwap, Stopped: []string{"web", "db"}}, "swapping in the restored data (stopped: web, db)"},
		{apprestore.Progress{Phase: apprestore.PhaseStart, Stopped: []string{"web", "db"}}, "starting again: web, db"},
		{apprestore.Progress{Phase: apprestore.PhaseStart}, "starting again: none"},
	} {
		update(tc.p)
		if got := render(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
}

// TestTermWriterClearsStatusLine: a log line written while the status
// line is drawn clears it first instead of landing in the middle of it.
func TestTermWriterClearsStatusLine(t *testing.T) {
	var out strings.Builder
	w := &termWriter{f: &out}
	w.draw("[1s] staging")
	fmt.Fprintln(w, "level=WARN msg=x")
	fmt.Fprintln(w, "second line")
	w.draw("[2s] staging")
	w.clear()
	w.clear()
	want := "\r\033[K[1s] staging" + "\r\033[K" + "level=WARN msg=x\n" + "second line\n" + "\r\033[K[2s] staging" + "\r\033[K"
	if got := out.String(); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestFilesRestoreStatusLine: drydock restore's status line reads the
// trees first, then counts files and bytes of the planned totals with a
// rate from the first byte written and an ETA.
func TestFilesRestoreStatusLine(t *testing.T) {
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	render, update := filesRestoreRender(func() time.Time { return clock })
	update(restorer.Stats{Dirs: 7})
	if got := render(); got != "reading the snapshot, 7 directories" {
		t.Errorf("reading trees: %q", got)
	}
	clock = clock.Add(time.Minute) // not part of the rate
	update(restorer.Stats{PlannedFiles: 8, PlannedBytes: 80 << 20, Written: 1})
	clock = clock.Add(4 * time.Second)
	update(restorer.Stats{Files: 2, PlannedFiles: 8, PlannedBytes: 80 << 20, Written: 20 << 20})
	got := render()
	for _, want := range []string{"2 of 8 files", "20.0 MiB of 80.0 MiB", "5.0 MiB/s", "ETA 12s"} {
		if !strings.Contains(got, want) {
			t.Errorf("writing: %q lacks %q", got, want)
		}
	}
}

func TestCheckAndDumpStatusText(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{checkStatusText([2]int{0, 0}, time.Second), "checking the index and the snapshots' trees"},
		{checkStatusText([2]int{5, 20}, 10*time.Second), "read 5 of 20 packs, ETA 30s"},
		{checkStatusText([2]int{20, 20}, 10*time.Second), "read 20 of 20 packs"},
		{dumpStatusText(10<<20, 40<<20, 2*time.Second), "10.0 MiB of 40.0 MiB written, 5.0 MiB/s, ETA 6s"},
		{dumpStatusText(10<<20, 0, 2*time.Second), "10.0 MiB written, 5.0 MiB/s"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}
