package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// restoreOutput prints what restore does in restic 0.19.1's words: the
// snapshot and target, each entry with -vv, the summary, and --verify's
// lines; with --json, its verbose_status and summary messages.
type restoreOutput struct {
	g        *globalOptions
	began    time.Time
	verifyAt time.Time
	printed  bool // the summary
}

func newRestoreOutput(g *globalOptions) *restoreOutput {
	return &restoreOutput{g: g, began: time.Now()}
}

func (o *restoreOutput) text() bool { return !o.g.quiet && !o.g.json }

func (o *restoreOutput) start(sn repo.Snapshot, target string) {
	if o.text() {
		fmt.Fprintf(o.g.stdout, "restoring snapshot %s of %v at %s by %s@%s to %s\n",
			sn.ID.Str(), sn.Paths, sn.Time, sn.Username, sn.Hostname, target)
	}
}

// item prints one entry restored, updated, unchanged or deleted, with
// -vv as restic does. Restore calls it one entry at a time.
func (o *restoreOutput) item(it restorer.Item) {
	if o.g.verbose < 2 || o.g.quiet {
		return
	}
	if o.g.json {
		_ = json.NewEncoder(o.g.stdout).Encode(restoreVerbose{MessageType: "verbose_status", Action: string(it.Action), Item: it.Path, Size: it.Size})
		return
	}
	if it.File {
		fmt.Fprintf(o.g.stdout, "%-9s %s with size %s\n", it.Action, it.Path, humanize.Bytes(it.Size, 3))
		return
	}
	fmt.Fprintf(o.g.stdout, "%-9s %s\n", it.Action, it.Path)
}

type restoreVerbose struct {
	MessageType string `json:"message_type"`
	Action      string `json:"action"`
	Item        string `json:"item"`
	Size        uint64 `json:"size"`
}

// restoreSummary is restic 0.19.1's restore summary message, with
// drydock's own counts after it.
type restoreSummary struct {
	MessageType    string `json:"message_type"`
	SecondsElapsed uint64 `json:"seconds_elapsed,omitempty"`
	TotalFiles     uint64 `json:"total_files,omitempty"`
	FilesRestored  uint64 `json:"files_restored,omitempty"`
	FilesSkipped   uint64 `json:"files_skipped,omitempty"`
	FilesDeleted   uint64 `json:"files_deleted,omitempty"`
	TotalBytes     uint64 `json:"total_bytes,omitempty"`
	BytesRestored  uint64 `json:"bytes_restored,omitempty"`
	BytesSkipped   uint64 `json:"bytes_skipped,omitempty"`

	Files     int    `json:"files"`
	Dirs      int    `json:"dirs"`
	Hardlinks int    `json:"hardlinks"`
	Other     int    `json:"other"`
	Bytes     uint64 `json:"bytes"`
	Failed    int    `json:"failed"`
}

// summary prints the totals, once.
func (o *restoreOutput) summary(st restorer.Stats) {
	if o.printed || o.g.quiet {
		return
	}
	o.printed = true
	elapsed := time.Since(o.began)
	restored := uint64(st.Files + st.Dirs + st.Links + st.Other)
	total := restored + uint64(st.Failed)
	totalBytes := max(st.PlannedBytes, st.Bytes)
	if o.g.json {
		_ = json.NewEncoder(o.g.stdout).Encode(restoreSummary{MessageType: "summary", SecondsElapsed: uint64(elapsed / time.Second),
			TotalFiles: total, FilesRestored: restored, FilesSkipped: uint64(st.Skipped), FilesDeleted: uint64(st.Deleted),
			TotalBytes: totalBytes, BytesRestored: st.Bytes, BytesSkipped: st.SkippedBytes,
			Files: st.Files, Dirs: st.Dirs, Hardlinks: st.Links, Other: st.Other, Bytes: st.Bytes, Failed: st.Failed})
		return
	}
	line := fmt.Sprintf("Summary: Restored %d files/dirs (%s) in %s", restored, humanize.Bytes(st.Bytes, 3), clock(elapsed))
	if total != restored || totalBytes != st.Bytes {
		line = fmt.Sprintf("Summary: Restored %d / %d files/dirs (%s / %s) in %s", restored, total,
			humanize.Bytes(st.Bytes, 3), humanize.Bytes(totalBytes, 3), clock(elapsed))
	}
	if st.Skipped > 0 {
		line += fmt.Sprintf(", skipped %d files/dirs %s", st.Skipped, humanize.Bytes(st.SkippedBytes, 3))
	}
	if st.Deleted > 0 {
		line += fmt.Sprintf(", deleted %d files/dirs", st.Deleted)
	}
	fmt.Fprintln(o.g.stdout, line)
}

func (o *restoreOutput) verifying(target string) {
	o.verifyAt = time.Now()
	if o.text() {
		fmt.Fprintf(o.g.stdout, "verifying files in %s\n", target)
	}
}

func (o *restoreOutput) verified(st restorer.Stats, target string) {
	if o.text() {
		fmt.Fprintf(o.g.stdout, "finished verifying %d files in %s (took %s)\n", st.Verified, target,
			time.Since(o.verifyAt).Round(time.Millisecond))
	}
}

// clock formats d as restic's summaries do: M:SS, or H:MM:SS.
func clock(d time.Duration) string {
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// restoreFailurePrinter prints each entry a restore could not restore (or,
// as a "warning", restored without some metadata), as it happens, on
// stderr (as a JSON message with --json, like restic's).
func restoreFailurePrinter(g *globalOptions, level string) func(restorer.Failure) {
	var mu sync.Mutex
	return func(f restorer.Failure) {
		mu.Lock()
		defer mu.Unlock()
		if g.json {
			_ = json.NewEncoder(g.stderr).Encode(map[string]any{"message_type": level, "item": f.Path, "error": f.Err.Error()})
			return
		}
		fmt.Fprintf(g.stderr, "%s: %s: %v\n", level, quoteName(f.Path), f.Err)
	}
}
