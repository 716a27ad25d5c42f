package sftp_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/sshtest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend/sftp"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

const interopPassword = "sftp interop password"

// restic 0.14 predates raw (non-UTF-8) symlink targets; everything else of
// the fixture must come back exactly.
var resticCompare = fixture.CompareOptions{MangledLinkTargets: true}

// resticOn returns a function running stock restic on the SFTP repository
// at rel (relative to the server's root), connecting with sftp.command as
// a user with an ssh configuration would.
func resticOn(t *testing.T, srv *sshtest.Server, rel string) func(args ...string) string {
	t.Helper()
	bin := testenv.RequireBinary(t, "restic")
	home := t.TempDir()
	return func(args ...string) string {
		t.Helper()
		all := append([]string{"--no-cache", "-r", "sftp:" + sshtest.HostAlias + ":" + rel, "-o", "sftp.command=" + srv.Command()}, args...)
		cmd := exec.CommandContext(t.Context(), bin, all...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "RESTIC_PASSWORD=" + interopPassword}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("restic %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out)
	}
}

// drydock's repository layer writes a snapshot of the fixture over SFTP;
// stock restic, over its own ssh connection, finds no error reading every
// byte and restores the fixture exactly.
func TestDrydockWritesResticReads(t *testing.T) {
	srv := sshtest.Start(t)
	restic := resticOn(t, srv, "dd/repo")
	src := t.TempDir()
	fixture.Build(t, src)
	ctx := t.Context()

	be, err := sftp.Create(ctx, commandConfig(t, srv, "dd/repo"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(ctx, be, interopPassword, repo.InitOptions{KDF: repotest.CheapKDF}, repo.Options{PackSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Paths(ctx, r, []string{src}, nil, backup.PathOptions{Host: "sftp-interop"}); err != nil {
		t.Fatal(err)
	}
	if err := be.Close(); err != nil {
		t.Fatal(err)
	}

	if out := restic("check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check:\n%s", out)
	}
	dst := t.TempDir()
	restic("restore", "latest", "--target", dst)
	fixture.Compare(t, src, filepath.Join(dst, src), resticCompare)
}

// Stock restic initialises a repository over SFTP and backs the fixture
// up; drydock opens it with the location string restic used and restores
// the snapshot exactly.
func TestResticWritesDrydockReads(t *testing.T) {
	srv := sshtest.Start(t)
	restic := resticOn(t, srv, "rr")
	src := t.TempDir()
	fixture.Build(t, src)
	restic("init")
	restic("backup", src)
	ctx := t.Context()

	be, err := sftp.Open(ctx, commandConfig(t, srv, "rr"))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	r, err := repo.Open(ctx, be, interopPassword, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	sns, err := r.Snapshots(ctx)
	if err != nil || len(sns) != 1 {
		t.Fatalf("snapshots: %d, %v; want the one restic made", len(sns), err)
	}
	dst := t.TempDir()
	if _, err := restorer.Restore(ctx, r, *sns[0].Tree, dst, restorer.Options{}); err != nil {
		t.Fatal(err)
	}
	fixture.Compare(t, src, filepath.Join(dst, src), resticCompare)
}
