package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/swarm"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// TestVolumesRestoreSwarmService restores the volume of a replicated
// Swarm service with 2 replicas, by volume and with --app, several times:
// each restore exits 0, the volume holds the snapshot's files, the
// service is back at 2 replicas with 2 tasks running when drydock exits,
// the output never says NOT restored, and nothing is left beside the
// volume's data.
func TestVolumesRestoreSwarmService(t *testing.T) {
	f := newVolFixture(t)
	f.Swarm()
	vol := f.Volume("svcrestore", nil)
	mp := f.mountpoint(vol)
	seeded := seed(t, mp, 5, 41)
	svc := f.Service(dockertest.ServiceSpec{Name: "svcrestore", Replicas: 2, Mounts: []string{vol + ":/data"},
		Labels: map[string]string{appplan.LabelBackup: "true"}})
	var b backupJSON
	f.c.mustVolumesJSON(&b, "backup", vol)
	snap := b.app(t, vol).SnapshotID
	want, _ := snapshotOf(t, mp)
	assertSwarmPlan(t, f, svc, snap, vol)

	for i, args := range [][]string{
		{"restore", snap, vol},
		{"restore", "--app", vol, snap},
		{"restore", "latest", vol},
		{"restore", "--app", vol},
		{"restore", snap, vol},
	} {
		writeFile(t, filepath.Join(mp, seeded[0]), []byte("changed after the backup"))
		writeFile(t, filepath.Join(mp, "new-after-backup"), []byte("must go"))
		stdout, stderr, code := f.c.runVolumes(args...)
		if code != 0 || strings.Contains(stdout+stderr, "NOT restored") {
			t.Errorf("restore %d (%v): exit %d\n%s%s", i, args, code, stdout, stderr)
		}
		got, _ := snapshotOf(t, mp)
		for rel, data := range want {
			if string(got[rel]) != string(data) {
				t.Errorf("restore %d: %s not restored (%d bytes, want %d)", i, rel, len(got[rel]), len(data))
			}
		}
		if _, ok := got["new-after-backup"]; ok {
			t.Errorf("restore %d: a file added after the backup survived", i)
		}
		// Scaled back and waited for: 2 tasks run as drydock exits.
		s, _, err := f.Cli.ServiceInspectWithRaw(context.Background(), svc, swarm.ServiceInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, marked := s.Spec.Labels[appplan.LabelScaledFrom]; marked || *s.Spec.Mode.Replicated.Replicas != 2 {
			t.Errorf("restore %d: service at %d replicas (marker left: %v), want 2", i, *s.Spec.Mode.Replicated.Replicas, marked)
		}
		if n := len(f.TaskContainers(svc)); n != 2 {
			t.Errorf("restore %d: %d task containers run, want 2", i, n)
		}
		assertOnlyData(t, mp)
	}
}

// assertSwarmPlan: the plan of the volume's restore scales the service
// (both its tasks named, with the service) and starts no task itself,
// since Swarm starts them when the service scales back; the dry run
// leaves the service at its replicas.
func assertSwarmPlan(t *testing.T, f *volFixture, svc, snap, vol string) {
	t.Helper()
	s, _, err := f.Cli.ServiceInspectWithRaw(context.Background(), svc, swarm.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := f.dryRun(0, snap, vol)
	tasks := f.TaskContainers(svc)
	if len(p.Stop) != len(tasks) || len(tasks) != 2 {
		t.Fatalf("plan stops %+v, want the service's 2 tasks %v", p.Stop, tasks)
	}
	for _, st := range p.Stop {
		if st.Service != s.Spec.Name {
			t.Errorf("plan: %s stopped without its service %s: %+v", st.Container, s.Spec.Name, st)
		}
	}
	if len(p.Start) != 0 {
		t.Errorf("plan starts %v, want none (Swarm starts the tasks)", p.Start)
	}
	after, _, err := f.Cli.ServiceInspectWithRaw(context.Background(), svc, swarm.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *after.Spec.Mode.Replicated.Replicas != 2 || after.Version.Index != s.Version.Index {
		t.Errorf("the dry run changed the service: %d replicas, version %d (was %d)", *after.Spec.Mode.Replicated.Replicas, after.Version.Index, s.Version.Index)
	}
}

// assertOnlyData checks that the volume's directory holds its data
// directory alone: no staging directory, no old data.
func assertOnlyData(t *testing.T, mp string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(mp))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(mp) {
			t.Errorf("left beside the volume's data: %s", e.Name())
		}
	}
}
