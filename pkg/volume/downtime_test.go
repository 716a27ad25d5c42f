package volume_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// TestDockerMaxDowntimeLabel backs up two apps in one run under a lenient
// Manager limit: app "short" says drydock.max-downtime=2s on its container,
// and its final pass would take far longer; it is started at its deadline,
// while the pass still runs, and its backup fails. App "long" has no label:
// its 6s final pass, longer than the other app's limit, succeeds.
func TestDockerMaxDowntimeLabel(t *testing.T) {
	const label, longPass = 2 * time.Second, 6 * time.Second
	f := newFixture(t, volume.Options{MaxDowntime: time.Minute})
	short := f.Volume("short", map[string]string{appplan.LabelBackup: "true"})
	long := f.Volume("long", map[string]string{appplan.LabelBackup: "true"})
	shortID := f.Container(dockertest.Spec{Name: "short", Mounts: []string{short + ":/data"},
		Labels: map[string]string{appplan.LabelMaxDowntime: label.String()}})
	longID := f.Container(dockertest.Spec{Name: "long", Mounts: []string{long + ":/data"}})

	p, err := f.m.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	longApp, shortApp := appOf(t, p, long), appOf(t, p, short)
	if shortApp.MaxDowntime != label || longApp.MaxDowntime != 0 {
		t.Fatalf("plan: max downtime %s and %s, want %s and none\n%s", shortApp.MaxDowntime, longApp.MaxDowntime, label, planview.String(p))
	}
	p.Apps = []*appplan.App{longApp, shortApp} // only this test's apps, in this order

	startedEarly := false
	var longErr error
	fn := func(ctx context.Context, app appplan.App, pass volume.Pass) error {
		if pass != volume.PassFinal {
			return nil
		}
		switch app.Name {
		case short:
			select { // a final pass with far more work than 2s allow
			case <-ctx.Done():
			case <-time.After(time.Minute):
				return errors.New("the stopped phase was not cut at the label's limit")
			}
			// drydock must start the app without waiting for this pass.
			startedEarly = waitUntil(30*time.Second, func() bool {
				ins, err := f.Cli.ContainerInspect(context.Background(), shortID)
				return err == nil && ins.State.Running
			})
			return ctx.Err()
		case long:
			select {
			case <-time.After(longPass):
				return nil
			case <-ctx.Done():
				longErr = context.Cause(ctx)
				return longErr
			}
		}
		return nil
	}
	rs, err := f.m.BackupPlan(t.Context(), p, fn)
	t.Logf("results: %+v", rs)
	if len(rs) != 2 {
		t.Fatalf("results %+v, want two", rs)
	}
	longRes, shortRes := rs[0], rs[1]
	if longRes.Err != nil || longErr != nil {
		t.Errorf("app without the label failed: %v (final pass cut: %v)", longRes.Err, longErr)
	}
	if longRes.Downtime < longPass {
		t.Errorf("app without the label was down %s, less than its %s final pass", longRes.Downtime, longPass)
	}
	if !errors.Is(shortRes.Err, volume.ErrMaxDowntime) || !errors.Is(err, volume.ErrMaxDowntime) {
		t.Fatalf("labelled app: err %v, want ErrMaxDowntime", shortRes.Err)
	}
	if want := "drydock.max-downtime=2s on container " + f.Name("short"); !strings.Contains(shortRes.Err.Error(), want) {
		t.Errorf("error %q does not say where the limit comes from (%s)", shortRes.Err, want)
	}
	if !startedEarly {
		t.Error("the labelled app was not started while its final pass still ran")
	}
	if shortRes.Downtime < label || shortRes.Downtime >= longPass {
		t.Errorf("labelled app was down %s, want its %s limit (not the Manager's minute)", shortRes.Downtime, label)
	}
	if !f.Running(shortID) || !f.Running(longID) {
		t.Error("a container is not running after the backup")
	}
	f.assertJournalCleared()
}

// appOf returns the app of p that backs up volume vol.
func appOf(t *testing.T, p *appplan.Plan, vol string) *appplan.App {
	t.Helper()
	for _, a := range p.Apps {
		for _, v := range a.Volumes {
			if v.Name == vol {
				return a
			}
		}
	}
	t.Fatalf("no app for volume %s in plan:\n%s", vol, planview.String(p))
	return nil
}
