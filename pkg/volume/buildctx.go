package volume

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/dockerignore"
)

// maxOmittedListed bounds the paths build.json lists as left out.
const maxOmittedListed = 1000

// BuildInfo is definition/build/<project>/<service>/build.json: where a
// service's build context was, so that a restore puts it back in place.
type BuildInfo struct {
	Context string `json:"context"` // host path of the context directory
	// Dockerfile is its host path, saved as build/.../Dockerfile; empty
	// for dockerfile_inline (the compose file holds it).
	Dockerfile string `json:"dockerfile,omitempty"`
	IgnoreFile string `json:"ignore_file,omitempty"` // the .dockerignore honoured
	MaxSize    int64  `json:"max_size"`
	// Omitted are the files the cap left out (the first
	// maxOmittedListed of OmittedFiles).
	Omitted      []string `json:"omitted,omitempty"`
	OmittedFiles int      `json:"omitted_files,omitempty"`
	OmittedBytes int64    `json:"omitted_bytes,omitempty"`
}

// buildSpec is a service's build: in a compose file.
type buildSpec struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
	Inline     string `yaml:"dockerfile_inline"`
}

// composeBuilds saves the build contexts of the project's services that
// have containers in the app (services: name -> labels of one of its
// containers), read from the compose files compose recorded.
func composeBuilds(project string, labels map[string]string, services map[string]map[string]string) (files []DefinitionFile, warnings []string) {
	specs, warnings := buildSpecs(project, labels)
	for _, svc := range slices.Sorted(maps.Keys(services)) {
		spec, ok := specs[svc]
		if !ok {
			continue
		}
		f, w := saveBuild(project, svc, spec, projectDir(labels), services[svc])
		files, warnings = append(files, f...), append(warnings, w...)
	}
	return files, warnings
}

// projectDir is what relative paths of the compose files are relative to.
func projectDir(labels map[string]string) string {
	if wd := labels[appplan.ComposeWorkingDir]; wd != "" {
		return wd
	}
	if paths := splitList(labels[appplan.ComposeConfigFiles]); len(paths) > 0 {
		return filepath.Dir(paths[0])
	}
	return ""
}

// buildSpecs reads each service's build: from the project's compose
// files, a later file overriding an earlier one field by field, as
// compose merges them. An unreadable file is composeFiles' warning.
func buildSpecs(project string, labels map[string]string) (map[string]buildSpec, []string) {
	specs := map[string]buildSpec{}
	var warnings []string
	for _, p := range splitList(labels[appplan.ComposeConfigFiles]) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(labels[appplan.ComposeWorkingDir], p)
		}
		data, err := readSmall(p)
		if err != nil {
			continue
		}
		var doc struct {
			Services map[string]struct {
				Build yaml.Node `yaml:"build"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			warnings = append(warnings, fmt.Sprintf("compose project %s: %s: not read for build contexts: %v", project, p, err))
			continue
		}
		for name, svc := range doc.Services {
			var s buildSpec
			switch svc.Build.Kind {
			case 0:
				continue
			case yaml.ScalarNode:
				s.Context = svc.Build.Value
			default:
				if err := svc.Build.Decode(&s); err != nil {
					warnings = append(warnings, fmt.Sprintf("compose project %s: %s: service %s: build: %v", project, p, name, err))
					continue
				}
			}
			specs[name] = merge(specs[name], s)
		}
	}
	return specs, warnings
}

func merge(old, s buildSpec) buildSpec {
	if s.Context != "" {
		old.Context = s.Context
	}
	if s.Dockerfile != "" {
		old.Dockerfile, old.Inline = s.Dockerfile, ""
	}
	if s.Inline != "" {
		old.Inline, old.Dockerfile = s.Inline, ""
	}
	return old
}

// remoteContext: a Git repository or URL, which builds again from there.
func remoteContext(c string) bool {
	return strings.Contains(c, "://") || strings.HasPrefix(c, "git@") || strings.HasPrefix(c, "github.com/")
}

// saveBuild lists the files of one service's build: its Dockerfile, its
// context without what .dockerignore leaves out (symbolic links as links,
// never followed), up to the cap, and build.json.
func saveBuild(project, svc string, spec buildSpec, base string, labels map[string]string) ([]DefinitionFile, []string) {
	where := fmt.Sprintf("compose project %s service %s", project, svc)
	if spec.Context == "" {
		spec.Context = "."
	}
	if remoteContext(spec.Context) {
		return nil, nil
	}
	if strings.Contains(spec.Context+spec.Dockerfile, "$") {
		return nil, []string{fmt.Sprintf("%s: build context %q or dockerfile %q uses variables: not saved (drydock does not interpolate them)", where, spec.Context, spec.Dockerfile)}
	}
	ctxDir := spec.Context
	if !filepath.IsAbs(ctxDir) {
		ctxDir = filepath.Join(base, ctxDir)
	}
	ctxDir, err := filepath.EvalSymlinks(ctxDir)
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: build context not saved: %v", where, err)}
	}
	max, err := appplan.ParseBuildContextMax(labels)
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: build context not saved: %v", where, err)} // the plan refuses it first
	}
	info := BuildInfo{Context: ctxDir, MaxSize: max}
	var warnings []string
	dir := path.Join("build", FileName(project), FileName(svc))
	var files []DefinitionFile
	if spec.Inline == "" {
		info.Dockerfile = spec.Dockerfile
		if info.Dockerfile == "" {
			info.Dockerfile = "Dockerfile"
		}
		if !filepath.IsAbs(info.Dockerfile) {
			info.Dockerfile = filepath.Join(ctxDir, info.Dockerfile)
		}
		data, err := readSmall(info.Dockerfile)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: Dockerfile not saved: %v", where, err))
		} else {
			files = append(files, DefinitionFile{Path: dir + "/Dockerfile", Data: data})
		}
	}
	m, err := ignoreFile(&info)
	if err != nil {
		// Saving everything could save what the file keeps out (secrets).
		return nil, append(warnings, fmt.Sprintf("%s: build context and Dockerfile not saved: %v", where, err))
	}
	ctxFiles, w := walkContext(ctxDir, dir+"/context", m, &info)
	files = append(files, ctxFiles...)
	for _, e := range w {
		warnings = append(warnings, fmt.Sprintf("%s: build context: %v", where, e))
	}
	if info.OmittedFiles > 0 {
		listed := info.Omitted[:min(5, len(info.Omitted))]
		more := ""
		if info.OmittedFiles > len(listed) {
			more = fmt.Sprintf(" and %d more (listed in %s/build.json)", info.OmittedFiles-len(listed), dir)
		}
		warnings = append(warnings, fmt.Sprintf("%s: build context %s is larger than %s=%d bytes: left out %d files (%d bytes): %s%s",
			where, ctxDir, appplan.LabelBuildContextMaxSize, info.MaxSize, info.OmittedFiles, info.OmittedBytes, strings.Join(listed, ", "), more))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(info); err != nil {
		return nil, append(warnings, fmt.Sprintf("%s: %v", where, err))
	}
	return append(files, DefinitionFile{Path: dir + "/build.json", Data: b.Bytes()}), warnings
}

// ignoreFile reads the .dockerignore Docker would honour: the
// Dockerfile's own (Dockerfile.dockerignore beside it), else the
// context's. None is an empty matcher.
func ignoreFile(info *BuildInfo) (*dockerignore.Matcher, error) {
	var cands []string
	if info.Dockerfile != "" {
		cands = append(cands, info.Dockerfile+".dockerignore")
	}
	for _, p := range append(cands, filepath.Join(info.Context, ".dockerignore")) {
		data, err := readSmall(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m, err := dockerignore.Parse(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		info.IgnoreFile = p
		return m, nil
	}
	return dockerignore.Parse(strings.NewReader(""))
}

// walkContext lists the context's regular files (streamed from the host
// at backup time) and symbolic links below dir, in lexical order, leaving
// out what m excludes and, past info.MaxSize bytes, what does not fit.
func walkContext(ctxDir, dir string, m *dockerignore.Matcher, info *BuildInfo) (files []DefinitionFile, errs []error) {
	var total int64
	err := filepath.WalkDir(ctxDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil // a directory that cannot be read is left out
		}
		rel, err := filepath.Rel(ctxDir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if m.Excluded(rel) {
			if d.IsDir() && !m.HasExceptions() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			files = append(files, DefinitionFile{Path: dir + "/" + rel, Link: target})
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			if total+fi.Size() > info.MaxSize {
				info.OmittedFiles++
				info.OmittedBytes += fi.Size()
				if len(info.Omitted) < maxOmittedListed {
					info.Omitted = append(info.Omitted, rel)
				}
				return nil
			}
			total += fi.Size()
			files = append(files, DefinitionFile{Path: dir + "/" + rel, Source: p, Mode: fi.Mode().Perm(), ModTime: fi.ModTime()})
		}
		return nil // directories are implied by their files; Docker sends no other kind
	})
	if err != nil {
		errs = append(errs, err)
	}
	return files, errs
}
