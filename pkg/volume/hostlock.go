package volume

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	dvolume "github.com/docker/docker/api/types/volume"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// HostLockVolume is the Docker volume whose directory holds the host lock
// and the stop journal. It keys both on the Docker engine, the one thing
// every drydock that stops its containers shares, whatever its state
// directory: the host CLI, a `docker exec` in the agent, the agent
// container and a systemd daemon. Discovery never lists it.
const HostLockVolume = "drydock-hostlock"

// HostLockFile is the file flocked inside HostLockVolume.
const HostLockFile = "volumes.lock"

// LockHost takes the host lock: one drydock at a time stops and starts
// containers of this Docker engine. It waits up to wait for the holder
// to finish, then fails naming it. It creates HostLockVolume on first
// use, and from then on the Manager keeps its stop journal there; a
// journal an older drydock left in Options.StateDir is moved beside the
// lock first, its entries merged, so that no stopped container is
// forgotten. The kernel releases the lock when the process dies.
func (m *Manager) LockHost(ctx context.Context, wait time.Duration) (unlock func(), err error) {
	dir, err := m.hostDir(ctx, true)
	if err != nil {
		return nil, err
	}
	unlock, err = lockFile(ctx, filepath.Join(dir, HostLockFile), holderInfo(m.opts.StateDir), wait, m.log)
	if err != nil {
		return nil, err
	}
	if err := m.adoptJournal(dir); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// hostDir returns the directory of HostLockVolume, creating the volume
// when create is set; "" without error when it does not exist and create
// is not set.
func (m *Manager) hostDir(ctx context.Context, create bool) (string, error) {
	var v dvolume.Volume
	var err error
	if create {
		// Idempotent: Docker returns the volume if it exists.
		v, err = m.host.VolumeCreate(ctx, dvolume.CreateOptions{Name: HostLockVolume, Driver: "local",
			Labels: map[string]string{appplan.LabelHostLock: "true"}})
	} else {
		v, err = m.host.VolumeInspect(ctx, HostLockVolume)
		if cerrdefs.IsNotFound(err) {
			return "", nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("host lock volume %s (is the Docker daemon reachable?): %w", HostLockVolume, err)
	}
	if v.Mountpoint == "" {
		return "", fmt.Errorf("host lock volume %s has no mountpoint (driver %s): drydock needs a local volume", HostLockVolume, v.Driver)
	}
	if _, err := os.Stat(v.Mountpoint); err != nil {
		return "", fmt.Errorf("host lock volume %s: its directory %s, as Docker reports it, is not reachable here: "+
			"run drydock where the Docker engine's volumes are at the paths the engine reports "+
			"(in a container: -v /var/lib/docker/volumes:/var/lib/docker/volumes): %w", HostLockVolume, v.Mountpoint, err)
	}
	return v.Mountpoint, nil
}

// holderInfo says who holds the lock, for the message of whoever waits:
// the PID alone means nothing in another container's PID namespace.
func holderInfo(stateDir string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("pid %d on host %s (state directory %s) since %s", os.Getpid(), host, stateDir, time.Now().UTC().Format(time.RFC3339))
}

// adoptJournal makes dir the home of the stop journal, after merging into
// it a journal left in the state directory. The old file is removed only
// once the merged one is on disk.
func (m *Manager) adoptJournal(dir string) error {
	m.journal.Lock()
	defer m.journal.Unlock()
	old := m.opts.StateDir != "" && m.journalDir() != dir
	var legacy journal
	if old {
		var err error
		if legacy, err = readJournalFile(filepath.Join(m.opts.StateDir, JournalFile)); err != nil {
			return err
		}
	}
	m.hostJournal.Store(&dir)
	if len(legacy.Apps) == 0 {
		return nil
	}
	j, err := m.readJournal()
	if err != nil {
		return err
	}
	for app, e := range legacy.Apps {
		j.Apps[app] = mergeEntries(j.Apps[app], e)
	}
	if err := m.writeJournal(j); err != nil {
		return err
	}
	m.log.Info("moved the stop journal beside the host lock", "from", m.opts.StateDir, "to", dir)
	if err := os.Remove(filepath.Join(m.opts.StateDir, JournalFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the stop journal moved to %s: %w", dir, err)
	}
	return nil
}

// mergeEntries joins what two journals recorded for one app: every
// container of either is started again.
func mergeEntries(a, b journalEntry) journalEntry {
	if a.Containers == nil {
		return b
	}
	out := a
	for _, r := range b.Containers {
		if !containsRef(out.Containers, r) {
			out.Containers = append(out.Containers, r)
		}
	}
	out.Stops = mergeMap(out.Stops, b.Stops)
	out.Pauses = mergeMap(out.Pauses, b.Pauses)
	out.Replicas = mergeMap(out.Replicas, b.Replicas)
	return out
}

func containsRef(refs []appplan.ContainerRef, r appplan.ContainerRef) bool {
	for _, p := range refs {
		if p.ID == r.ID {
			return true
		}
	}
	return false
}

// mergeMap adds b's keys a lacks.
func mergeMap[V any](a, b map[string]V) map[string]V {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = map[string]V{}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			a[k] = v
		}
	}
	return a
}

// JournalPending tells whether a stop journal lists containers that an
// earlier drydock stopped and did not start: the one beside the host
// lock, or one left in stateDir. It does not create the host lock volume.
func (m *Manager) JournalPending(ctx context.Context) (bool, error) {
	if m.opts.StateDir != "" {
		if _, err := os.Stat(filepath.Join(m.opts.StateDir, JournalFile)); err == nil {
			return true, nil
		}
	}
	dir, err := m.hostDir(ctx, false)
	if err != nil || dir == "" {
		return false, err
	}
	_, err = os.Stat(filepath.Join(dir, JournalFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
