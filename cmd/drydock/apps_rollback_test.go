package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
)

// TestAppRestoreRecreateFailsCleanly: a --recreate that fails after it
// created something (the second of two missing containers has an image
// neither the host nor the snapshot has) removes the container and the
// volume it created, leaves the container and volume that existed as they
// were, and says so on every line, none with an empty status.
func TestAppRestoreRecreateFailsCleanly(t *testing.T) {
	f := newVolFixture(t)
	app := f.Name("arx")
	group := map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: app}
	keptVol, newVol := f.Volume("arx-kept", group), f.Volume("arx-new", group)
	tag := "dd-gone-" + f.Suffix + ":v1"
	buildTestImage(f, tag, "1")
	kept := f.Container(dockertest.Spec{Name: "arx-1kept", Mounts: []string{keptVol + ":/data"}})
	created := f.Container(dockertest.Spec{Name: "arx-2new", Mounts: []string{newVol + ":/data"}})
	bad := f.Container(dockertest.Spec{Name: "arx-3bad", Image: tag, Mounts: []string{newVol + ":/data"}})
	keptName, newName, badName := f.Name("arx-1kept"), f.Name("arx-2new"), f.Name("arx-3bad")
	f.c.mustVolumesJSON(&backupJSON{}, "backup", app)

	for _, id := range []string{bad, created} {
		f.Forget(id)
		must(t, f.Cli.ContainerRemove(t.Context(), id, container.RemoveOptions{Force: true}))
	}
	must(t, f.Cli.VolumeRemove(t.Context(), newVol, true))
	if _, err := f.Cli.ImageRemove(t.Context(), tag, image.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(f.mountpoint(keptVol), "after"), []byte("kept"))
	keptStarted, _ := f.Times(kept)
	t.Cleanup(func() { removeByName(t, f, []string{newName, badName}, []string{newVol}) })

	out, errOut, code := f.c.runVolumes("restore", "--json", "--app", app, "--recreate")
	t.Logf("restore --recreate --json: exit %d\n%s%s", code, out, errOut)
	var rep apprestore.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFailure {
		t.Fatalf("exit %d, %v", code, err)
	}
	actions := map[string]string{}
	for _, c := range rep.Containers {
		actions[c.Name] = c.Action
		if c.Action == apprestore.Failed && c.Why == "" {
			t.Errorf("container %s failed without saying why", c.Name)
		}
	}
	if actions[keptName] != apprestore.Kept || actions[newName] != apprestore.Removed || actions[badName] != apprestore.Failed {
		t.Errorf("containers: %+v", rep.Containers)
	}
	if rb := rep.RolledBack; rb == nil || strings.Join(rb.Removed.Containers, ",") != newName || strings.Join(rb.Removed.Volumes, ",") != newVol ||
		strings.Join(rb.Kept.Containers, ",") != keptName || strings.Join(rb.Kept.Volumes, ",") != keptVol || len(rb.Errors) > 0 {
		t.Errorf("rolled back: %+v", rb)
	}
	if _, err := f.Cli.ContainerInspect(t.Context(), newName); !cerrdefs.IsNotFound(err) {
		t.Errorf("container %s the restore created is still there (%v)", newName, err)
	}
	if _, err := f.Cli.VolumeInspect(t.Context(), newVol); !cerrdefs.IsNotFound(err) {
		t.Errorf("volume %s the restore created is still there (%v)", newVol, err)
	}
	if _, err := os.Stat(filepath.Join(f.mountpoint(keptVol), "after")); err != nil {
		t.Errorf("the failed restore changed volume %s: %v", keptVol, err)
	}
	if s, _ := f.Times(kept); !s.Equal(keptStarted) || !f.Running(kept) {
		t.Errorf("the failed restore touched container %s", keptName)
	}

	// The text output: every container line has a status, and it names
	// what was removed and what was left as it was.
	out, _, code = f.c.runVolumes("restore", "--app", app, "--recreate")
	t.Logf("restore --recreate: exit %d\n%s", code, out)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), ":") || strings.Contains(l, ": ,") {
			t.Errorf("a line without a status: %q", l)
		}
	}
	for _, want := range []string{"removed again: containers " + newName, "removed again: volumes " + newVol,
		"left as it was: containers " + keptName, "left as it was: volumes " + keptVol, "container " + badName + ": failed ("} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
