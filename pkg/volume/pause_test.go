package volume_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// TestDockerPause: with drydock.stop=pause the app is frozen for the final
// pass, never stopped. The final pass reads everything the app wrote
// before the freeze, nothing changes while it is frozen, and afterwards
// the same container runs on, unpaused, writing again.
func TestDockerPause(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"},
		Cmd:    []string{"run", "-dir", "/data", "-interval", "10ms"},
		Labels: map[string]string{appplan.LabelStop: appplan.StopPause}})
	web := f.Container(dockertest.Spec{Name: "web", NetworkMode: "container:" + db})
	_, app := f.plan(vol)
	if len(app.Stop) != 1 || app.Stop[0].Action != appplan.ActionPause || len(app.Kept) != 0 {
		t.Fatalf("plan stops %+v, want db paused and its consumer web left alone", app.Stop)
	}
	before := f.Inspect(db)
	logFile := filepath.Join(f.volumePath(vol), before.Config.Hostname+".log")

	var warm, snapshot []byte
	var frozenSize int64 = -1
	paused := false
	res, err := f.backup(vol, func(_ context.Context, app appplan.App, pass volume.Pass) error {
		switch pass {
		case volume.PassWarm:
			warm, _ = os.ReadFile(logFile)
		case volume.PassFinal:
			paused = f.Inspect(db).State.Paused
			snapshot, _ = os.ReadFile(logFile)
			// The point is time passing while frozen: a running db would
			// write 30 lines meanwhile; no event marks writes that do not
			// happen.
			time.Sleep(300 * time.Millisecond)
			if fi, err := os.Stat(logFile); err == nil {
				frozenSize = fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !paused {
		t.Error("db was not paused during the final pass")
	}
	if len(res.Paused) != 1 || res.Paused[0].ID != db || len(res.Stopped) != 0 {
		t.Errorf("paused %v, stopped %v; want db paused, nothing stopped", res.Paused, res.Stopped)
	}
	if res.Frozen <= 0 || res.Frozen > res.Downtime {
		t.Errorf("frozen %s, downtime %s: want 0 < frozen <= downtime", res.Frozen, res.Downtime)
	}
	t.Logf("frozen for %s (final pass with a 300ms sleep)", res.Frozen)
	// Every change made before the freeze is in what the final pass read,
	// and nothing was written while frozen.
	if len(snapshot) <= len(warm) || !bytes.HasPrefix(snapshot, warm) {
		t.Errorf("final pass read %d bytes, want more than the warm pass's %d, starting with them", len(snapshot), len(warm))
	}
	if frozenSize != int64(len(snapshot)) {
		t.Errorf("log grew from %d to %d bytes while frozen", len(snapshot), frozenSize)
	}
	// Never stopped: same container, same start, running, not paused, and
	// writing again after the thaw.
	after := f.Inspect(db)
	if after.State.StartedAt != before.State.StartedAt || !after.State.Running || after.State.Paused || after.RestartCount != 0 {
		t.Errorf("db after: started %s (before %s), running %v, paused %v", after.State.StartedAt, before.State.StartedAt, after.State.Running, after.State.Paused)
	}
	if !f.Running(web) {
		t.Error("web is not running")
	}
	var now []byte
	if !waitUntil(10*time.Second, func() bool {
		now, _ = os.ReadFile(logFile)
		return len(now) > len(snapshot) && bytes.HasPrefix(now, snapshot)
	}) {
		t.Fatalf("log did not grow after the thaw (%d bytes, snapshot %d)", len(now), len(snapshot))
	}
	f.assertJournalCleared()
}

// TestDockerPauseKilledThenRecover: a drydock killed while the app is
// frozen leaves the journal; the next one unpauses it.
func TestDockerPauseKilledThenRecover(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"},
		Labels: map[string]string{appplan.LabelStop: appplan.StopPause}})
	p, app := f.plan(vol)
	if _, err := f.m.Stop(t.Context(), p, app); err != nil {
		t.Fatal(err)
	}
	if !f.Inspect(db).State.Paused {
		t.Fatal("db not paused after Stop")
	}
	next := volume.NewWithClient(f.Cli, volume.Options{StateDir: f.state})
	started, err := next.Recover(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(started) != 1 || started[0].ID != db {
		t.Errorf("recover thawed %v, want db", started)
	}
	if ins := f.Inspect(db); ins.State.Paused || !ins.State.Running {
		t.Errorf("db after recover: paused %v, running %v", ins.State.Paused, ins.State.Running)
	}
	f.assertJournalCleared()
}

// TestDockerPauseMaxDowntime: a frozen app is thawed at its maximum
// downtime, while the final pass still runs, and the backup fails.
func TestDockerPauseMaxDowntime(t *testing.T) {
	f := newFixture(t, volume.Options{})
	vol := f.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	db := f.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"},
		Labels: map[string]string{appplan.LabelStop: appplan.StopPause, appplan.LabelMaxDowntime: "1s"}})
	thawedFirst := false
	res, err := f.backup(vol, func(ctx context.Context, _ appplan.App, pass volume.Pass) error {
		if pass != volume.PassFinal {
			return nil
		}
		<-ctx.Done()
		thawedFirst = waitUntil(30*time.Second, func() bool {
			ins, err := f.Cli.ContainerInspect(context.Background(), db)
			return err == nil && !ins.State.Paused
		})
		return ctx.Err()
	})
	if !errors.Is(err, volume.ErrMaxDowntime) {
		t.Fatalf("err %v, want ErrMaxDowntime", err)
	}
	if !thawedFirst || res.Frozen < time.Second || f.Inspect(db).State.Paused {
		t.Errorf("thawed while the pass ran: %v; frozen %s; want thawed at the 1s limit", thawedFirst, res.Frozen)
	}
	f.assertJournalCleared()
}
