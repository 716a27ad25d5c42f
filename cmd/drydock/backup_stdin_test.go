package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// lsLine is what the stdin tests read of `ls --json`.
type lsLine struct {
	Path  string   `json:"path"`
	Mode  uint32   `json:"mode"`
	Size  uint64   `json:"size"`
	Paths []string `json:"paths"`
}

func lsJSON(t *testing.T, c *cli, ref string) []lsLine {
	t.Helper()
	var lines []lsLine
	for _, l := range strings.Split(strings.TrimSpace(c.must("ls", "--json", ref)), "\n") {
		var x lsLine
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("ls --json line %q: %v", l, err)
		}
		lines = append(lines, x)
	}
	return lines
}

// TestBackupStdinAsRestic: --stdin and --stdin-from-command store one file
// (under --stdin-filename) that restic 0.14 dumps byte for byte; a command
// that fails, or bad combinations, write no snapshot.
func TestBackupStdinAsRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	base := t.TempDir()
	c := newCLI(t, filepath.Join(base, "repo"))
	c.must("init")
	data := strings.Repeat("row of a database dump\n", 200_000) // several chunks
	ok := []struct {
		name     string
		args     []string
		stdin    string
		path     string // in the snapshot
		want     string
		wantPath []string
	}{
		{"stdin default name", []string{"--stdin"}, data, "/stdin", data, []string{"/stdin"}},
		{"stdin named", []string{"--stdin", "--stdin-filename", "dumps/db.sql"}, "short", "/dumps/db.sql", "short", []string{"/dumps/db.sql"}},
		{"stdin empty", []string{"--stdin", "--stdin-filename", "empty"}, "", "/empty", "", []string{"/empty"}},
		{"from command", []string{"--stdin-from-command", "--stdin-filename", "cmd.out", "--", "sh", "-c", "printf 'one\\ntwo\\n'; echo noise >&2"}, "", "/cmd.out", "one\ntwo\n", []string{"/cmd.out"}},
	}
	for _, tc := range ok {
		c.stdin = tc.stdin
		out := c.must(append([]string{"backup", "--json"}, tc.args...)...)
		id := backupSnapshotID(t, out)
		lines := lsJSON(t, c, id)
		if got := lines[0].Paths; strings.Join(got, ",") != strings.Join(tc.wantPath, ",") {
			t.Errorf("%s: snapshot paths %q, want %q", tc.name, got, tc.wantPath)
		}
		file := lines[len(lines)-1]
		if file.Path != tc.path || file.Size != uint64(len(tc.want)) || os.FileMode(file.Mode).Perm() != 0o644 {
			t.Errorf("%s: last node %+v, want %s of %d bytes, mode 0644", tc.name, file, tc.path, len(tc.want))
		}
		if got := c.mustResticRaw(bin, "dump", id, tc.path); got != tc.want {
			t.Errorf("%s: restic dumps %d bytes, want %d", tc.name, len(got), len(tc.want))
		}
	}
	c.stdin = ""
	bad := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"command fails", []string{"--stdin-from-command", "--", "sh", "-c", "echo partial; exit 3"}, "sh failed (exit status 3): no snapshot written"},
		{"command missing", []string{"--stdin-from-command", "--", "/nonexistent/dump"}, "/nonexistent/dump failed"},
		{"no command", []string{"--stdin-from-command"}, "needs the command to run"},
		{"stdin and paths", []string{"--stdin", base}, "but paths were given too"},
		{"stdin and files-from", []string{"--stdin", "--files-from", "/dev/null"}, "exclude each other"},
		{"both streams", []string{"--stdin", "--stdin-from-command", "true"}, "exclude each other"},
		{"empty name", []string{"--stdin", "--stdin-filename", ""}, "file name for the stream is empty"},
	}
	for _, tc := range bad {
		before, _ := os.ReadDir(filepath.Join(base, "repo", "snapshots"))
		_, errOut, code := c.run(append([]string{"backup"}, tc.args...)...)
		after, _ := os.ReadDir(filepath.Join(base, "repo", "snapshots"))
		if code != 1 || len(after) != len(before) || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, %d snapshots (had %d), stderr %q; want exit 1, none written, %q", tc.name, code, len(after), len(before), errOut, tc.want)
		}
	}
	c.mustRestic(bin, "check", "--read-data")
	// The password cannot come from standard input when the data does.
	delete(c.env, "RESTIC_PASSWORD")
	c.stdin = "interop password\n"
	if _, errOut, code := c.run("backup", "--stdin"); code != 1 || !strings.Contains(errOut, "cannot come from there") {
		t.Errorf("--stdin with the password on stdin: exit %d, %q; want exit 1 and why", code, errOut)
	}
}
