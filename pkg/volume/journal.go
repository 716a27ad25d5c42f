package volume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// JournalFile is the name of the stop journal inside Options.StateDir.
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
	Containers []ContainerRef `json:"containers"`
	// Stops holds when drydock asked Docker to stop each container, by
	// ID, written before the request. Docker carries a stop through even
	// when drydock gives up on it or dies: a container that ignores its
	// stop signal still runs then, and is killed at its stop timeout.
	// Recover waits that long before it decides the container runs.
	Stops map[string]time.Time `json:"stops,omitempty"`
}

func (m *Manager) journalPath() string { return filepath.Join(m.opts.StateDir, JournalFile) }

func (m *Manager) readJournal() (journal, error) {
	j := journal{Version: 1, Apps: map[string]journalEntry{}}
	if m.opts.StateDir == "" {
		return j, ErrNoStateDir
	}
	b, err := os.ReadFile(m.journalPath())
	if errors.Is(err, fs.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return j, fmt.Errorf("read stop journal: %w", err)
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return j, fmt.Errorf("read stop journal %s: %w", m.journalPath(), err)
	}
	if j.Apps == nil {
		j.Apps = map[string]journalEntry{}
	}
	return j, nil
}

// journalAdd records that app's containers are about to be stopped.
func (m *Manager) journalAdd(app string, refs []ContainerRef) error {
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
		if !slices.ContainsFunc(prev, func(p ContainerRef) bool { return p.ID == r.ID }) {
			prev = append(prev, r)
		}
	}
	j.Apps[app] = journalEntry{Since: time.Now().UTC(), PID: os.Getpid(), Containers: prev, Stops: j.Apps[app].Stops}
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
	if len(j.Apps) == 0 {
		err := os.Remove(m.journalPath())
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clear stop journal: %w", err)
		}
		return syncDir(m.opts.StateDir)
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("encode stop journal: %w", err)
	}
	if err := writeFileAtomic(m.opts.StateDir, JournalFile, b); err != nil {
		return fmt.Errorf("write stop journal: %w", err)
	}
	return nil
}

// writeFileAtomic replaces dir/name with data so that a crash leaves either
// the old or the new content: write a temp file, fsync it, rename it over
// the target, and fsync the directory so the rename itself is durable.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Recover starts the containers a previous drydock stopped and did not
// start again (it was killed, or the restart failed), as recorded in the
// journal, and clears the entries of apps that run again. Call it at
// startup, before any backup. It returns the containers it started.
//
// Recover runs on a context that the caller's cancellation does not cut
// short, bounded by Options.RestartTimeout per app: it is cleanup that must
// happen.
func (m *Manager) Recover(ctx context.Context) ([]ContainerRef, error) {
	j, err := m.readJournal()
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	var started []ContainerRef
	var errs []error
	for _, app := range sortedKeys(j.Apps) {
		e := j.Apps[app]
		m.log.Info("recovering containers stopped by an earlier run", "app", app, "since", e.Since, "pid", e.PID)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.opts.RestartTimeout)
		var appErrs []error
		for _, ref := range slices.Backward(e.Containers) {
			if at, ok := e.Stops[ref.ID]; ok {
				// The stop may still be under way at Docker: starting
				// now would find the container running, and Docker
				// would kill it after we cleared the journal.
				if k, _ := m.awaitStop(rctx, ref, at); k != nil {
					m.log.Warn(k.String(), "app", app)
				}
			}
			did, err := m.startRef(rctx, ref, true)
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
		if err := joinErrs(appErrs); err != nil {
			errs = append(errs, fmt.Errorf("recover app %s: %w", app, err))
		}
	}
	return started, joinErrs(errs)
}

// Pending returns the apps the journal says have stopped containers.
func (m *Manager) Pending() (map[string][]ContainerRef, error) {
	j, err := m.readJournal()
	if err != nil {
		return nil, err
	}
	out := map[string][]ContainerRef{}
	for app, e := range j.Apps {
		out[app] = e.Containers
	}
	return out, nil
}
