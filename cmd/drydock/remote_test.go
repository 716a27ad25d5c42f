package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/internal/testkit/sshtest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// roundTrip backs the fixture up with drydock (args are the repository
// flags), checks and restores it with stock restic; then backs it up with
// restic and restores that with drydock. Both restores must be exact.
func roundTrip(t *testing.T, c *cli, bin string, args ...string) {
	t.Helper()
	src := t.TempDir()
	fixture.Build(t, src)
	c.must(append([]string{"init"}, args...)...)
	c.must(append([]string{"backup", src}, args...)...)
	if out, err := c.restic(bin, append([]string{"check", "--read-data"}, args...)...); err != nil || !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check --read-data: %v\n%s", err, out)
	}
	dst := t.TempDir()
	c.mustRestic(bin, append([]string{"restore", "latest", "--target", dst}, args...)...)
	fixture.Compare(t, src, filepath.Join(dst, src), resticRestoreOptions)

	src2 := t.TempDir()
	fixture.Build(t, src2)
	c.mustRestic(bin, append([]string{"backup", src2}, args...)...)
	own := t.TempDir()
	c.must(append([]string{"restore", "latest", "--target", own}, args...)...)
	fixture.Compare(t, src2, filepath.Join(own, src2), resticRestoreOptions) // restic 0.14 wrote the link targets
}

// TestSFTPRepository: a repository on a real sshd reached through the
// user's ssh configuration (-o sftp.command), both directions exact with
// stock restic; a server whose host key differs from known_hosts is
// refused before anything is written.
func TestSFTPRepository(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	srv := sshtest.Start(t)
	loc := "sftp:" + sshtest.HostAlias + ":" + "repo"
	c := newCLI(t, loc)
	roundTrip(t, c, bin, "-o", "sftp.command="+srv.Command())
	if _, err := os.Stat(filepath.Join(srv.Root, "repo", "config")); err != nil {
		t.Errorf("the repository is not on the server: %v", err)
	}

	// The key and known_hosts as files, as in a container.
	wrong := filepath.Join(t.TempDir(), "known_hosts")
	other := sshtest.GenerateKey(t, filepath.Join(t.TempDir(), "other"))
	must(t, os.WriteFile(wrong, []byte(srv.KnownHostsLine(sshtest.PublicKey(t, other))), 0o600))
	direct := newCLI(t, "sftp://"+srv.User+"@"+srv.Addr()+"/fresh")
	direct.env[location.EnvSFTPKeyFile] = srv.KeyFile
	direct.env[location.EnvSFTPKnownHostsFile] = wrong
	if _, errOut, code := direct.run("init"); code == 0 || !strings.Contains(strings.ToLower(errOut), "host key") {
		t.Errorf("init against a server with another host key: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(srv.Root, "fresh")); !os.IsNotExist(err) {
		t.Errorf("a refused init wrote on the server: %v", err)
	}
	direct.env[location.EnvSFTPKnownHostsFile] = srv.KnownHostsFile
	direct.must("init")
	direct.must("snapshots")
}

// TestRESTRepository: a repository on rclone's REST server with basic
// auth in the URL, both directions exact with stock restic; the password
// is never printed, not even in errors.
func TestRESTRepository(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	srv := resttest.Start(t, resttest.Options{})
	loc := srv.Location("repo")
	c := newCLI(t, loc)
	roundTrip(t, c, bin)
	pass := srv.Pass
	if !strings.Contains(loc, pass) {
		t.Fatalf("the test server's location %s has no password", secret.NewURL(loc))
	}
	check := func(what, out string) {
		if strings.Contains(out, pass) {
			t.Errorf("%s printed the password:\n%s", what, out)
		}
	}
	out, errOut, _ := c.run("init")
	check("init of an existing repository", out+errOut)
	srv.Stop(t)
	out, errOut, code := c.run("snapshots", "--retry-max", "1s")
	if code == 0 {
		t.Error("snapshots with the server down succeeded")
	}
	check("snapshots with the server down", out+errOut)
	bad := newCLI(t, strings.Replace(loc, pass, pass+"x", 1))
	out, errOut, _ = bad.run("snapshots")
	check("snapshots with a wrong server password", out+errOut)
}
