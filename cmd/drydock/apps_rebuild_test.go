package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
)

// buildTestImage builds tag locally (docker build, no registry) FROM the
// test image with one label, rev, so that each rev is a new image ID, and
// returns that ID. The tag and every ID it named are removed at the end.
func buildTestImage(f *volFixture, tag, rev string) string {
	t := f.t
	t.Helper()
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	df := []byte("FROM " + f.Image + "\nLABEL dd-test.rev=" + rev + "\n")
	must(t, tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(df))}))
	_, err := tw.Write(df)
	must(t, err)
	must(t, tw.Close())
	res, err := f.Cli.ImageBuild(t.Context(), &ctxTar, build.ImageBuildOptions{Tags: []string{tag}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if bytes.Contains(out, []byte(`"errorDetail"`)) {
		t.Fatalf("build %s: %s", tag, out)
	}
	ins, err := f.Cli.ImageInspect(t.Context(), tag)
	if err != nil {
		t.Fatalf("build %s: %v\n%s", tag, err, out)
	}
	t.Cleanup(func() {
		// A failed test may leave its containers of the image running:
		// they are its own (the image is), and block the removal.
		ctx := context.Background()
		cs, _ := f.Cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("ancestor", ins.ID))})
		for _, c := range cs {
			_ = f.Cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
		}
		_, _ = f.Cli.ImageRemove(ctx, ins.ID, image.RemoveOptions{Force: true})
	})
	return ins.ID
}

// TestAppRestoreRebuiltImage: the apps' image was rebuilt under the same
// tag since the backup (a new ID; the old one is gone). --recreate and a
// drill use this host's image, with a warning naming both IDs, rather
// than refuse (no saved image: "docker pull", which cannot help) or load
// the snapshot's copy over the rebuilt tag; --saved-images loads the
// snapshot's copy.
func TestAppRestoreRebuiltImage(t *testing.T) {
	f := newVolFixture(t)
	tag := "dd-rebuilt-" + f.Suffix + ":v1"
	oldID := buildTestImage(f, tag, "1")
	vol := f.Volume("arb", map[string]string{appplan.LabelBackup: "true"})
	id := f.Container(dockertest.Spec{Name: "arb", Image: tag, Mounts: []string{vol + ":/data"}, Labels: map[string]string{appplan.LabelSaveImage: "true"}})
	vol2 := f.Volume("arb2", map[string]string{appplan.LabelBackup: "true"})
	id2 := f.Container(dockertest.Spec{Name: "arb2", Image: tag, Mounts: []string{vol2 + ":/data"}}) // no saved image
	name, name2 := f.Name("arb"), f.Name("arb2")
	f.c.mustVolumesJSON(&backupJSON{}, "backup", vol)
	f.c.mustVolumesJSON(&backupJSON{}, "backup", vol2)
	for _, id := range []string{id, id2} {
		f.Forget(id)
		must(t, f.Cli.ContainerRemove(t.Context(), id, container.RemoveOptions{Force: true}))
	}
	must(t, f.Cli.VolumeRemove(t.Context(), vol, true))
	must(t, f.Cli.VolumeRemove(t.Context(), vol2, true))
	newID := buildTestImage(f, tag, "2")
	if _, err := f.Cli.ImageRemove(t.Context(), oldID, image.RemoveOptions{}); err != nil {
		t.Fatalf("remove the image before the rebuild: %v", err)
	}
	short := func(id string) string { return strings.TrimPrefix(id, "sha256:")[:12] }
	t.Cleanup(func() { removeByName(t, f, []string{name, name2}, nil) })

	restore := func(app string, args ...string) apprestore.Report {
		t.Helper()
		out, errOut, code := f.c.runVolumes(append([]string{"restore", "--json", "--app", app, "--recreate"}, args...)...)
		t.Logf("restore --recreate %v: exit %d\n%s%s", args, code, out, errOut)
		var rep apprestore.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
			t.Fatalf("restore: exit %d, %v", code, err)
		}
		return rep
	}
	warned := func(ws []string) bool {
		return strings.Contains(strings.Join(ws, "\n"), short(newID)) && strings.Contains(strings.Join(ws, "\n"), short(oldID))
	}
	for _, a := range [][2]string{{vol2, name2}, {vol, name}} {
		rep, n := restore(a[0]), a[1]
		if ins := f.Inspect(n); ins.Image != newID || !ins.State.Running || rep.Containers[0].ImageLoaded {
			t.Errorf("%s recreated from image %s (running %v, loaded %v), want the rebuilt %s", n, short(ins.Image), ins.State.Running, rep.Containers[0].ImageLoaded, short(newID))
		}
		if !warned(rep.Warnings) {
			t.Errorf("%s: no warning naming both image IDs: %q", n, rep.Warnings)
		}
	}

	out, errOut, code := f.c.run("verify", "--json", "--app", vol, "--boot")
	t.Logf("verify --boot: exit %d\n%s%s", code, out, errOut)
	var res drillJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.Passed || !warned(res.Warnings) {
		t.Errorf("drill: exit %d, %v, warnings %q", code, err, res.Warnings)
	}
	if ins, err := f.Cli.ImageInspect(t.Context(), tag); err != nil || ins.ID != newID {
		t.Errorf("after the drill, %s is %s (%v), want the rebuilt %s", tag, ins.ID, err, short(newID))
	}
	assertNoDrillLeft(t, f)

	// Asked to, the restore loads the snapshot's image (which takes the
	// tag back).
	must(t, f.Cli.ContainerRemove(t.Context(), name, container.RemoveOptions{Force: true}))
	rep := restore(vol, "--saved-images")
	if ins := f.Inspect(name); ins.Image != oldID || !rep.Containers[0].ImageLoaded {
		t.Errorf("--saved-images: created from %s (loaded %v), want the saved %s", short(ins.Image), rep.Containers[0].ImageLoaded, short(oldID))
	}
}
