package volume

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

func TestMergeLabelsPrecedence(t *testing.T) {
	svc := &Service{Name: "shop", Labels: map[string]string{
		LabelBackup: "true", LabelHookPre: "a", LabelScaledFrom: "2", "com.example": "x",
	}}
	got, err := mergeLabels(svc, map[string]string{LabelHookPre: "a", LabelStop: "pause"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{LabelBackup: "true", LabelHookPre: "a", LabelStop: "pause"}
	if len(got) != len(want) {
		t.Errorf("merged %v, want %v (drydock's marker and foreign labels of the service left out)", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("merged %s=%q, want %q", k, got[k], v)
		}
	}
	_, err = mergeLabels(svc, map[string]string{LabelBackup: "false"})
	if err == nil || !strings.Contains(err.Error(), `drydock.backup is "true" on Swarm service shop and "false" on its container`) {
		t.Errorf("conflict: err %v", err)
	}
}

// swarmInventory is a volume mounted by two tasks of service svc.
func swarmInventory(svc *Service, labels map[string]string) *Inventory {
	inv := &Inventory{Volumes: []VolumeInfo{{Name: "v", Settings: Settings{Backup: True}}}, Services: []*Service{svc}}
	for _, id := range []string{"t1", "t2"} {
		ins := container.InspectResponse{
			ContainerJSONBase: &container.ContainerJSONBase{ID: id, Name: "/" + svc.Name + "." + id, State: &container.State{Running: true}},
			Config: &container.Config{Labels: labels, Healthcheck: &container.HealthConfig{
				Test: []string{"CMD", "true"}, Interval: 2 * time.Second, Retries: 5}},
		}
		c := containerFromInspect(ins, svc)
		c.Mounts = []Mount{{Name: "v", RW: true}}
		inv.Containers = append(inv.Containers, c)
	}
	return inv
}

// TestSwarmNotManager: on a node that is not a manager, a service whose
// tasks must stop makes its app fail, naming the service; nothing is
// touched (the fake panics on any call but the ones it fakes, and records
// stops and starts).
func TestSwarmNotManager(t *testing.T) {
	notManager := errors.New("Error response from daemon: This node is not a swarm manager.")
	svc := &Service{ID: "s1", Name: "shop", Err: notManager}
	p := BuildPlan(swarmInventory(svc, map[string]string{LabelHookPre: "x"}), PlanOptions{})
	if len(p.Apps) != 1 || p.Apps[0].Err == nil {
		t.Fatalf("plan:\n%s", p)
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
	_, err := m.BackupPlan(t.Context(), p, func(context.Context, App, Pass) error { called = true; return nil })
	if err == nil || !strings.Contains(err.Error(), "shop") || called || len(f.calls) != 0 {
		t.Errorf("backup: err %v, pass called %v, docker calls %v: want the error and nothing done", err, called, f.calls)
	}
	// drydock.stop=false on the service: backed up live, no manager needed.
	p = BuildPlan(swarmInventory(svc, map[string]string{LabelStop: "false"}), PlanOptions{})
	if a := p.Apps[0]; a.Err != nil || len(a.Stop) != 0 {
		t.Errorf("with drydock.stop=false: err %v, stop %v", a.Err, a.Stop)
	}
}

func TestSwarmPlan(t *testing.T) {
	replicated := &Service{ID: "s1", Name: "shop", Mode: "replicated", Replicas: 2}
	p := BuildPlan(swarmInventory(replicated, map[string]string{LabelHookPre: "x", LabelDump: "y"}), PlanOptions{})
	a := p.Apps[0]
	if a.Err != nil || len(a.Stop) != 2 || a.Stop[0].Action != ActionScale || a.Stop[0].Container.SwarmService != "s1" {
		t.Fatalf("replicated: plan\n%s", p)
	}
	if len(a.Hooks) != 1 || len(a.Dumps) != 1 || a.Dumps[0].Name != "shop.dump" || len(a.Containers) != 1 {
		t.Errorf("replicated: hooks %v, dumps %v, containers %v: want each once, the dump named after the service", a.Hooks, a.Dumps, a.Containers)
	}

	global := &Service{ID: "s2", Name: "agent", Mode: "global", Global: true}
	p = BuildPlan(swarmInventory(global, nil), PlanOptions{})
	a = p.Apps[0]
	if len(a.Stop) != 0 || len(a.Kept) != 2 || !strings.Contains(a.Kept[0].Reason, "global Swarm service agent, which cannot be scaled to 0: backed up live") {
		t.Errorf("global: plan\n%s", p)
	}
	// Paused, a global service's tasks are frozen; the freeze is bounded
	// by the healthcheck budget, beyond which Swarm would replace them.
	p = BuildPlan(swarmInventory(global, map[string]string{LabelStop: StopPause}), PlanOptions{})
	a = p.Apps[0]
	if len(a.Stop) != 2 || a.Stop[0].Action != ActionPause || a.MaxDowntime != 10*time.Second || !strings.Contains(a.MaxDowntimeFrom, "healthcheck") {
		t.Errorf("global paused: max downtime %s (%s), plan\n%s", a.MaxDowntime, a.MaxDowntimeFrom, p)
	}
}

// TestPauseLeavesConsumersAlone: the consumers of a paused container are
// not stopped (its namespaces stay); those of a stopped one are.
func TestPauseLeavesConsumersAlone(t *testing.T) {
	mk := func(name string, labels map[string]string, deps ...string) *Container {
		c := &Container{ID: name, Name: name, Running: true}
		c.Settings, _ = ParseSettings(labels)
		for _, d := range deps {
			c.Deps = append(c.Deps, RawDep{Source: DepNetwork, Target: d})
		}
		return c
	}
	db := mk("db", map[string]string{LabelStop: StopPause})
	db.Mounts = []Mount{{Name: "v", RW: true}}
	web := mk("web", nil, "db")
	p := BuildPlan(&Inventory{Volumes: []VolumeInfo{{Name: "v", Settings: Settings{Backup: True}}}, Containers: []*Container{db, web}}, PlanOptions{})
	if a := p.Apps[0]; len(a.Stop) != 1 || a.Stop[0].Container.Name != "db" || a.Stop[0].Action != ActionPause {
		t.Errorf("plan\n%s\nwant db paused, web left alone", p)
	}
	db.Settings, _ = ParseSettings(map[string]string{LabelStop: "true"})
	p = BuildPlan(&Inventory{Volumes: []VolumeInfo{{Name: "v", Settings: Settings{Backup: True}}}, Containers: []*Container{db, web}}, PlanOptions{})
	if a := p.Apps[0]; len(a.Stop) != 2 || a.Stop[0].Action != ActionStop {
		t.Errorf("plan\n%s\nwant web and db stopped", p)
	}
}
