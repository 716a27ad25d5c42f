package orchestrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// unchangedFile, in the state directory, keeps when each skip_if_unchanged
// job last found nothing changed. Such a run writes no snapshot, so the
// newest snapshot, from which a restarted daemon takes a job's last
// success (seedLastSuccess), may be much older than the last success:
// without this file a daily job would be unhealthy for up to a day after
// every restart.
const unchangedFile = "unchanged.json"

// noteUnchanged records that job found nothing changed at t. A failure is
// only logged: it costs a restart's seeding precision, not the backup.
func (d *Daemon) noteUnchanged(stateDir, job string, t time.Time) {
	d.unchangedMu.Lock()
	defer d.unchangedMu.Unlock()
	times, err := readUnchanged(stateDir)
	if err != nil {
		d.log.Warn("replacing an unreadable record of unchanged runs", "err", err)
		times = map[string]time.Time{}
	}
	times[job] = t.UTC()
	if err := writeUnchanged(stateDir, times); err != nil {
		d.log.Warn("cannot record an unchanged run; after a restart the job's last success may look older", "job", job, "err", err)
	}
}

// readUnchanged returns the recorded times; none if the file is missing.
func readUnchanged(stateDir string) (map[string]time.Time, error) {
	times := map[string]time.Time{}
	raw, err := os.ReadFile(filepath.Join(stateDir, unchangedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return times, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &times); err != nil {
		return nil, fmt.Errorf("%s: %w", unchangedFile, err)
	}
	return times, nil
}

// writeUnchanged replaces the file whole (temporary file, then rename).
// It is not synced: a crash may leave it empty, which costs what the file
// is for once (the next unchanged run writes it again), and an fsync would
// add milliseconds to every such run.
func writeUnchanged(stateDir string, times map[string]time.Time) error {
	raw, err := json.MarshalIndent(times, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(stateDir, unchangedFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(raw, '\n'))
	if err = errors.Join(err, tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(stateDir, unchangedFile))
}
