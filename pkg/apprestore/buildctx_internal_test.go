package apprestore

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// TestBuildWrites: a saved build context goes to its place relative to
// the project's working directory below DIR/<project>/; one outside that
// directory is not written, with a warning.
func TestBuildWrites(t *testing.T) {
	file := func(perm os.FileMode) *format.Node { return &format.Node{Type: format.NodeFile, Mode: perm} }
	def := &appdef.Definition{App: "shop", Containers: []container.InspectResponse{{
		ContainerJSONBase: &container.ContainerJSONBase{Name: "/web"},
		Config:            &container.Config{Labels: map[string]string{appplan.ComposeProject: "proj", appplan.ComposeWorkingDir: "/srv/proj"}},
	}}, Builds: []appdef.BuildContext{
		{Project: "proj", Service: "web", Info: volume.BuildInfo{Context: "/srv/proj/app", Dockerfile: "/srv/proj/docker/web.Dockerfile"},
			Dockerfile: file(0o644), Context: []appdef.BuildEntry{{Rel: "run.sh", Node: file(0o755)}, {Rel: "sub/a.txt", Node: file(0o640)}}},
		{Project: "proj", Service: "api", Info: volume.BuildInfo{Context: "/srv/proj", Dockerfile: "/elsewhere/Dockerfile"},
			Dockerfile: file(0o644), Context: []appdef.BuildEntry{{Rel: "x", Node: file(0o644)}}},
		{Project: "proj", Service: "lib", Info: volume.BuildInfo{Context: "/srv/lib"}, Context: []appdef.BuildEntry{{Rel: "y", Node: file(0o644)}}},
	}}
	writes, warnings := buildWrites(def, "/out")
	got := map[string]uint32{}
	for _, w := range writes {
		got[w.dest] = uint32(w.perm)
	}
	want := map[string]uint32{
		"/out/proj/app/run.sh": 0o755, "/out/proj/app/sub/a.txt": 0o640, "/out/proj/docker/web.Dockerfile": 0o644,
		"/out/proj/x": 0o644,
	}
	if len(got) != len(want) {
		t.Errorf("writes %v, want %v", got, want)
	}
	for dest, perm := range want {
		if p, ok := got[filepath.FromSlash(dest)]; !ok || p != perm {
			t.Errorf("%s: perm %o (written %v), want %o", dest, p, ok, perm)
		}
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "service api") || !strings.Contains(warnings[0], "/elsewhere/Dockerfile") ||
		!strings.Contains(warnings[1], "service lib") || !strings.Contains(warnings[1], "shop/definition/build/proj/lib/") {
		t.Errorf("warnings: %v", warnings)
	}
}

func TestBelow(t *testing.T) {
	for _, tc := range []struct {
		dir, p, rel string
		ok          bool
	}{
		{"/w", "/w", ".", true},
		{"/w", "/w/a/b", "a/b", true},
		{"/w", "/w/../x", "", false},
		{"/w", "/x", "", false},
		{"/w", "/w..x", "../w..x", false},
		{"/w", "/w/..x", "..x", true},
		{"", "/w", "", false},
	} {
		rel, ok := below(tc.dir, tc.p)
		if ok != tc.ok || (ok && rel != filepath.FromSlash(tc.rel)) {
			t.Errorf("below(%q, %q) = %q, %v; want %q, %v", tc.dir, tc.p, rel, ok, tc.rel, tc.ok)
		}
	}
}

// TestUniqueDests: the first write of a destination wins (a compose file
// before the same file in a context of ".").
func TestUniqueDests(t *testing.T) {
	a, b := &format.Node{Name: "a"}, &format.Node{Name: "b"}
	got := uniqueDests([]defWrite{{dest: "/x", node: a}, {dest: "/y", node: a}, {dest: "/x", node: b}})
	if !slices.EqualFunc(got, []defWrite{{dest: "/x", node: a}, {dest: "/y", node: a}}, func(p, q defWrite) bool { return p.dest == q.dest && p.node == q.node }) {
		t.Errorf("%+v", got)
	}
}
