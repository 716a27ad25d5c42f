package archiver

import (
	"context"
	"os"
	"path/filepath"

	"github.com/drydock-backup/drydock/pkg/fsnode"
)

// ScanTotal is what a backup of the targets will read: its regular files
// and their sizes.
type ScanTotal struct {
	Files uint
	Bytes uint64
}

// scanReportEvery is how many entries Scan walks between reports.
const scanReportEvery = 1000

// Scan walks targets as Save would, with opts' exclusions and
// OneFileSystem but reading no file, and counts what the backup will
// read, for a progress total (restic's scanner): run it beside Save.
// report, if set, gets the running totals now and then. Entries that
// cannot be read are skipped: Save reports them.
func Scan(ctx context.Context, targets []string, opts Options, report func(ScanTotal)) (ScanTotal, error) {
	if err := opts.Exclude.Check(); err != nil {
		return ScanTotal{}, err
	}
	opts.Exclude = opts.Exclude.compiled()
	s := &scanner{a: &archiver{opts: opts}, report: report}
	for _, t := range targets {
		n, err := fsnode.FromLstat(t)
		if err != nil || s.a.targetExcluded(t, n) {
			continue
		}
		fi, err := os.Lstat(t)
		if err != nil {
			continue
		}
		if err := s.entry(ctx, t, fi); err != nil {
			return s.total, err
		}
	}
	if report != nil {
		report(s.total)
	}
	return s.total, nil
}

type scanner struct {
	a       *archiver
	report  func(ScanTotal)
	total   ScanTotal
	entries int
}

// entry counts the entry at path and what is below it; fi is its lstat.
func (s *scanner) entry(ctx context.Context, path string, fi os.FileInfo) error {
	if s.entries++; s.entries%scanReportEvery == 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.report != nil {
			s.report(s.total)
		}
	}
	switch {
	case fi.Mode().IsRegular():
		s.total.Files++
		s.total.Bytes += uint64(fi.Size())
	case fi.IsDir():
		return s.dir(ctx, path)
	}
	return nil
}

func (s *scanner) dir(ctx context.Context, dir string) error {
	entries, _ := os.ReadDir(dir)
	markers := s.a.opts.Exclude.markersIn(dir)
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if s.a.excluded(path, e, markers) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if fi.IsDir() && s.a.opts.OneFileSystem && !s.sameDevice(dir, path) {
			continue
		}
		if err := s.entry(ctx, path, fi); err != nil {
			return err
		}
	}
	return nil
}

// sameDevice tells whether the directory at path is on dir's file system
// (--one-file-system); only then does the backup go below it.
func (s *scanner) sameDevice(dir, path string) bool {
	a, errA := fsnode.FromLstat(dir)
	b, errB := fsnode.FromLstat(path)
	return errA == nil && errB == nil && a.DeviceID == b.DeviceID
}
