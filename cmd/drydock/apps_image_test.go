package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backup"
)

// TestAppSaveImage: drydock.save-image=true saves a locally built image
// (no registry digest) as `docker save` writes it: a tar with a manifest.
func TestAppSaveImage(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	f := newVolFixture(t)
	vol := f.Volume("img", map[string]string{appplan.LabelBackup: "true"})
	f.Container(dockertest.Spec{Name: "img", Mounts: []string{vol + ":/data"}, Labels: map[string]string{appplan.LabelSaveImage: "true"}})
	var rep backupJSON
	f.c.mustVolumesJSON(&rep, "backup", vol)
	app := rep.app(t, vol)
	if len(app.Images) != 1 || path.Dir(app.Images[0]) != path.Join(backup.AppDir(vol), "images") {
		t.Fatalf("report images %v", app.Images)
	}
	cmd := exec.Command(resticBin, "--no-cache", "dump", app.SnapshotID, app.Images[0])
	cmd.Env = append(os.Environ(), f.c.environ()...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tr, manifest := tar.NewReader(out), false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("image tar: %v", err)
		}
		manifest = manifest || h.Name == "manifest.json"
	}
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil || !manifest {
		t.Errorf("restic dump %s: %v; manifest.json found: %v", app.Images[0], err, manifest)
	}
}
