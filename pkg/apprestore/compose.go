package apprestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

// WriteCompose writes the app's compose files (and .env) and its
// services' build contexts into dir, one directory per compose project,
// keeping their places relative to the project's working directory, so
// that `docker compose build` and `up` work there. No file is
// overwritten: if one exists, nothing is written. It returns the files
// written, and warnings for the build files it has no place for.
func WriteCompose(ctx context.Context, r *repo.Repository, def *appdef.Definition, dir string) ([]string, []string, error) {
	writes, warnings, err := composeWrites(def, dir)
	if err != nil {
		return nil, warnings, err
	}
	var written []string
	// Links last: no file is then written through a link just made.
	for _, links := range []bool{false, true} {
		for _, w := range writes {
			if (w.node.Type == format.NodeSymlink) != links {
				continue
			}
			if err := writeNew(ctx, r, w); err != nil {
				return written, warnings, fmt.Errorf("--definition-target: %w", err)
			}
			written = append(written, w.dest)
		}
	}
	return written, warnings, nil
}

// composeWrites plans what WriteCompose writes, refusing a destination
// that exists.
func composeWrites(def *appdef.Definition, dir string) ([]defWrite, []string, error) {
	if len(def.Compose) == 0 {
		return nil, nil, fmt.Errorf("--definition-target: snapshot %s holds no compose files of app %s (its containers were not started by docker compose, or the files could not be read at backup time)", def.Snapshot.ID.Str(), def.App)
	}
	var writes []defWrite
	for _, f := range def.Compose {
		// 0600: a compose project's .env often holds passwords.
		writes = append(writes, defWrite{dest: filepath.Join(dir, f.Project, composeRel(def, f)), node: f.Node, perm: 0o600})
	}
	builds, warnings := buildWrites(def, dir)
	writes = uniqueDests(append(writes, builds...))
	for _, w := range writes {
		if _, err := os.Lstat(w.dest); err == nil {
			return writes, warnings, fmt.Errorf("--definition-target: %s exists: not overwritten, nothing written", w.dest)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return writes, warnings, fmt.Errorf("--definition-target: %w", err)
		}
	}
	return writes, warnings, nil
}

// uniqueDests keeps the first write of each destination: a context of
// "." holds the compose files and often the Dockerfile too.
func uniqueDests(writes []defWrite) []defWrite {
	seen := map[string]bool{}
	out := writes[:0]
	for _, w := range writes {
		if !seen[w.dest] {
			seen[w.dest] = true
			out = append(out, w)
		}
	}
	return out
}

// composeRel is where f goes below its project's directory: its path
// relative to the project's working directory, else its base name.
func composeRel(def *appdef.Definition, f appdef.ComposeFile) string {
	if rel, ok := below(workingDir(def, f.Project), f.HostPath); ok {
		return rel
	}
	return filepath.Base(f.HostPath)
}

func writeNew(ctx context.Context, r *repo.Repository, w defWrite) (err error) {
	if err := os.MkdirAll(filepath.Dir(w.dest), 0o755); err != nil {
		return err
	}
	if w.node.Type == format.NodeSymlink {
		return os.Symlink(w.node.LinkTarget, w.dest)
	}
	out, err := os.OpenFile(w.dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, w.perm)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(w.dest)
		}
	}()
	return snaptree.WriteContent(ctx, r, w.node, out)
}
