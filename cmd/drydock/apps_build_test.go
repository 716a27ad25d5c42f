package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// buildApp is a compose-labelled app whose service web is built from
// app/ below the project's working directory.
type buildApp struct {
	vol, project, work, ctr string
}

func newBuildApp(f *volFixture, base string, files map[string]string, extra map[string]string) buildApp {
	f.t.Helper()
	a := buildApp{project: f.Name(base + "proj"), work: f.t.TempDir()}
	writeFile(f.t, filepath.Join(a.work, "compose.yaml"), []byte("services:\n  web:\n    build:\n      context: ./app\n      dockerfile: Dockerfile\n    volumes: [data:/data]\n  other:\n    build: ./other\nvolumes:\n  data: {}\n"))
	for rel, data := range files {
		writeFile(f.t, filepath.Join(a.work, "app", rel), []byte(data))
	}
	writeFile(f.t, filepath.Join(a.work, "other", "Dockerfile"), []byte("FROM scratch\n")) // no container in the app: not saved
	a.vol = f.Volume(base, map[string]string{appplan.LabelBackup: "true"})
	labels := map[string]string{appplan.ComposeProject: a.project, appplan.ComposeService: "web", appplan.ComposeContainerNumber: "1",
		appplan.ComposeConfigFiles: filepath.Join(a.work, "compose.yaml"), appplan.ComposeWorkingDir: a.work}
	for k, v := range extra {
		labels[k] = v
	}
	a.ctr = f.Container(dockertest.Spec{Name: base, Mounts: []string{a.vol + ":/data"}, Labels: labels})
	return a
}

// resticPaths lists a snapshot's paths below dir by `restic ls --json --recursive`,
// path -> node type.
func resticPaths(t *testing.T, c *cli, bin, snapshot, dir string) map[string]string {
	t.Helper()
	out := c.mustResticRaw(bin, "ls", "--json", "--recursive", snapshot, dir)
	got := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var n struct {
			Path       string `json:"path"`
			Type       string `json:"type"`
			StructType string `json:"struct_type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &n); err == nil && n.StructType == "node" {
			got[n.Path] = n.Type
		}
	}
	return got
}

// TestAppDefinitionBuild: a compose service's build context is saved
// with the app (minus what .dockerignore leaves out, its ! exception
// kept, links as links), where the README says, and --definition-target
// alone writes it back beside the compose file, touching no volume and
// no container, so that docker build works there offline.
func TestAppDefinitionBuild(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	dockerBin := testenv.RequireBinary(t, "docker")
	f := newVolFixture(t)
	from := dockertest.Image(t)
	kept := map[string]string{
		"Dockerfile":         "FROM " + from + "\nCOPY . /ctx/\n",
		".dockerignore":      "# secrets and noise\n*.key\nlogs\n**/*.tmp\n*.md\n!README.md\n",
		"keep.txt":           "kept\n",
		"README.md":          "the exception\n",
		"sub/inner.txt":      "inner\n",
		"sub/deeper/x.conf":  "x=1\n",
		"script.sh":          "#!/bin/sh\necho hi\n",
		"sub/deeper/.hidden": "h\n",
	}
	ignored := map[string]string{"server.key": "SECRET", "logs/a.log": "log", "sub/cache.tmp": "tmp", "NOTES.md": "notes"}
	a := newBuildApp(f, "bld", mapsUnion(kept, ignored), nil)
	ctxDir := filepath.Join(a.work, "app")
	if err := os.Chmod(filepath.Join(ctxDir, "script.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"link": "keep.txt", "escape": "/etc/passwd"} {
		if err := os.Symlink(target, filepath.Join(ctxDir, name)); err != nil {
			t.Fatal(err)
		}
	}

	var rep backupJSON
	f.c.mustVolumesJSON(&rep, "backup", a.vol)
	app := rep.app(t, a.vol)
	if len(app.Warnings) != 0 {
		t.Errorf("backup warnings: %v", app.Warnings)
	}
	// The layout the README documents, as stock restic sees it.
	build := path.Join(backup.AppDir(a.vol), "definition", "build", a.project, "web")
	got := resticPaths(t, f.c, resticBin, app.SnapshotID, path.Join(backup.AppDir(a.vol), "definition"))
	for rel := range kept {
		if got[path.Join(build, "context", rel)] != "file" {
			t.Errorf("restic ls: context/%s: %q, want a file", rel, got[path.Join(build, "context", rel)])
		}
	}
	for _, p := range []string{"Dockerfile", "build.json"} {
		if got[path.Join(build, p)] != "file" {
			t.Errorf("restic ls: %s: %q, want a file", p, got[path.Join(build, p)])
		}
	}
	for _, l := range []string{"link", "escape"} {
		if got[path.Join(build, "context", l)] != "symlink" {
			t.Errorf("restic ls: context/%s: %q, want a symlink", l, got[path.Join(build, "context", l)])
		}
	}
	for p := range got {
		for rel := range ignored {
			if strings.HasSuffix(p, "/context/"+rel) {
				t.Errorf("restic ls: %s is in the snapshot, .dockerignore leaves it out", p)
			}
		}
		if strings.Contains(p, "/build/"+a.project+"/other") {
			t.Errorf("restic ls: %s: service other has no container in the app", p)
		}
	}
	dockerfile := f.c.mustResticRaw(resticBin, "dump", app.SnapshotID, path.Join(build, "Dockerfile"))
	if dockerfile != kept["Dockerfile"] {
		t.Errorf("restic dump Dockerfile: %q", dockerfile)
	}

	// --definition-target alone: the definition, nothing else.
	marker := filepath.Join(f.mountpoint(a.vol), "written-after-backup")
	writeFile(t, marker, []byte("stays"))
	startedBefore := f.Inspect(a.ctr).State.StartedAt
	dir := filepath.Join(t.TempDir(), "def")
	var rr apprestore.Report
	f.c.mustVolumesJSON(&rr, "restore", "--app", a.vol, "--definition-target", dir)
	if len(rr.Volumes) != 0 || len(rr.Stopped) != 0 {
		t.Errorf("--definition-target restored volumes %+v, stopped %v: want neither", rr.Volumes, rr.Stopped)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("--definition-target touched the volume: %v", err)
	}
	if ins := f.Inspect(a.ctr); !ins.State.Running || ins.State.StartedAt != startedBefore {
		t.Errorf("--definition-target stopped the container: running %v, started %s (was %s)", ins.State.Running, ins.State.StartedAt, startedBefore)
	}
	proj := filepath.Join(dir, a.project)
	for rel, want := range mapsUnion(kept, map[string]string{"../compose.yaml": string(must1(os.ReadFile(filepath.Join(a.work, "compose.yaml"))))}) {
		if data, err := os.ReadFile(filepath.Join(proj, "app", rel)); err != nil || string(data) != want {
			t.Errorf("written %s: %q (%v), want %q", rel, data, err, want)
		}
	}
	for rel := range ignored {
		if _, err := os.Lstat(filepath.Join(proj, "app", rel)); err == nil {
			t.Errorf("written %s: .dockerignore leaves it out", rel)
		}
	}
	if fi, err := os.Stat(filepath.Join(proj, "app", "script.sh")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("script.sh mode: %v (%v), want 0755", fi.Mode(), err)
	}
	for name, want := range map[string]string{"link": "keep.txt", "escape": "/etc/passwd"} {
		if target, err := os.Readlink(filepath.Join(proj, "app", name)); err != nil || target != want {
			t.Errorf("written %s: link to %q (%v), want %q", name, target, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(proj, "other")); err == nil {
		t.Error("service other's context was written")
	}

	// What was written builds, offline, from the local test image.
	tag := "drydock-test-build:" + strings.ToLower(dockertest.RandomSuffix())
	t.Cleanup(func() { _, _ = f.Cli.ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true}) })
	cmd := exec.Command(dockerBin, "build", "--network", "none", "-t", tag, filepath.Join(proj, "app"))
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build in the written context: %v\n%s", err, out)
	}

	// For people: what happened, not "restored".
	out, _, code := f.c.runVolumes("restore", "--app", a.vol, "--definition-target", filepath.Join(t.TempDir(), "def"))
	if code != 0 || !strings.Contains(out, "definition written, no volume restored") || !strings.Contains(out, "wrote ") {
		t.Errorf("--definition-target, text output: exit %d\n%s", code, out)
	}

	// Existing files are never overwritten: nothing is written.
	if err := os.Remove(filepath.Join(proj, "app", "keep.txt")); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := f.c.runVolumes("restore", "--app", a.vol, "--definition-target", dir); code != exitFailure || !strings.Contains(errOut, "exists") {
		t.Errorf("second --definition-target into the same directory: exit %d, %s", code, errOut)
	}
	if _, err := os.Lstat(filepath.Join(proj, "app", "keep.txt")); err == nil {
		t.Error("a refused --definition-target wrote a file")
	}
}

// TestAppDefinitionBuildCap: a build context over its cap is saved up to
// the cap; the backup is incomplete (exit 3) with a warning naming the
// service and what was left out.
func TestAppDefinitionBuildCap(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	f := newVolFixture(t)
	files := map[string]string{"Dockerfile": "FROM scratch\n", "a-small.txt": strings.Repeat("s", 100), "b-big.bin": strings.Repeat("b", 4096), "c-small.txt": "c"}
	a := newBuildApp(f, "cap", files, map[string]string{appplan.LabelBuildContextMaxSize: "1KiB"})
	out, errOut, code := f.c.runVolumes("--json", "backup", a.vol)
	if code != exitIncomplete {
		t.Fatalf("backup over the cap: exit %d, want %d\n%s", code, exitIncomplete, errOut)
	}
	var rep backupJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	app := rep.app(t, a.vol)
	if len(app.Warnings) != 1 || !strings.Contains(app.Warnings[0], "service web") || !strings.Contains(app.Warnings[0], "b-big.bin") || !strings.Contains(app.Warnings[0], appplan.LabelBuildContextMaxSize) {
		t.Errorf("warnings: %v, want one naming service web, b-big.bin and the label", app.Warnings)
	}
	build := path.Join(backup.AppDir(a.vol), "definition", "build", a.project, "web")
	got := resticPaths(t, f.c, resticBin, app.SnapshotID, build)
	var ctxFiles []string
	for p := range got {
		if rel, ok := strings.CutPrefix(p, build+"/context/"); ok {
			ctxFiles = append(ctxFiles, rel)
		}
	}
	slices.Sort(ctxFiles)
	if want := []string{"Dockerfile", "a-small.txt", "c-small.txt"}; !slices.Equal(ctxFiles, want) {
		t.Errorf("context in the snapshot: %v, want %v", ctxFiles, want)
	}
	var info volume.BuildInfo
	mustUnmarshal(t, f.c.mustResticRaw(resticBin, "dump", app.SnapshotID, build+"/build.json"), &info)
	if info.MaxSize != 1024 || info.OmittedFiles != 1 || !slices.Equal(info.Omitted, []string{"b-big.bin"}) {
		t.Errorf("build.json: %+v", info)
	}
}

func mapsUnion(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
