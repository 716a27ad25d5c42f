package appdef

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snaptree"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// BuildContext is a compose service's saved build (definition/build/<project>/<service>/).
type BuildContext struct {
	Project, Service string // as volume.FileName made them
	Info             volume.BuildInfo
	Dockerfile       *format.Node // nil for dockerfile_inline
	// Context holds the saved context's regular files and symbolic links,
	// Rel slash-separated below the context directory.
	Context []BuildEntry
}

// BuildEntry is one file or symbolic link of a saved build context.
type BuildEntry struct {
	Rel  string
	Node *format.Node
}

// loadBuilds reads the app's saved builds; a snapshot without any has
// none.
func loadBuilds(ctx context.Context, r *repo.Repository, sn repo.Snapshot, app string) ([]BuildContext, error) {
	root, err := snaptree.LookupDir(ctx, r, *sn.Tree, path.Join(Dir(app), "definition", "build"))
	if errors.Is(err, snaptree.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var builds []BuildContext
	projects, err := subdirs(ctx, r, root)
	if err != nil {
		return nil, err
	}
	for _, p := range projects {
		services, err := subdirs(ctx, r, p)
		if err != nil {
			return nil, err
		}
		for _, s := range services {
			b, err := loadBuild(ctx, r, p.Name, s)
			if err != nil {
				return nil, fmt.Errorf("definition/build/%s/%s: %w", p.Name, s.Name, err)
			}
			if b.Info.Context != "" { // else not a build drydock saved: nothing to place
				builds = append(builds, b)
			}
		}
	}
	return builds, nil
}

func loadBuild(ctx context.Context, r *repo.Repository, project string, dir *format.Node) (BuildContext, error) {
	b := BuildContext{Project: project, Service: dir.Name}
	t, err := r.LoadTree(ctx, *dir.Subtree)
	if err != nil {
		return b, err
	}
	for _, n := range t.Nodes {
		switch {
		case n.Name == "build.json" && n.Type == format.NodeFile:
			data, err := snaptree.ReadFile(ctx, r, n, maxDefinitionFile)
			if err != nil {
				return b, err
			}
			if err := json.Unmarshal(data, &b.Info); err != nil {
				return b, fmt.Errorf("build.json: %w", err)
			}
		case n.Name == "Dockerfile" && n.Type == format.NodeFile:
			b.Dockerfile = n
		case n.Name == "context" && n.Type == format.NodeDir && n.Subtree != nil:
			if err := walkEntries(ctx, r, n, "", &b.Context); err != nil {
				return b, err
			}
		}
	}
	return b, nil
}

// walkEntries appends the regular files and symbolic links below dir,
// depth first in tree order.
func walkEntries(ctx context.Context, r *repo.Repository, dir *format.Node, prefix string, out *[]BuildEntry) error {
	t, err := r.LoadTree(ctx, *dir.Subtree)
	if err != nil {
		return fmt.Errorf("context/%s: %w", prefix, err)
	}
	for _, n := range t.Nodes {
		if n.Name == "" || n.Name == "." || n.Name == ".." || strings.Contains(n.Name, "/") {
			return fmt.Errorf("context/%s: invalid name %q", prefix, n.Name)
		}
		rel := path.Join(prefix, n.Name)
		switch {
		case n.Type == format.NodeFile || n.Type == format.NodeSymlink:
			*out = append(*out, BuildEntry{Rel: rel, Node: n})
		case n.Type == format.NodeDir && n.Subtree != nil:
			if err := walkEntries(ctx, r, n, rel, out); err != nil {
				return err
			}
		}
	}
	return nil
}

func subdirs(ctx context.Context, r *repo.Repository, dir *format.Node) ([]*format.Node, error) {
	t, err := r.LoadTree(ctx, *dir.Subtree)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(slices.Clone(t.Nodes), func(n *format.Node) bool { return n.Type != format.NodeDir || n.Subtree == nil }), nil
}
