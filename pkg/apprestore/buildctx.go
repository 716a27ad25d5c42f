package apprestore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// defWrite is one file --definition-target writes: a regular file with
// the node's content, or a symbolic link.
type defWrite struct {
	dest string
	node *format.Node
	perm os.FileMode
}

// buildWrites places the app's saved build contexts (and Dockerfiles)
// below dir/<project>/, at their places relative to the project's working
// directory, where the compose file's build: finds them. A context or
// Dockerfile outside the working directory has no such place: it is left
// in the snapshot, with a warning.
func buildWrites(def *appdef.Definition, dir string) (writes []defWrite, warnings []string) {
	for _, b := range def.Builds {
		where := fmt.Sprintf("compose project %s service %s", b.Project, b.Service)
		saved := fmt.Sprintf("%s/definition/build/%s/%s/", appdef.Dir(def.App), b.Project, b.Service)
		wd := workingDir(def, b.Project)
		ctxRel, ok := below(wd, b.Info.Context)
		if !ok {
			warnings = append(warnings, fmt.Sprintf("%s: build context %s is outside the project's working directory %q: not written (it is in the snapshot at %s)", where, b.Info.Context, wd, saved))
			continue
		}
		base := filepath.Join(dir, b.Project, ctxRel)
		for _, e := range b.Context {
			writes = append(writes, defWrite{dest: filepath.Join(base, filepath.FromSlash(e.Rel)), node: e.Node, perm: e.Node.Mode.Perm()})
		}
		if b.Dockerfile == nil {
			continue
		}
		dfRel, ok := below(wd, b.Info.Dockerfile)
		if !ok {
			warnings = append(warnings, fmt.Sprintf("%s: Dockerfile %s is outside the project's working directory %q: not written (it is in the snapshot at %sDockerfile)", where, b.Info.Dockerfile, wd, saved))
			continue
		}
		writes = append(writes, defWrite{dest: filepath.Join(dir, b.Project, dfRel), node: b.Dockerfile, perm: 0o644})
	}
	return writes, warnings
}

// workingDir is the saved working directory of a compose project (as
// volume.FileName made its name), from its containers' labels.
func workingDir(def *appdef.Definition, project string) string {
	for _, c := range def.Containers {
		if c.Config == nil || c.Config.Labels[appplan.ComposeProject] == "" || volume.FileName(c.Config.Labels[appplan.ComposeProject]) != project {
			continue
		}
		if wd := c.Config.Labels[appplan.ComposeWorkingDir]; wd != "" {
			return wd
		}
	}
	return ""
}

// below is p relative to dir, if p is dir or below it.
func below(dir, p string) (string, bool) {
	if dir == "" || p == "" {
		return "", false
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}
