package volume

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// TestSwarmNotManager: on a node that is not a manager, a service whose
// tasks must stop makes its app fail, naming the service; nothing is
// touched (the fake panics on any call but the ones it fakes, and records
// stops and starts).
func TestSwarmNotManager(t *testing.T) {
	notManager := errors.New("Error response from daemon: This node is not a swarm manager.")
	svc := &appplan.Service{ID: "s1", Name: "shop", Err: notManager}
	p := appplan.BuildPlan(planview.SwarmInventory(svc, map[string]string{appplan.LabelHookPre: "x"}), appplan.PlanOptions{})
	if len(p.Apps) != 1 || p.Apps[0].Err == nil {
		t.Fatalf("plan:\n%s", planview.String(p))
	}
	for _, want := range []string{"Swarm service shop", "only a Swarm manager", "not a swarm manager", "nothing is stopped"} {
		if !strings.Contains(p.Apps[0].Err.Error(), want) {
			t.Errorf("app error %q does not say %q", p.Apps[0].Err, want)
		}
	}
	dir := t.TempDir()
	f := &fakeDocker{t: t, journal: filepath.Join(dir, JournalFile), running: map[string]bool{"t1": true, "t2": true}}
	m := newManager(f, Options{StateDir: dir})
	called := false
	_, err := m.BackupPlan(t.Context(), p, func(context.Context, appplan.App, Pass) error { called = true; return nil })
	if err == nil || !strings.Contains(err.Error(), "shop") || called || len(f.calls) != 0 {
		t.Errorf("backup: err %v, pass called %v, docker calls %v: want the error and nothing done", err, called, f.calls)
	}
	// drydock.stop=false on the service: backed up live, no manager needed.
	p = appplan.BuildPlan(planview.SwarmInventory(svc, map[string]string{appplan.LabelStop: "false"}), appplan.PlanOptions{})
	if a := p.Apps[0]; a.Err != nil || len(a.Stop) != 0 {
		t.Errorf("with drydock.stop=false: err %v, stop %v", a.Err, a.Stop)
	}
}
