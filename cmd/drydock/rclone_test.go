package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestRcloneRepository: a repository at rclone:DIR (rclone serving its
// local directory on stdio, as restic's rclone: backend runs it) that
// drydock creates and backs up into, restic 0.14 checks and restores
// exactly; restic's backup there drydock reads and restores exactly too.
func TestRcloneRepository(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	testenv.RequireBinary(t, "rclone")
	src := t.TempDir()
	fixture.Build(t, src)
	c := newCLI(t, "rclone:"+filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	c.must("backup", "--tag", "drydock", src)
	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check of drydock's rclone repository:\n%s", out)
	}
	dst := t.TempDir()
	c.mustRestic(bin, "restore", "latest", "--tag", "drydock", "--target", dst)
	fixture.Compare(t, src, filepath.Join(dst, src), resticRestoreOptions)

	c.mustRestic(bin, "backup", "--tag", "restic", src)
	dst = t.TempDir()
	c.must("restore", "latest", "--tag", "restic", "--target", dst)
	fixture.Compare(t, src, filepath.Join(dst, src), resticRestoreOptions)
	if out := c.must("check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("drydock check:\n%s", out)
	}
}

// TestRcloneOptions: -o rclone.program names the binary; a wrong one is
// said with the option to fix it, and rclone's options are refused for
// other repositories.
func TestRcloneOptions(t *testing.T) {
	testenv.RequireBinary(t, "rclone")
	c := newCLI(t, "rclone:"+filepath.Join(t.TempDir(), "repo"))
	if _, errOut, code := c.run("-o", "rclone.program=/nonexistent/rclone", "init"); code != exitFailure || !strings.Contains(errOut, "-o rclone.program") {
		t.Errorf("init with a missing rclone: exit %d, %q", code, errOut)
	}
	local := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	if _, errOut, code := local.run("-o", "rclone.args=serve restic --stdio", "init"); code != exitFailure || !strings.Contains(errOut, "rclone: repositories") {
		t.Errorf("rclone option for a local repository: exit %d, %q", code, errOut)
	}
	c.must("init")
	if out := c.must("-o", "rclone.program="+testenv.RequireBinary(t, "rclone"), "snapshots"); !strings.Contains(out, "0 snapshots") {
		t.Errorf("snapshots with -o rclone.program: %q", out)
	}
}

// TestRcloneAppendOnly: through rclone serve restic --append-only (as
// -o rclone.args), a backup works and forget stops before changing
// anything, naming the refused delete, and leaves no lock.
func TestRcloneAppendOnly(t *testing.T) {
	testenv.RequireBinary(t, "rclone")
	dir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, "rclone:"+dir)
	c.must("init")
	src := t.TempDir()
	fixture.Build(t, src)
	c.must("backup", src)
	appendOnly := []string{"-o", "rclone.args=serve restic --stdio --append-only"}
	c.must(append(appendOnly, "backup", src)...)
	before := c.must("snapshots", "--json")
	_, errOut, code := c.run(append(appendOnly, "forget", "--keep-last", "1")...)
	if code != exitFailure || !strings.Contains(errOut, "refuses deletes") {
		t.Errorf("forget through an append-only rclone: exit %d, %q", code, errOut)
	}
	if after := c.must("snapshots", "--json"); after != before {
		t.Errorf("snapshots changed:\n%s\nwas\n%s", after, before)
	}
	if locks := c.must("list", "locks"); strings.TrimSpace(locks) != "" {
		t.Errorf("locks left: %q", locks)
	}
}
