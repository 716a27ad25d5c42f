package main

import (
	"slices"
	"sync"
	"testing"

	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// TestVolumeRestoreProgress: a volume restore reports, in order, the
// staging with its planned size (for the ETA) up to all of it written,
// the container being stopped for the swap, the swap with it stopped, and
// the start, which is what the terminal's status line shows.
func TestVolumeRestoreProgress(t *testing.T) {
	f := newVolFixture(t)
	a := newTwoTierApp(f, "rpg", nil)
	var b backupJSON
	f.c.mustVolumesJSON(&b, "backup", a.name)
	id, err := format.ParseID(b.app(t, a.name).SnapshotID)
	if err != nil {
		t.Fatal(err)
	}
	r := f.c.openRepo(f.c.env["RESTIC_REPOSITORY"])
	defer r.Backend().Close()
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	sn, err := r.LoadSnapshot(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []apprestore.Progress
	env := apprestore.Env{Docker: f.Cli, Volumes: volume.NewWithClient(f.Cli, volume.Options{StateDir: t.TempDir()}), Repo: r,
		Progress: func(p apprestore.Progress) {
			mu.Lock()
			events = append(events, p)
			mu.Unlock()
		}}
	rep, err := apprestore.RestoreVolumes(t.Context(), env, sn, []apprestore.Target{{Name: a.webVol, SnapshotPath: f.mountpoint(a.webVol)}})
	if err != nil {
		t.Fatal(err)
	}

	var phases []apprestore.Phase
	var last apprestore.Progress
	for _, p := range events {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
		if p.Phase == apprestore.PhaseStaging {
			last = p
		}
	}
	want := []apprestore.Phase{apprestore.PhaseStaging, apprestore.PhaseSwap, apprestore.PhaseStart}
	if !slices.Equal(phases, want) {
		t.Fatalf("phases %v, want %v", phases, want)
	}
	if s := last.Stats; last.Volume != a.webVol || s.PlannedBytes == 0 || s.Written != s.PlannedBytes || s.PlannedBytes != rep.Volumes[0].Bytes {
		t.Errorf("last staging event %+v; restored %d bytes", last, rep.Volumes[0].Bytes)
	}
	stopping := slices.IndexFunc(events, func(p apprestore.Progress) bool {
		return p.Phase == apprestore.PhaseSwap && slices.Equal(p.Stopping, []string{a.webNam}) && len(p.Stopped) == 0
	})
	swapped := slices.IndexFunc(events, func(p apprestore.Progress) bool {
		return p.Phase == apprestore.PhaseSwap && len(p.Stopping) == 0 && slices.Equal(p.Stopped, []string{a.webNam})
	})
	started := slices.IndexFunc(events, func(p apprestore.Progress) bool {
		return p.Phase == apprestore.PhaseStart && slices.Equal(p.Stopped, []string{a.webNam})
	})
	if stopping < 0 || swapped < stopping || started < swapped {
		t.Errorf("stopping web at event %d, swap at %d, start at %d (want all, in order): %+v", stopping, swapped, started, events)
	}
}
