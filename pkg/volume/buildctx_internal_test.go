package volume

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

func writeTestFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBuildSpecs: build: as a string and as a map, dockerfile_inline, and
// an override file changing one field, as compose merges them.
func TestBuildSpecs(t *testing.T) {
	wd := t.TempDir()
	writeTestFile(t, filepath.Join(wd, "compose.yaml"), `
x-common: &common
  context: ./shared
services:
  short: {build: ./s}
  long:
    build: {context: ./l, dockerfile: build/Dockerfile.prod}
  inline:
    build:
      dockerfile_inline: "FROM scratch\n"
  anchored:
    build: *common
  image-only: {image: busybox}
`)
	writeTestFile(t, filepath.Join(wd, "compose.override.yaml"), "services:\n  long:\n    build: {dockerfile: Dockerfile.dev}\n")
	labels := map[string]string{appplan.ComposeConfigFiles: "compose.yaml,compose.override.yaml", appplan.ComposeWorkingDir: wd}
	specs, warnings := buildSpecs("p", labels)
	want := map[string]buildSpec{
		"short":    {Context: "./s"},
		"long":     {Context: "./l", Dockerfile: "Dockerfile.dev"},
		"inline":   {Inline: "FROM scratch\n"},
		"anchored": {Context: "./shared"},
	}
	if len(warnings) != 0 || len(specs) != len(want) {
		t.Fatalf("specs %+v, warnings %v", specs, warnings)
	}
	for svc, w := range want {
		if specs[svc] != w {
			t.Errorf("%s: %+v, want %+v", svc, specs[svc], w)
		}
	}
}

func definitionPaths(files []DefinitionFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	slices.Sort(out)
	return out
}

// TestSaveBuild: what one service's build saves, on a plain directory.
func TestSaveBuild(t *testing.T) {
	t.Run("Dockerfile.dockerignore wins, Dockerfile outside the context", func(t *testing.T) {
		wd := t.TempDir()
		writeTestFile(t, filepath.Join(wd, "ctx", "a.txt"), "a")
		writeTestFile(t, filepath.Join(wd, "ctx", "b.txt"), "b")
		writeTestFile(t, filepath.Join(wd, "ctx", ".dockerignore"), "a.txt\n")
		writeTestFile(t, filepath.Join(wd, "docker", "web.Dockerfile"), "FROM scratch\n")
		writeTestFile(t, filepath.Join(wd, "docker", "web.Dockerfile.dockerignore"), "b.txt\n.dockerignore\n")
		files, warnings := saveBuild("p", "web", buildSpec{Context: "ctx", Dockerfile: "../docker/web.Dockerfile"}, wd, nil)
		got := definitionPaths(files)
		want := []string{"build/p/web/Dockerfile", "build/p/web/build.json", "build/p/web/context/a.txt"}
		if len(warnings) != 0 || !slices.Equal(got, want) {
			t.Fatalf("files %v, warnings %v; want %v", got, warnings, want)
		}
		var info BuildInfo
		if err := json.Unmarshal(files[slices.IndexFunc(files, func(f DefinitionFile) bool { return strings.HasSuffix(f.Path, "build.json") })].Data, &info); err != nil {
			t.Fatal(err)
		}
		if info.Context != filepath.Join(wd, "ctx") || info.Dockerfile != filepath.Join(wd, "docker", "web.Dockerfile") || info.MaxSize != appplan.DefaultBuildContextMaxSize ||
			info.IgnoreFile != filepath.Join(wd, "docker", "web.Dockerfile.dockerignore") {
			t.Errorf("build.json: %+v", info)
		}
	})
	t.Run("inline Dockerfile", func(t *testing.T) {
		wd := t.TempDir()
		writeTestFile(t, filepath.Join(wd, "f"), "f")
		files, warnings := saveBuild("p", "web", buildSpec{Inline: "FROM scratch\n"}, wd, nil)
		if got := definitionPaths(files); len(warnings) != 0 || !slices.Equal(got, []string{"build/p/web/build.json", "build/p/web/context/f"}) {
			t.Errorf("files %v, warnings %v", got, warnings)
		}
	})
	t.Run("unreadable .dockerignore saves no context", func(t *testing.T) {
		wd := t.TempDir()
		writeTestFile(t, filepath.Join(wd, "secret"), "s")
		if err := os.Mkdir(filepath.Join(wd, ".dockerignore"), 0o755); err != nil { // a directory cannot be read as a file
			t.Fatal(err)
		}
		files, warnings := saveBuild("p", "web", buildSpec{Inline: "FROM scratch\n"}, wd, nil)
		if len(files) != 0 || len(warnings) != 1 || !strings.Contains(warnings[0], "service web") {
			t.Errorf("files %v, warnings %v", definitionPaths(files), warnings)
		}
	})
	t.Run("remote context", func(t *testing.T) {
		files, warnings := saveBuild("p", "web", buildSpec{Context: "https://github.com/example/app.git#main"}, t.TempDir(), nil)
		if len(files) != 0 || len(warnings) != 0 {
			t.Errorf("files %v, warnings %v", definitionPaths(files), warnings)
		}
	})
	t.Run("variables", func(t *testing.T) {
		_, warnings := saveBuild("p", "web", buildSpec{Context: "${SRC}"}, t.TempDir(), nil)
		if len(warnings) != 1 || !strings.Contains(warnings[0], "variables") {
			t.Errorf("warnings %v", warnings)
		}
	})
	t.Run("missing context", func(t *testing.T) {
		_, warnings := saveBuild("p", "web", buildSpec{Context: "gone"}, t.TempDir(), nil)
		if len(warnings) != 1 || !strings.Contains(warnings[0], "service web") {
			t.Errorf("warnings %v", warnings)
		}
	})
}
