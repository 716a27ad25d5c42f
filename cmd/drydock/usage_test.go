package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestUsageErrors: a command given the wrong arguments or an unknown flag
// says so in drydock's words, with the usage and an example, and exits 1.
func TestUsageErrors(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ls"}, "ls: SNAPSHOT missing; usage: drydock ls SNAPSHOT[:SUBFOLDER] [DIR...]; for example: drydock ls latest /etc"},
		{[]string{"restore"}, "restore: SNAPSHOT missing; usage: drydock restore SNAPSHOT[:SUBFOLDER] --target DIR"},
		{[]string{"diff", "a"}, "diff: SNAPSHOT-B missing"},
		{[]string{"diff", "a", "b", "c"}, "diff: too many arguments (3)"},
		{[]string{"init", "x"}, `init: takes no arguments, got ["x"]`},
		{[]string{"key", "remove"}, "key remove: ID missing"},
		{[]string{"volumes", "restore"}, "volumes restore: SNAPSHOT and VOLUME missing"},
		{[]string{"backup"}, "backup: PATH missing; usage: drydock backup PATH...; for example: drydock backup /etc /home"},
		// An unknown flag before the command is named, not taken for a
		// flag with a value that hides the command.
		{[]string{"-x", "backup", "/etc"}, "unknown shorthand flag: 'x' in -x"},
		{[]string{"--bogus", "snapshots"}, "unknown flag: --bogus"},
	} {
		out, errOut, code := c.run(tc.args...)
		if code != exitFailure || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("drydock %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}

// TestVersionAndVerbose: --version prints what version prints; -v is
// restic's verbose flag, not cobra's short --version.
func TestVersionAndVerbose(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	if got, want := c.must("--version"), c.must("version"); got != want || !strings.HasPrefix(got, "drydock ") {
		t.Errorf("--version printed %q, version %q", got, want)
	}
	if out := c.must("-v", "snapshots"); !strings.Contains(out, "0 snapshots") {
		t.Errorf("drydock -v snapshots printed %q", out)
	}
}

// TestEveryCommandExplainsItsArguments: each command that checks its
// arguments names its usage when they are wrong.
func TestEveryCommandExplainsItsArguments(t *testing.T) {
	root := newRoot(newGlobals(nil, nil))
	var walk func(*cobra.Command)
	n := 0
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
		if cmd.Args == nil {
			return
		}
		for _, args := range [][]string{nil, {"a", "b", "c", "d", "e"}} {
			if err := cmd.Args(cmd, args); err != nil {
				n++
				if !strings.Contains(err.Error(), "usage: "+cmd.CommandPath()) {
					t.Errorf("%s with %d arguments: %v", cmd.CommandPath(), len(args), err)
				}
			}
		}
	}
	walk(root)
	if n < 10 {
		t.Errorf("only %d argument errors seen", n)
	}
}
