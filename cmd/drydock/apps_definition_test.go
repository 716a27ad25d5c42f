package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backup"
)

// TestAppDefinitionCompose: a compose-labelled app's snapshot, restored by
// stock restic, holds its compose file and .env byte for byte, and its
// container's and volume's `docker inspect` JSON.
func TestAppDefinitionCompose(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	f := newVolFixture(t)
	project := f.Name("proj")
	work := t.TempDir()
	compose := "services:\n  web:\n    image: testapp\n    volumes: [data:/data]\nvolumes:\n  data: {}\n"
	writeFile(t, filepath.Join(work, "compose.yaml"), []byte(compose))
	writeFile(t, filepath.Join(work, ".env"), []byte("SECRET=s3cret\n"))

	vol := f.Volume("def", map[string]string{appplan.LabelBackup: "true"})
	id := f.Container(dockertest.Spec{Name: "def", Mounts: []string{vol + ":/data"}, Labels: map[string]string{
		appplan.ComposeProject: project, appplan.ComposeService: "web", appplan.ComposeContainerNumber: "1",
		appplan.ComposeConfigFiles: filepath.Join(work, "compose.yaml"), appplan.ComposeWorkingDir: work,
		"example.label": "kept",
	}})

	var rep backupJSON
	f.c.mustVolumesJSON(&rep, "backup", vol)
	app := rep.app(t, vol)
	if app.SnapshotID == "" || app.Definition == "" {
		t.Fatalf("backup: %+v", app)
	}
	dst := t.TempDir()
	f.c.mustRestic(resticBin, "restore", app.SnapshotID, "--target", dst, "--include", backup.AppRoot)
	def := filepath.Join(dst, backup.AppDir(vol), "definition")
	for name, want := range map[string]string{"compose.yaml": compose, ".env": "SECRET=s3cret\n"} {
		got, err := os.ReadFile(filepath.Join(def, "compose", project, work, name))
		if err != nil || string(got) != want {
			t.Errorf("%s in the snapshot: %q (%v), want %q", name, got, err, want)
		}
	}
	var ins container.InspectResponse
	data, err := os.ReadFile(filepath.Join(def, "containers", f.Name("def")+".json"))
	if err != nil {
		t.Fatal(err)
	}
	mustUnmarshal(t, string(data), &ins)
	if ins.ID != id || ins.Config == nil || ins.Config.Labels["example.label"] != "kept" || ins.Config.Labels[appplan.ComposeProject] != project {
		t.Errorf("container JSON: ID %s, labels %v", ins.ID, ins.Config)
	}
	if len(ins.Mounts) != 1 || ins.Mounts[0].Name != vol || ins.Mounts[0].Destination != "/data" {
		t.Errorf("container JSON mounts: %+v", ins.Mounts)
	}
	var v struct{ Name string }
	data, err = os.ReadFile(filepath.Join(def, "volumes", vol+".json"))
	if err != nil || json.Unmarshal(data, &v) != nil || v.Name != vol {
		t.Errorf("volume JSON: %v %s", err, data)
	}
	imgs, _ := filepath.Glob(filepath.Join(def, "images", "*.json"))
	if len(imgs) != 1 || !strings.Contains(string(must1(os.ReadFile(imgs[0]))), `"RepoTags"`) {
		t.Errorf("image JSON: %v", imgs)
	}
	if fi, err := os.Stat(filepath.Join(def, "containers", f.Name("def")+".json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("definition file mode: %v %v", fi.Mode(), err)
	}
}

func must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
