package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/lockowner"
	"github.com/drydock-backup/drydock/internal/testkit/sshtest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// configRepos is a daemon configuration with the repositories given as
// name: YAML body lines.
func configRepos(t *testing.T, repos map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("state_dir: " + t.TempDir() + "\nrepositories:\n")
	first := ""
	for name, body := range repos {
		if first == "" {
			first = name
		}
		b.WriteString("  " + name + ":\n")
		for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
			b.WriteString("    " + l + "\n")
		}
	}
	b.WriteString("jobs:\n  j:\n    repository: " + first + "\n    schedule: \"@daily\"\n    paths: [/srv]\n")
	p := filepath.Join(t.TempDir(), "drydock.yaml")
	writeFile(t, p, []byte(b.String()))
	return p
}

// stateDirOf reads the state_dir line configRepos wrote.
func stateDirOf(t *testing.T, cfg string) string {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	dir, ok := strings.CutPrefix(first, "state_dir: ")
	if !ok {
		t.Fatalf("%s starts with %q, not state_dir", cfg, first)
	}
	return dir
}

// localRepo makes a repository with one snapshot tagged tag, and its
// password file.
func localRepo(t *testing.T, tag string) (dir, pwFile string) {
	dir = filepath.Join(t.TempDir(), "repo")
	pwFile = filepath.Join(t.TempDir(), "pw")
	writeFile(t, pwFile, []byte("pw of "+tag+"\n"))
	c := newCLI(t, dir)
	delete(c.env, "RESTIC_PASSWORD")
	c.env["RESTIC_PASSWORD_FILE"] = pwFile
	c.must("init")
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "f"), []byte(tag))
	c.must("backup", "--tag", tag, src)
	return dir, pwFile
}

// bareCLI has none of restic's variables: what the repository commands
// know comes from the configuration.
func bareCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{"HOME": t.TempDir()}}
}

// TestRepoFromConfig: repository commands take the repository of the
// daemon's configuration (--config or $DRYDOCK_CONFIG): the only one, or
// the one --repo-name names; -r still wins, and mixing it with
// --repo-name, a wrong name or an ambiguous choice are clear errors.
func TestRepoFromConfig(t *testing.T) {
	dirA, pwA := localRepo(t, "from-a")
	dirB, pwB := localRepo(t, "from-b")
	one := configRepos(t, map[string]string{"a": "location: " + dirA + "\npassword_file: " + pwA})
	two := configRepos(t, map[string]string{
		"a": "location: " + dirA + "\npassword_file: " + pwA,
		"b": "location: " + dirB + "\npassword_file: " + pwB + "\nlock_wait: 1m",
	})
	c := bareCLI(t)

	if out := c.must("snapshots", "--config", one); !strings.Contains(out, "from-a") {
		t.Errorf("--config with one repository:\n%s", out)
	}
	c.env["DRYDOCK_CONFIG"] = one
	if out := c.must("snapshots"); !strings.Contains(out, "from-a") {
		t.Errorf("$DRYDOCK_CONFIG:\n%s", out)
	}
	if out := c.must("snapshots", "--config", two, "--repo-name", "b"); !strings.Contains(out, "from-b") || strings.Contains(out, "from-a") {
		t.Errorf("--repo-name b:\n%s", out)
	}
	// -r (or $RESTIC_REPOSITORY) wins over the configuration.
	c.env["RESTIC_PASSWORD_FILE"] = pwB
	if out := c.must("snapshots", "-r", dirB); !strings.Contains(out, "from-b") {
		t.Errorf("-r over $DRYDOCK_CONFIG:\n%s", out)
	}
	delete(c.env, "RESTIC_PASSWORD_FILE")

	// The locks of a command on a configured repository name the
	// configuration's installation (its state_dir), as the daemon's do, so
	// that the daemon removes them if the command is killed.
	c.must("check", "--config", one)
	cfgState := stateDirOf(t, one)
	if _, err := os.Stat(filepath.Join(cfgState, lockowner.InstallationFile)); err != nil {
		t.Errorf("check --config did not mark its lock in the configuration's state directory: %v", err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", two}, "has 2 repositories (a, b): choose one with --repo-name"},
		{[]string{"--config", two, "--repo-name", "c"}, "--repo-name c: " + two + " has no such repository (it has: a, b)"},
		{[]string{"--config", two, "--repo-name", "a", "-r", dirA}, "both -r " + dirA + " and --repo-name a name a repository"},
		{[]string{"--config", two, "--repo-name", "a", "--password-file", pwB}, "has its own password file"},
		{[]string{"--config", filepath.Join(t.TempDir(), "absent.yaml")}, "read configuration"},
	} {
		out, errOut, code := c.run(append([]string{"snapshots"}, tc.args...)...)
		if code != exitFailure || !strings.Contains(errOut, tc.want) || strings.Contains(out, "from-") {
			t.Errorf("snapshots %v: exit %d, want %d and %q:\n%s%s", tc.args, code, exitFailure, tc.want, out, errOut)
		}
	}
}

// TestRepoFromConfigSFTP: the key and known_hosts of a configured sftp:
// repository (the agent's Docker secrets) reach ssh without any -e.
func TestRepoFromConfigSFTP(t *testing.T) {
	testenv.RequireBinary(t, "ssh")
	srv := sshtest.Start(t)
	loc := "sftp://" + srv.User + "@" + srv.Addr() + "/cfgrepo"
	pw := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pw, []byte("sftp pw\n"))
	cfg := configRepos(t, map[string]string{"offsite": "location: " + loc + "\npassword_file: " + pw +
		"\nsftp:\n  key_file: " + srv.KeyFile + "\n  known_hosts_file: " + srv.KnownHostsFile})
	c := bareCLI(t)
	c.must("init", "--config", cfg)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "f"), []byte("x"))
	c.must("backup", "--config", cfg, "--tag", "over-sftp", src)
	if out := c.must("snapshots", "--config", cfg, "--repo-name", "offsite"); !strings.Contains(out, "over-sftp") {
		t.Errorf("snapshots:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(srv.Root, "cfgrepo", "config")); err != nil {
		t.Errorf("the repository is not on the server: %v", err)
	}
}

// TestRepoOfDaemonDefault: with no configuration anywhere, commands find
// the repository a daemon running the embedded default made in its state
// directory (an agent container started without a configuration).
func TestRepoOfDaemonDefault(t *testing.T) {
	if _, err := os.Stat(defaultConfigFile); err == nil {
		t.Skip(defaultConfigFile + " exists on this machine")
	}
	state := t.TempDir()
	dir, pw := filepath.Join(state, "repo"), filepath.Join(state, "password")
	writeFile(t, pw, []byte("daemon default\n"))
	c := newCLI(t, dir)
	delete(c.env, "RESTIC_PASSWORD")
	c.env["RESTIC_PASSWORD_FILE"] = pw
	c.must("init")
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "f"), []byte("x"))
	c.must("backup", "--tag", "daemon-default", src)

	bare := bareCLI(t)
	bare.env["STATE_DIRECTORY"] = state
	for _, args := range [][]string{{"snapshots"}, {"snapshots", "--repo-name", "default"}} {
		if out := bare.must(args...); !strings.Contains(out, "daemon-default") {
			t.Errorf("%v:\n%s", args, out)
		}
	}
}
