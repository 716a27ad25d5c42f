package volume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// fakeDocker is a stand-in for the few calls Stop and undo make, to check
// what a real engine cannot show: that the journal exists before the first
// stop, and that every restart failure is reported. The real behaviour is
// covered against Docker in docker_test.go.
type fakeDocker struct {
	dockerAPI // nil: calls not faked panic
	t         *testing.T
	journal   string
	mu        sync.Mutex
	running   map[string]bool
	failStop  map[string]bool
	failStart map[string]bool
	calls     []string
}

func (f *fakeDocker) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: id, State: &container.State{Running: f.running[id]}},
		Config:            &container.Config{},
	}, nil
}

func (f *fakeDocker) ContainerStop(_ context.Context, id string, _ container.StopOptions) error {
	if _, err := os.Stat(f.journal); err != nil {
		f.t.Errorf("stopping %s before the journal was written: %v", id, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "stop "+id)
	if f.failStop[id] {
		return errors.New("daemon says no")
	}
	f.running[id] = false
	return nil
}

func (f *fakeDocker) ContainerStart(_ context.Context, id string, _ container.StartOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "start "+id)
	if f.failStart[id] {
		return fmt.Errorf("cannot start %s", id)
	}
	f.running[id] = true
	return nil
}

func fakePlan(t *testing.T) (*appplan.Plan, *appplan.App) {
	t.Helper()
	mk := func(name string, deps ...string) *appplan.Container {
		c := &appplan.Container{ID: name, Name: name, Running: true, Settings: appplan.Settings{Backup: appplan.True}}
		for _, d := range deps {
			c.Deps = append(c.Deps, appplan.RawDep{Source: appplan.DepLabel, Target: d})
		}
		return c
	}
	db := mk("db")
	db.Mounts = []appplan.Mount{{Name: "v", RW: true}}
	web1, web2 := mk("web1", "db"), mk("web2", "db")
	p := appplan.BuildPlan(&appplan.Inventory{Volumes: []appplan.VolumeInfo{{Name: "v"}}, Containers: []*appplan.Container{db, web1, web2}}, appplan.PlanOptions{})
	if len(p.Apps) != 1 || len(p.Apps[0].Stop) != 3 {
		t.Fatalf("plan:\n%s", planview.String(p))
	}
	return p, p.Apps[0]
}

func TestStopJournalsFirstAndUndoReportsAllFailures(t *testing.T) {
	dir := t.TempDir()
	f := &fakeDocker{t: t, journal: filepath.Join(dir, JournalFile),
		running:   map[string]bool{"db": true, "web1": true, "web2": true},
		failStop:  map[string]bool{"db": true},
		failStart: map[string]bool{"web1": true, "web2": true},
	}
	m := newManager(f, Options{StateDir: dir})
	p, app := fakePlan(t)
	undo, err := m.Stop(t.Context(), p, app)
	if err == nil || !strings.Contains(err.Error(), "stop container db: daemon says no") {
		t.Fatalf("stop err %v", err)
	}
	err = undo(t.Context())
	for _, want := range []string{"start container web1", "start container web2"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("undo err %v does not report %q", err, want)
		}
	}
	// db failed to stop and still runs: not started again.
	if slices.Contains(f.calls, "start db") {
		t.Errorf("calls %v: started a container that was still running", f.calls)
	}
	if _, err := os.Stat(f.journal); err != nil {
		t.Errorf("journal cleared although restarts failed: %v", err)
	}
	// Once Docker cooperates, a second undo finishes the job.
	f.failStart = nil
	if err := undo(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.journal); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal not cleared after a successful restart: %v", err)
	}
}

func TestStopCancelledBeforeStart(t *testing.T) {
	dir := t.TempDir()
	f := &fakeDocker{t: t, journal: filepath.Join(dir, JournalFile), running: map[string]bool{"db": true, "web1": true, "web2": true}}
	m := newManager(f, Options{StateDir: dir})
	p, app := fakePlan(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	undo, err := m.Stop(ctx, p, app)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if err := undo(ctx); err != nil { // a cancelled ctx must not stop the undo
		t.Fatal(err)
	}
	for id, r := range f.running {
		if !r {
			t.Errorf("%s left stopped", id)
		}
	}
}
