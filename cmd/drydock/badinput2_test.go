package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// snapshotPaths returns the paths of every snapshot in c's repository.
func (c *cli) snapshotPaths() [][]string {
	c.t.Helper()
	var sns []struct {
		Paths []string `json:"paths"`
	}
	if err := json.Unmarshal([]byte(c.must("snapshots", "--json")), &sns); err != nil {
		c.t.Fatal(err)
	}
	var paths [][]string
	for _, sn := range sns {
		paths = append(paths, sn.Paths)
	}
	return paths
}

// A malformed exclude pattern used to match nothing, so the backup saved
// what the user meant to leave out. It is refused before anything is
// written, naming the pattern and the reason.
func TestBackupRejectsBadExclude(t *testing.T) {
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o644))
	base := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	base.must("init")
	for _, pat := range []string{"[", "*.tmp[", "/var/[cache", `trailing\`, "[a-]"} {
		t.Run(pat, func(t *testing.T) {
			c := &cli{t: t, env: base.env}
			_, errOut, code := c.run("backup", "--exclude", "*.log", "--exclude", pat, src)
			quoted, _ := json.Marshal(pat) // Go quotes these patterns the same way
			if code != exitFailure || !strings.Contains(errOut, string(quoted)) || !strings.Contains(errOut, "syntax error in pattern") {
				t.Errorf("backup --exclude %q: exit %d, %q; want %d, naming the pattern and the syntax error", pat, code, errOut, exitFailure)
			}
			if got := c.snapshotPaths(); len(got) != 0 {
				t.Errorf("a snapshot was written: %v", got)
			}
		})
	}
}

// A missing path among several no longer aborts the backup: the others are
// saved, the missing one is named in a warning, the exit code is restic's 3
// and the snapshot records only the paths it holds, as restic does. With
// every path missing there is nothing to save: exit 1 and no snapshot.
func TestBackupMissingTargets(t *testing.T) {
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	for _, d := range []string{a, b} {
		must(t, os.Mkdir(d, 0o755))
		must(t, os.WriteFile(filepath.Join(d, "f"), []byte(d), 0o644))
	}
	gone, gone2 := filepath.Join(base, "gone"), filepath.Join(base, "gone2")
	for _, tc := range []struct {
		name      string
		args      []string
		wantCode  int
		wantPaths []string // nil: no snapshot written
		named     []string // must appear in stderr
	}{
		{"all exist", []string{a, b}, exitOK, []string{a, b}, nil},
		{"one missing", []string{a, gone, b}, exitIncomplete, []string{a, b}, []string{gone}},
		{"relative missing", []string{a, "no/such/dir"}, exitIncomplete, []string{a}, []string{"no/such/dir"}},
		{"all missing", []string{gone, gone2}, exitFailure, nil, []string{gone, gone2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
			c.must("init")
			_, errOut, code := c.run(append([]string{"backup"}, tc.args...)...)
			if code != tc.wantCode {
				t.Fatalf("backup %v: exit %d, want %d\n%s", tc.args, code, tc.wantCode, errOut)
			}
			for _, n := range tc.named {
				if !strings.Contains(errOut, n) {
					t.Errorf("stderr does not name %s:\n%s", n, errOut)
				}
			}
			got := c.snapshotPaths()
			switch {
			case tc.wantPaths == nil && len(got) != 0:
				t.Errorf("snapshot written: %v", got)
			case tc.wantPaths != nil && (len(got) != 1 || !slices.Equal(got[0], tc.wantPaths)):
				t.Errorf("snapshot paths %v, want [%v]", got, tc.wantPaths)
			}
		})
	}
}

// An empty password, from a file, the environment or stdin, is refused as
// such (exit 1), not reported as a wrong password (exit 12); and init
// refused for it, or for any other bad input, creates nothing.
func TestEmptyPassword(t *testing.T) {
	dir := t.TempDir()
	empty, newline := filepath.Join(dir, "empty"), filepath.Join(dir, "newline")
	must(t, os.WriteFile(empty, nil, 0o600))
	must(t, os.WriteFile(newline, []byte("\n"), 0o600))
	existing := filepath.Join(dir, "repo")
	newCLI(t, existing).must("init")
	for _, tc := range []struct {
		name  string
		env   map[string]string
		args  []string
		stdin string
	}{
		{"--password-file of 0 bytes", nil, []string{"--password-file", empty}, ""},
		{"--password-file with only a newline", nil, []string{"--password-file", newline}, ""},
		{"RESTIC_PASSWORD_FILE of 0 bytes", map[string]string{"RESTIC_PASSWORD_FILE": empty}, nil, ""},
		{"empty RESTIC_PASSWORD, empty line on stdin", nil, nil, "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range []string{"snapshots", "init"} {
				repoDir := existing
				if cmd == "init" {
					repoDir = filepath.Join(t.TempDir(), "new-repo")
				}
				c := &cli{t: t, stdin: tc.stdin, env: map[string]string{"RESTIC_REPOSITORY": repoDir, "RESTIC_PASSWORD": "", "HOME": t.TempDir()}}
				for k, v := range tc.env {
					c.env[k] = v
				}
				_, errOut, code := c.run(append([]string{cmd}, tc.args...)...)
				if code != exitFailure || !strings.Contains(errOut, "empty password") {
					t.Errorf("%s: exit %d, %q; want %d and \"empty password\"", cmd, code, errOut, exitFailure)
				}
				if cmd == "init" {
					assertNotCreated(t, repoDir)
				}
			}
		})
	}
}

// init checks all its input before it creates the repository's directory.
func TestInitBadInputCreatesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"repository version", []string{"--repository-version", "3"}, "--repository-version 3"},
		{"no password", nil, "no password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repoDir := filepath.Join(t.TempDir(), "repo")
			c := newCLI(t, repoDir)
			if tc.name == "no password" {
				delete(c.env, "RESTIC_PASSWORD")
			}
			_, errOut, code := c.run(append([]string{"init"}, tc.args...)...)
			if code != exitFailure || !strings.Contains(errOut, tc.want) {
				t.Errorf("init %v: exit %d, %q; want %d and %q", tc.args, code, errOut, exitFailure, tc.want)
			}
			assertNotCreated(t, repoDir)
		})
	}
}

func assertNotCreated(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(dir)
		t.Errorf("refused init left %s behind (%v, %d entries)", dir, err, len(entries))
	}
}

// s3: locations take http:// or https:// (or no scheme); any other scheme
// used to be read as a host name ("ftp:").
func TestS3UnknownScheme(t *testing.T) {
	for _, loc := range []string{"s3:ftp://127.0.0.1:1/bucket", "s3:HTTP://127.0.0.1:1/bucket", "s3:://127.0.0.1:1/bucket"} {
		for _, cmd := range []string{"snapshots", "init"} {
			t.Run(cmd+" "+loc, func(t *testing.T) {
				c := newCLI(t, loc)
				c.env["AWS_ACCESS_KEY_ID"], c.env["AWS_SECRET_ACCESS_KEY"] = "key", "secret"
				_, errOut, code := c.run(cmd, "--retry-max", "1s")
				if code != exitFailure || !strings.Contains(errOut, "unknown URL scheme") {
					t.Errorf("%s -r %s: exit %d, %q; want %d and \"unknown URL scheme\"", cmd, loc, code, errOut, exitFailure)
				}
			})
		}
	}
}

// ls prints names with control characters or invalid UTF-8 Go-quoted, so
// that a file name cannot forge lines or send escapes to the terminal;
// --json keeps them as they are (JSON escapes them).
func TestLsQuotesNames(t *testing.T) {
	src := t.TempDir()
	names := []string{"plain", "ü naïve", "red\x1b[31mx\nforged line", "tab\there", "bad\xffutf8"}
	for _, n := range names {
		must(t, os.WriteFile(filepath.Join(src, n), nil, 0o644))
	}
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	c.must("backup", src)
	for _, args := range [][]string{{"ls", "latest"}, {"ls", "--long", "latest"}} {
		out := c.must(args...)
		if !utf8.ValidString(out) || strings.ContainsAny(out, "\x1b\t") {
			t.Errorf("%v prints raw control characters or bytes:\n%q", args, out)
		}
		for _, n := range names {
			p := filepath.Join(src, n)
			want := p // printable names stay unquoted
			if n != "plain" && n != "ü naïve" {
				want = quoteForTest(p)
			}
			if !hasLineEnding(out, want) {
				t.Errorf("%v: no line ending in %s:\n%s", args, want, out)
			}
		}
	}
	var got []string
	for line := range strings.Lines(c.must("ls", "--json", "latest")) {
		var n struct {
			Name       string `json:"name"`
			StructType string `json:"struct_type"`
		}
		must(t, json.Unmarshal([]byte(line), &n))
		if n.StructType == "node" {
			got = append(got, n.Name)
		}
	}
	for _, n := range names {
		if n == "bad\xffutf8" {
			continue // JSON strings cannot carry the byte as it is
		}
		if !slices.Contains(got, n) {
			t.Errorf("--json: name %q missing or changed in %q", n, got)
		}
	}
}

// quoteForTest spells out the quoting the tests expect, without calling
// the code under test.
func quoteForTest(s string) string {
	r := strings.NewReplacer("\x1b", `\x1b`, "\n", `\n`, "\t", `\t`, "\xff", `\xff`, `"`, `\"`, `\`, `\\`)
	return `"` + r.Replace(s) + `"`
}

func hasLineEnding(out, suffix string) bool {
	for line := range strings.Lines(out) {
		if strings.HasSuffix(strings.TrimSuffix(line, "\n"), suffix) {
			return true
		}
	}
	return false
}

// drydock's own directories (the volumes state directory with its journal,
// the default repository's data directory with its password file) are
// narrowed to 0700 when they exist with a wider mode, with a message.
func TestStateDirNarrowed(t *testing.T) {
	// No Docker: the volumes command fails after it set up its state
	// directory, which is all this test needs.
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o644))
	for _, tc := range []struct {
		name string
		dir  func(home string) string
		args func(dir string) []string
	}{
		{"volumes state dir",
			func(home string) string { return filepath.Join(home, "state") },
			func(dir string) []string { return []string{"volumes", "backup", "--state-dir", dir} }},
		{"default repository data dir",
			func(home string) string { return filepath.Join(home, ".local", "share", "drydock") },
			func(string) []string { return []string{"backup", src} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			dir := tc.dir(home)
			must(t, os.MkdirAll(dir, 0o755))
			must(t, os.Chmod(dir, 0o755))
			c := &cli{t: t, env: map[string]string{"HOME": home}}
			_, errOut, _ := c.run(tc.args(dir)...)
			fi, err := os.Stat(dir)
			must(t, err)
			if fi.Mode().Perm() != 0o700 || !strings.Contains(errOut, "restricted it to its owner") {
				t.Errorf("%s: mode %v, stderr %q; want 0700 and a message", dir, fi.Mode().Perm(), errOut)
			}
		})
	}
}

// TestDefaultRepositoryForEveryCommand: with nothing configured, backup
// creates the default repository; every other command then uses it
// (without creating it when it does not exist yet).
func TestDefaultRepositoryForEveryCommand(t *testing.T) {
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o644))
	home := t.TempDir()
	c := &cli{t: t, env: map[string]string{"HOME": home}}
	if _, errOut, code := c.run("snapshots"); code != exitNoRepo || !strings.Contains(errOut, "no repository given") {
		t.Errorf("snapshots before any backup: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "drydock")); err == nil {
		t.Error("snapshots created the default repository")
	}
	c.must("backup", src)
	if out := c.must("snapshots"); !strings.Contains(out, src) {
		t.Errorf("snapshots of the default repository:\n%s", out)
	}
	if out := c.must("check"); !strings.Contains(out, "no errors were found") {
		t.Errorf("check of the default repository:\n%s", out)
	}
}
