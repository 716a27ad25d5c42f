package volume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/internal/errjoin"

	"github.com/drydock-backup/drydock/internal/fsutil"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// JournalFile is the name of the stop journal: beside the host lock in
// HostLockVolume once LockHost was called, else in Options.StateDir (where
// drydock kept it before the host lock moved to the Docker engine).
const JournalFile = "volume-stopped.json"

// journal records the containers drydock is about to stop, per app. It is
// written before the first stop and cleared after every one of them was
// started again, so a drydock killed in between finds it at its next start
// (Recover) and starts what it left stopped.
type journal struct {
	Version int                     `json:"version"`
	Apps    map[string]journalEntry `json:"apps"`
}

type journalEntry struct {
	Since time.Time `json:"since"`
	PID   int       `json:"pid"`
	// Containers in stop order; they are started in reverse.
	Containers []appplan.ContainerRef `json:"containers"`
	// Stops holds when drydock asked Docker to stop each container, by
	// ID, written before the request. Docker carries a stop through even
	// when drydock gives up on it or dies: a container that ignores its
	// stop signal still runs then, and is killed at its stop timeout.
	// Recover waits that long before it decides the container runs.
	Stops map[string]time.Time `json:"stops,omitempty"`
	// Pauses holds when drydock asked Docker to pause each container
	// (drydock.stop=pause), by ID: Recover unpauses these.
	Pauses map[string]time.Time `json:"pauses,omitempty"`
	// Replicas holds, by Swarm service ID, the replica count of a service
	// drydock is about to scale to 0, written before the update: Recover
	// scales it back.
	Replicas map[string]uint64 `json:"replicas,omitempty"`
}

// journalDir is where the journal lives: beside the host lock once it is
// taken, else the state directory.
func (m *Manager) journalDir() string {
	if d := m.hostJournal.Load(); d != nil {
		return *d
	}
	return m.opts.StateDir
}

// JournalPath is the stop journal's file: beside the host lock once
// LockHost was called, else in Options.StateDir.
func (m *Manager) JournalPath() string { return filepath.Join(m.journalDir(), JournalFile) }

func (m *Manager) readJournal() (journal, error) {
	if m.journalDir() == "" {
		return journal{Version: 1, Apps: map[string]journalEntry{}}, ErrNoStateDir
	}
	return readJournalFile(m.JournalPath())
}

// readJournalFile reads the journal at path; none is an empty one.
func readJournalFile(path string) (journal, error) {
	j := journal{Version: 1, Apps: map[string]journalEntry{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return j, fmt.Errorf("read stop journal: %w", err)
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return j, fmt.Errorf("read stop journal %s: %w", path, err)
	}
	if j.Apps == nil {
		j.Apps = map[string]journalEntry{}
	}
	return j, nil
}

// journalAdd records that app's containers are about to be stopped.
func (m *Manager) journalAdd(app string, refs []appplan.ContainerRef) error {
	m.journal.Lock()
	defer m.journal.Unlock()
	j, err := m.readJournal()
	if err != nil {
		return err
	}
	// Keep what an earlier, unrecovered run left: those must still be
	// started one day.
	prev := j.Apps[app].Containers
	for _, r := range refs {
		if !slices.ContainsFunc(prev, func(p appplan.ContainerRef) bool { return p.ID == r.ID }) {
			prev = append(prev, r)
		}
	}
	old := j.Apps[app]
	j.Apps[app] = journalEntry{Since: time.Now().UTC(), PID: os.Getpid(), Containers: prev, Stops: old.Stops,
		Pauses: old.Pauses, Replicas: old.Replicas}
	return m.writeJournal(j)
}

// journalStopping records, before the request, that drydock asks Docker to
// stop container id of app now.
func (m *Manager) journalStopping(app, id string, at time.Time) error {
	m.journal.Lock()
	defer m.journal.Unlock()
	j, err := m.readJournal()
	if err != nil {
		return err
	}
	e, ok := j.Apps[app]
	if !ok {
		return fmt.Errorf("stop journal has no entry for app %s", app)
	}
	if e.Stops == nil {
		e.Stops = map[string]time.Time{}
	}
	e.Stops[id] = at.UTC()
	j.Apps[app] = e
	return m.writeJournal(j)
}

// journalPausing records, before the request, that drydock asks Docker to
// pause container id of app now.
func (m *Manager) journalPausing(app, id string, at time.Time) error {
	return m.journalUpdate(app, func(e *journalEntry) {
		if e.Pauses == nil {
			e.Pauses = map[string]time.Time{}
		}
		e.Pauses[id] = at.UTC()
	})
}

// journalScaling records, before the update, that drydock scales Swarm
// service id of app from n replicas to 0.
func (m *Manager) journalScaling(app, id string, n uint64) error {
	return m.journalUpdate(app, func(e *journalEntry) {
		if e.Replicas == nil {
			e.Replicas = map[string]uint64{}
		}
		if e.Replicas[id] == 0 { // keep what an unrecovered run recorded
			e.Replicas[id] = n
		}
	})
}

func (m *Manager) journalUpdate(app string, fn func(*journalEntry)) error {
	m.journal.Lock()
	defer m.journal.Unlock()
	j, err := m.readJournal()
	if err != nil {
		return err
	}
	e, ok := j.Apps[app]
	if !ok {
		return fmt.Errorf("stop journal has no entry for app %s", app)
	}
	fn(&e)
	j.Apps[app] = e
	return m.writeJournal(j)
}

// journalRemove drops app from the journal once all its containers run.
func (m *Manager) journalRemove(app string) error {
	m.journal.Lock()
	defer m.journal.Unlock()
	j, err := m.readJournal()
	if err != nil {
		return err
	}
	if _, ok := j.Apps[app]; !ok {
		return nil
	}
	delete(j.Apps, app)
	return m.writeJournal(j)
}

func (m *Manager) writeJournal(j journal) error {
	dir := m.journalDir()
	if len(j.Apps) == 0 {
		err := os.Remove(filepath.Join(dir, JournalFile))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clear stop journal: %w", err)
		}
		if err := fsutil.SyncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clear stop journal: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("encode stop journal: %w", err)
	}
	if err := fsutil.WriteFileAtomic(dir, JournalFile, b); err != nil {
		return fmt.Errorf("write stop journal: %w", err)
	}
	return nil
}

// Recover starts the containers a previous drydock stopped and did not
// start again (it was killed, or the restart failed), as recorded in the
// journal, and clears the entries of apps that run again: it starts
// stopped containers, unpauses paused ones, and scales Swarm services
// back to their recorded replica count. Call it at startup, before any
// backup. It returns the containers it started or unpaused, and for each
// service it scaled back a ContainerRef with only the service set (Name
// is the service's name).
//
// Recover runs on a context that the caller's cancellation does not cut
// short, bounded by Options.RestartTimeout per app: it is cleanup that must
// happen.
func (m *Manager) Recover(ctx context.Context) ([]appplan.ContainerRef, error) {
	j, err := m.readJournal()
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	var started []appplan.ContainerRef
	var errs []error
	for _, app := range slices.Sorted(maps.Keys(j.Apps)) {
		e := j.Apps[app]
		m.log.Info("recovering containers stopped by an earlier run", "app", app, "since", e.Since, "pid", e.PID)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.opts.RestartTimeout)
		var appErrs []error
		scaled := map[string]bool{}
		for _, ref := range slices.Backward(e.Containers) {
			if _, ok := e.Pauses[ref.ID]; ok {
				did, err := m.thawRef(rctx, ref)
				if err != nil {
					appErrs = append(appErrs, err)
				} else if did {
					started = append(started, ref)
				}
				continue
			}
			if svc := ref.SwarmService; svc != "" {
				// Never started itself: its service is scaled back, once.
				if n := e.Replicas[svc]; n > 0 && !scaled[svc] {
					scaled[svc] = true
					if err := m.scaleUp(rctx, svc, ref.SwarmServiceName, n); err != nil {
						appErrs = append(appErrs, err)
						continue
					}
					started = append(started, appplan.ContainerRef{Name: ref.SwarmServiceName, SwarmService: svc, SwarmServiceName: ref.SwarmServiceName})
				}
				continue
			}
			if at, ok := e.Stops[ref.ID]; ok {
				// The stop may still be under way at Docker: starting
				// now would find the container running, and Docker
				// would kill it after we cleared the journal.
				if k, _ := m.awaitStop(rctx, ref, at); k != nil {
					m.log.Warn(k.String(), "app", app)
				}
			}
			did, err := m.startRef(rctx, ref, true)
			if errors.Is(err, ErrGone) {
				// Removed since, and nothing took its place: there is
				// nothing to start, and keeping the entry would fail every
				// later run on this engine for it.
				m.log.Warn("a container an earlier run stopped was removed since: nothing to start", "app", app, "container", ref.Name, "id", shortID(ref.ID))
				continue
			}
			if err != nil {
				appErrs = append(appErrs, err)
				continue
			}
			if did {
				started = append(started, ref)
			}
		}
		cancel()
		if len(appErrs) == 0 {
			appErrs = append(appErrs, m.journalRemove(app))
		}
		if err := errjoin.Join(appErrs...); err != nil {
			errs = append(errs, fmt.Errorf("recover app %s: %w", app, err))
		}
	}
	return started, errjoin.Join(errs...)
}

// Pending returns the apps the journal says have stopped containers.
func (m *Manager) Pending() (map[string][]appplan.ContainerRef, error) {
	j, err := m.readJournal()
	if err != nil {
		return nil, err
	}
	out := map[string][]appplan.ContainerRef{}
	for app, e := range j.Apps {
		out[app] = e.Containers
	}
	return out, nil
}
