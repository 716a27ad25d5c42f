package appplan_test

import (
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

func TestSwarmPlan(t *testing.T) {
	replicated := &appplan.Service{ID: "s1", Name: "shop", Mode: "replicated", Replicas: 2}
	p := appplan.BuildPlan(planview.SwarmInventory(replicated, map[string]string{appplan.LabelHookPre: "x", appplan.LabelDump: "y"}), appplan.PlanOptions{})
	a := p.Apps[0]
	if a.Err != nil || len(a.Stop) != 2 || a.Stop[0].Action != appplan.ActionScale || a.Stop[0].Container.SwarmService != "s1" {
		t.Fatalf("replicated: plan\n%s", planview.String(p))
	}
	if len(a.Hooks) != 1 || len(a.Dumps) != 1 || a.Dumps[0].Name != "shop.dump" || len(a.Containers) != 1 {
		t.Errorf("replicated: hooks %v, dumps %v, containers %v: want each once, the dump named after the service", a.Hooks, a.Dumps, a.Containers)
	}

	global := &appplan.Service{ID: "s2", Name: "agent", Mode: "global", Global: true}
	p = appplan.BuildPlan(planview.SwarmInventory(global, nil), appplan.PlanOptions{})
	a = p.Apps[0]
	if len(a.Stop) != 0 || len(a.Kept) != 2 || !strings.Contains(a.Kept[0].Reason, "global Swarm service agent, which cannot be scaled to 0: backed up live") {
		t.Errorf("global: plan\n%s", planview.String(p))
	}
	// Paused, a global service's tasks are frozen; the freeze is bounded
	// by the healthcheck budget, beyond which Swarm would replace them.
	p = appplan.BuildPlan(planview.SwarmInventory(global, map[string]string{appplan.LabelStop: appplan.StopPause}), appplan.PlanOptions{})
	a = p.Apps[0]
	if len(a.Stop) != 2 || a.Stop[0].Action != appplan.ActionPause || a.MaxDowntime != 10*time.Second || !strings.Contains(a.MaxDowntimeFrom, "healthcheck") {
		t.Errorf("global paused: max downtime %s (%s), plan\n%s", a.MaxDowntime, a.MaxDowntimeFrom, planview.String(p))
	}
}

// TestPauseLeavesConsumersAlone: the consumers of a paused container are
// not stopped (its namespaces stay); those of a stopped one are.
func TestPauseLeavesConsumersAlone(t *testing.T) {
	mk := func(name string, labels map[string]string, deps ...string) *appplan.Container {
		c := &appplan.Container{ID: name, Name: name, Running: true}
		c.Settings, _ = appplan.ParseSettings(labels)
		for _, d := range deps {
			c.Deps = append(c.Deps, appplan.RawDep{Source: appplan.DepNetwork, Target: d})
		}
		return c
	}
	db := mk("db", map[string]string{appplan.LabelStop: appplan.StopPause})
	db.Mounts = []appplan.Mount{{Name: "v", RW: true}}
	web := mk("web", nil, "db")
	p := appplan.BuildPlan(&appplan.Inventory{Volumes: []appplan.VolumeInfo{{Name: "v", Settings: appplan.Settings{Backup: appplan.True}}}, Containers: []*appplan.Container{db, web}}, appplan.PlanOptions{})
	if a := p.Apps[0]; len(a.Stop) != 1 || a.Stop[0].Container.Name != "db" || a.Stop[0].Action != appplan.ActionPause {
		t.Errorf("plan\n%s\nwant db paused, web left alone", planview.String(p))
	}
	db.Settings, _ = appplan.ParseSettings(map[string]string{appplan.LabelStop: "true"})
	p = appplan.BuildPlan(&appplan.Inventory{Volumes: []appplan.VolumeInfo{{Name: "v", Settings: appplan.Settings{Backup: appplan.True}}}, Containers: []*appplan.Container{db, web}}, appplan.PlanOptions{})
	if a := p.Apps[0]; len(a.Stop) != 2 || a.Stop[0].Action != appplan.ActionStop {
		t.Errorf("plan\n%s\nwant web and db stopped", planview.String(p))
	}
}
