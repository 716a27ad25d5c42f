package apprestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/snaptree"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// WriteCompose writes the app's compose files (and .env) into dir, one
// directory per compose project, keeping their places relative to the
// project's working directory, so that `docker compose up` works there.
// No file is overwritten: if one exists, nothing is written.
func WriteCompose(ctx context.Context, r *repo.Repository, def *appdef.Definition, dir string) ([]string, error) {
	if len(def.Compose) == 0 {
		return nil, fmt.Errorf("--definition-target: snapshot %s holds no compose files of app %s (its containers were not started by docker compose, or the files could not be read at backup time)", def.Snapshot.ID.Str(), def.App)
	}
	dests := make([]string, len(def.Compose))
	for i, f := range def.Compose {
		dests[i] = filepath.Join(dir, f.Project, composeRel(def, f))
		if _, err := os.Lstat(dests[i]); err == nil {
			return nil, fmt.Errorf("--definition-target: %s exists: not overwritten, nothing written", dests[i])
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--definition-target: %w", err)
		}
	}
	var written []string
	for i, f := range def.Compose {
		if err := writeNew(ctx, r, f, dests[i]); err != nil {
			return written, fmt.Errorf("--definition-target: %w", err)
		}
		written = append(written, dests[i])
	}
	return written, nil
}

// composeRel is where f goes below its project's directory: its path
// relative to the project's working directory, else its base name.
func composeRel(def *appdef.Definition, f appdef.ComposeFile) string {
	for _, c := range def.Containers {
		if c.Config == nil || c.Config.Labels[volume.ComposeProject] == "" || volume.FileName(c.Config.Labels[volume.ComposeProject]) != f.Project {
			continue
		}
		wd := c.Config.Labels[volume.ComposeWorkingDir]
		if rel, err := filepath.Rel(wd, f.HostPath); wd != "" && err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return filepath.Base(f.HostPath)
}

func writeNew(ctx context.Context, r *repo.Repository, f appdef.ComposeFile, dest string) (err error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	// 0600: a compose project's .env often holds passwords.
	out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dest)
		}
	}()
	return snaptree.WriteContent(ctx, r, f.Node, out)
}
