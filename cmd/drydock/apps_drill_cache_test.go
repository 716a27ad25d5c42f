package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/drill"
)

// TestDrillCacheVolume: a drill boots a cache-tier volume empty without a
// warning (it is left out of backups on purpose), and still warns of a
// volume that is not in the snapshot for no stated reason (never opted
// in). A --recreate creates the cache volume empty with its saved labels.
func TestDrillCacheVolume(t *testing.T) {
	f := newVolFixture(t)
	app := f.Name("dcv")
	data := f.Volume("dcv-data", map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: app})
	cache := f.Volume("dcv-cache", map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: app, appplan.LabelTier: "cache"})
	loose := f.Volume("dcv-loose", nil)
	id := f.Container(dockertest.Spec{Name: "dcv", Mounts: []string{data + ":/data", cache + ":/cache", loose + ":/loose"}})
	f.c.mustVolumesJSON(&backupJSON{}, "backup", app)

	out, errOut, code := f.c.run("verify", "--json", "--app", app, "--boot")
	t.Logf("verify --boot: exit %d\n%s%s", code, out, errOut)
	var res drillJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.Passed {
		t.Fatalf("drill: exit %d, %v", code, err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], loose) {
		t.Errorf("warnings %q, want one, of %s alone", res.Warnings, loose)
	}
	i := slices.IndexFunc(res.Volumes, func(v drill.VolumeResult) bool { return v.Name == cache })
	if i < 0 || !res.Volumes[i].Empty || !strings.Contains(res.Volumes[i].Excluded, appplan.LabelTier+"=cache") {
		t.Errorf("volumes: %+v", res.Volumes)
	}
	out, _, _ = f.c.run("verify", "--app", app, "--boot")
	if !strings.Contains(out, "volume "+cache+": not backed up (drydock.tier=cache") {
		t.Errorf("the drill's output does not say why %s is empty:\n%s", cache, out)
	}
	assertNoDrillLeft(t, f)

	// On a host that lost the app, the cache volume comes back empty, with
	// its labels (so the next backup leaves it out again).
	f.Forget(id)
	must(t, f.Cli.ContainerRemove(t.Context(), id, container.RemoveOptions{Force: true}))
	for _, v := range []string{data, cache, loose} {
		must(t, f.Cli.VolumeRemove(t.Context(), v, true))
	}
	name := f.Name("dcv")
	t.Cleanup(func() { removeByName(t, f, []string{name}, []string{data, cache, loose}) })
	var rep apprestore.Report
	f.c.mustVolumesJSON(&rep, "restore", "--app", app, "--recreate")
	if !slices.Contains(rep.EmptyVolumes, cache) || !slices.Contains(rep.EmptyVolumes, loose) {
		t.Errorf("volumes created empty: %v", rep.EmptyVolumes)
	}
	if v, err := f.Cli.VolumeInspect(t.Context(), cache); err != nil || v.Labels[appplan.LabelTier] != "cache" {
		t.Errorf("volume %s: %v, labels %v", cache, err, v.Labels)
	}
	if !f.Running(name) {
		t.Errorf("container %s does not run", name)
	}
}
