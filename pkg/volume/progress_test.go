package volume_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// TestDockerBackupProgressPhases: a volumes backup reports each phase as
// it begins, with what it does: the warm pass, the image's save as a step
// of its own, the stop naming both containers, the final pass naming both
// stopped, the start naming both, and the commit.
func TestDockerBackupProgressPhases(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("progress", map[string]string{appplan.LabelBackup: "true"})
	f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"},
		Labels: map[string]string{appplan.LabelSaveImage: string(appplan.SaveImageAlways)}})
	f.Container(dockertest.Spec{Name: "api", Mounts: []string{vol + ":/shared"},
		Labels: map[string]string{appplan.LabelDependsOn: f.Name("db")}})
	r, _ := repotest.New(t, 2, repo.Options{})
	p, _ := f.plan(vol)

	var mu sync.Mutex
	var seen []backup.AppProgress
	reports, err := backup.Volumes(t.Context(), f.m, r, p, backup.VolumeOptions{Progress: func(q backup.AppProgress) {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 || !equalProgress(seen[len(seen)-1], q) {
			seen = append(seen, q)
		}
	}})
	if err != nil || len(reports) != 1 || reports[0].SnapshotID == "" {
		t.Fatalf("backup: %v %+v", err, reports)
	}
	both := []string{f.Name("api"), f.Name("db")} // stop order: the consumer first
	var phases []string
	sawImage := false
	for _, q := range seen {
		t.Logf("%+v", q)
		if len(phases) == 0 || phases[len(phases)-1] != q.Phase {
			phases = append(phases, q.Phase)
		}
		switch q.Phase {
		case backup.PhaseWarm:
			sawImage = sawImage || q.Step == "saving image "+f.Image
		case backup.PhaseStopping, backup.PhaseFinal, backup.PhaseStarting:
			if !slices.Equal(q.Stopped, both) {
				t.Errorf("%s names %v, want %v", q.Phase, q.Stopped, both)
			}
		}
	}
	want := []string{backup.PhaseWarm, backup.PhaseStopping, backup.PhaseFinal, backup.PhaseStarting, backup.PhaseCommit}
	if !slices.Equal(phases, want) {
		t.Errorf("phases %q, want %q", phases, want)
	}
	if !sawImage {
		t.Errorf("no progress named the image's save (%s)", f.Image)
	}
}

func equalProgress(a, b backup.AppProgress) bool {
	return a.Phase == b.Phase && a.Step == b.Step && a.Files == b.Files && a.Bytes == b.Bytes && slices.Equal(a.Stopped, b.Stopped)
}
