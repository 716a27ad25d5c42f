// Package interoptest holds the round trips between drydock's repository
// layer and stock restic that the tests of every remote backend run: what
// drydock writes, restic checks to the last byte and restores; what
// restic writes, drydock restores. Each backend's test supplies the
// location (its restic arguments and its drydock backend).
package interoptest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// Password is the repositories' password, for both tools.
const Password = "interop password"

// compare: restic 0.14 predates raw (non-UTF-8) symlink targets;
// everything else of the fixture must come back exactly.
var compare = fixture.CompareOptions{MangledLinkTargets: true}

// Restic returns a function that runs stock restic with repoArgs (the
// repository and its options) before its own arguments, without a cache
// and with a home of its own, and fails t when restic fails.
func Restic(t *testing.T, repoArgs ...string) func(args ...string) string {
	t.Helper()
	bin := testenv.RequireBinary(t, "restic")
	home := t.TempDir()
	return func(args ...string) string {
		t.Helper()
		all := append(append([]string{"--no-cache"}, repoArgs...), args...)
		cmd := exec.CommandContext(t.Context(), bin, all...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "RESTIC_PASSWORD=" + Password}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("restic %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out)
	}
}

// DrydockWritesResticReads initialises a repository on be (created
// empty), backs the fixture up into it with drydock's repository layer
// and closes be; then restic, on the same location, must find no error
// reading every byte and restore the fixture exactly.
func DrydockWritesResticReads(t *testing.T, be backend.Backend, restic func(args ...string) string) {
	t.Helper()
	ctx := t.Context()
	src := t.TempDir()
	fixture.Build(t, src)
	r, err := repo.Init(ctx, be, Password, repo.InitOptions{KDF: repotest.CheapKDF}, repo.Options{PackSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Paths(ctx, r, []string{src}, nil, backup.PathOptions{Host: "interop"}); err != nil {
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
	fixture.Compare(t, src, filepath.Join(dst, src), compare)
}

// ResticWritesDrydockReads lets restic initialise a repository and back
// the fixture up; then drydock, through the backend open returns on the
// same location, must find restic's one snapshot and restore it exactly.
func ResticWritesDrydockReads(t *testing.T, restic func(args ...string) string, open func(context.Context) (backend.Backend, error)) {
	t.Helper()
	ctx := t.Context()
	src := t.TempDir()
	fixture.Build(t, src)
	restic("init")
	restic("backup", src)

	be, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	r, err := repo.Open(ctx, be, Password, repo.Options{})
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
	fixture.Compare(t, src, filepath.Join(dst, src), compare)
}
