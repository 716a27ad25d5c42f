package drill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	dvolume "github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/internal/heldfile"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// The drill journal is a directory of held files (internal/heldfile), one
// per running drill: one whose lock can be taken belongs to a drill that
// ended without cleaning up (kill -9, a crash, a power cut).
const journalDir = "drills"

type journal struct {
	path string
	f    *os.File
}

func openJournal(stateDir, id, app string) (*journal, error) {
	dir := filepath.Join(stateDir, journalDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("drill journal: %w", err)
	}
	p := filepath.Join(dir, id+".lock")
	f, err := heldfile.Create(p, fmt.Sprintf("pid %d app %s started %s\n", os.Getpid(), app, time.Now().Format(time.RFC3339)))
	if err != nil {
		return nil, fmt.Errorf("drill journal: %w", err)
	}
	return &journal{path: p, f: f}, nil
}

// done removes the entry: everything the drill made is gone.
func (j *journal) done() {
	os.Remove(j.path)
	j.f.Close()
}

// release keeps the entry for Sweep.
func (j *journal) release() { j.f.Close() }

// remove removes every container and volume labelled with the drill's
// ID, containers first (they hold the volumes), within two minutes.
func remove(ctx context.Context, cli *client.Client, id string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	f := filters.NewArgs(filters.Arg("label", appplan.LabelDrill+"="+id))
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("drill %s cleanup: list containers: %w", id, err)
	}
	var errs []error
	for _, c := range list {
		err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", strings.TrimPrefix(firstName(c.Names), "/"), err))
		}
	}
	vols, err := cli.VolumeList(ctx, dvolume.ListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("drill %s cleanup: list volumes: %w", id, err))...)
	}
	for _, v := range vols.Volumes {
		if err := cli.VolumeRemove(ctx, v.Name, true); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("drill %s cleanup: %w", id, err)
	}
	return nil
}

func firstName(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// Sweep removes what drills that did not end cleanly left behind (their
// journal entries are not locked by a live process), and their entries.
// Call it at startup; it is safe while other drills run. It returns the
// IDs of the drills it cleaned up.
func Sweep(ctx context.Context, cli *client.Client, stateDir string, log *slog.Logger) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(stateDir, journalDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("drill journal: %w", err)
	}
	var swept []string
	var errs []error
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".lock")
		if !ok || strings.HasPrefix(id, heldfile.TempPrefix) {
			continue
		}
		p := filepath.Join(stateDir, journalDir, e.Name())
		f, ok := heldfile.Claim(p)
		if !ok {
			continue // a live drill, or one that removed its entry meanwhile
		}
		log.Info("removing what an interrupted restore drill left", "drill", id)
		if err := remove(ctx, cli, id); err != nil {
			errs = append(errs, err)
			f.Close()
			continue
		}
		os.Remove(p)
		f.Close()
		swept = append(swept, id)
	}
	return swept, errors.Join(errs...)
}
