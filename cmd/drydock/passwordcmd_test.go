package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestPasswordCommand: --password-command and RESTIC_PASSWORD_COMMAND
// give the password as restic's do (what the command prints, less the
// line ends at the end: lines inside count);
// restic 0.14 opens with the same command what drydock made with it; a
// failing command, or one beside a password file, is an error.
func TestPasswordCommand(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	dir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, dir)
	delete(c.env, "RESTIC_PASSWORD")
	c.env["RESTIC_PASSWORD_COMMAND"] = "printf 'two\\nlines\\n\\n'"
	c.must("init")
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644))
	c.must("backup", src)
	if out := c.mustRestic(bin, "snapshots"); !strings.Contains(out, "1 snapshots") {
		t.Errorf("restic with the same password command:\n%s", out)
	}
	delete(c.env, "RESTIC_PASSWORD_COMMAND")
	if out := c.must("--password-command", "printf 'two\\nlines'", "snapshots"); !strings.Contains(out, "1 snapshots") {
		t.Errorf("--password-command: %s", out)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	must(t, os.WriteFile(pwFile, []byte("two\nlines\n"), 0o600))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--password-command", "exit 7", "snapshots"}, exitFailure, "exited with status 7"},
		{[]string{"--password-command", "echo wrong", "snapshots"}, exitWrongPass, "wrong password"},
		{[]string{"--password-command", "echo x", "--password-file", pwFile, "snapshots"}, exitFailure, "exclude each other"},
	} {
		_, errOut, code := c.run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("drydock %s: exit %d, %q; want exit %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.want)
		}
	}
}
