package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/pkg/archiver"
)

func TestBackupStatusText(t *testing.T) {
	stats := archiver.Stats{FilesProcessed: 3, BytesProcessed: 10 << 20}
	scanning := backupScan{ScanTotal: archiver.ScanTotal{Files: 9, Bytes: 30 << 20}}
	scanned := scanning
	scanned.done = true
	long := "/data/" + strings.Repeat("d", 50) + "/file.iso"
	for _, tc := range []struct {
		s    backupStatus
		want string
	}{
		{backupStatus{stats: stats}, "3 files, 10.0 MiB, 5.0 MiB/s"},
		{backupStatus{stats: stats, scan: scanning}, "3 of ~9 files, 10.0 MiB of ~30.0 MiB, 5.0 MiB/s"},
		{backupStatus{stats: stats, scan: scanned}, "3 of 9 files, 10.0 MiB of 30.0 MiB, 5.0 MiB/s, ETA 4s"},
		{backupStatus{stats: archiver.Stats{FilesProcessed: 3, BytesProcessed: 10 << 20, Errors: 2}, scan: scanned, reading: []string{"/a", long}},
			"3 of 9 files, 10.0 MiB of 30.0 MiB, 5.0 MiB/s, ETA 4s, 2 errors, reading …" + long[len(long)-39:] + " (+1)"},
		{backupStatus{stats: archiver.Stats{Errors: 1}, scan: backupScan{done: true}, reading: []string{"/a\nb"}},
			`0 files, 0 B, 0 B/s, 1 error, reading "/a\nb"`},
	} {
		if got := backupStatusText(tc.s, 2*time.Second); got != tc.want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.s, got, tc.want)
		}
	}
}

// TestBackupStatusLine: on a terminal the scan of the targets gives the
// line its total and ETA; the files being read are those started and not
// finished, the newest shown; -q and a pipe get no line and no scan.
func TestBackupStatusLine(t *testing.T) {
	src := t.TempDir()
	for _, name := range []string{"a", "b", "skip.tmp"} {
		must(t, os.WriteFile(filepath.Join(src, name), make([]byte, 1<<20), 0o644))
	}
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		p := newProgress(&termWriter{f: &out}, false)
		update, read := p.watch(t.Context(), []string{src}, archiver.Options{Exclude: archiver.Exclusions{Patterns: []string{"*.tmp"}}})
		read("/x/a", true)
		read("/x/b", true)
		read("/x/c", true)
		read("/x/c", false)
		update(archiver.Stats{FilesProcessed: 1, BytesProcessed: 1 << 20})
		time.Sleep(time.Second + time.Millisecond)
		p.finish()
		parts := strings.Split(out.String(), "\r\033[K")
		if got := parts[len(parts)-2]; got != "[1s] 1 of 2 files, 1.0 MiB of 2.0 MiB, 1.0 MiB/s, ETA 1s, reading /x/b (+1)" {
			t.Errorf("last line %q", got)
		}
	})
	var out strings.Builder
	for name, p := range map[string]*progress{"quiet": newProgress(&termWriter{f: &out}, true), "pipe": newProgress(&out, false)} {
		if update, read := p.watch(t.Context(), []string{src}, archiver.Options{}); p != nil || update != nil || read != nil {
			t.Errorf("%s: a status line", name)
		}
		p.finish()
	}
}
