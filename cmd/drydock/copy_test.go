package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// copyCLIs are a source repository A and a destination B, each with its
// own password; B's cli has A's password as the source's by the
// environment. from sets A as B's source by the environment (after B's
// init: like restic's, init refuses a source without --copy-chunker-params).
func copyCLIs(t *testing.T, locA, locB string) (a, b *cli) {
	t.Helper()
	a, b = newCLI(t, locA), newCLI(t, locB)
	a.env["RESTIC_PASSWORD"] = "source password"
	b.env["RESTIC_PASSWORD"] = "destination password"
	b.env["RESTIC_FROM_PASSWORD"] = a.env["RESTIC_PASSWORD"]
	return a, b
}

func (c *cli) from(loc string) { c.env["RESTIC_FROM_REPOSITORY"] = loc }

// repoFiles counts the files of a local repository outside locks/.
func repoFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, string(filepath.Separator)+"locks"+string(filepath.Separator)) {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustResticCheck(t *testing.T, c *cli, bin string, args ...string) {
	t.Helper()
	if out := c.mustRestic(bin, append(args, "check", "--read-data")...); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check:\n%s", out)
	}
}

// TestCopyCLI: drydock backs the fixture up into A and copies A into B;
// restic 0.14 checks B and restores the exact files from it; a second
// copy skips each snapshot and writes nothing.
func TestCopyCLI(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src := t.TempDir()
	fixture.Build(t, src)
	dirA, dirB := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B")
	a, b := copyCLIs(t, dirA, dirB)
	a.must("init")
	a.must("backup", "--tag", "one", src)
	a.must("backup", "--tag", "two", src)
	b.must("init")
	b.from(dirA)
	out := b.must("copy")
	if strings.Count(out, ": copied to ") != 2 || !strings.Contains(out, "copied 2 of 2 snapshots, skipped 0") {
		t.Fatalf("copy printed:\n%s", out)
	}
	mustResticCheck(t, b, bin)
	dst := t.TempDir()
	b.mustRestic(bin, "restore", "latest", "--target", dst)
	fixture.Compare(t, src, filepath.Join(dst, src), resticRestoreOptions)

	var sns []struct {
		ID       string   `json:"id"`
		Original string   `json:"original"`
		Tags     []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(b.mustRestic(bin, "snapshots", "--json")), &sns); err != nil {
		t.Fatal(err)
	}
	srcIDs := a.must("list", "snapshots")
	for _, sn := range sns {
		if sn.Original == "" || !strings.Contains(srcIDs, sn.Original) {
			t.Errorf("copy %s has original %q, not a snapshot of A (%s)", sn.ID, sn.Original, srcIDs)
		}
	}

	// The source's location from a file this time.
	delete(b.env, "RESTIC_FROM_REPOSITORY")
	locFile := filepath.Join(t.TempDir(), "from")
	if err := os.WriteFile(locFile, []byte(dirA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.env["RESTIC_FROM_REPOSITORY_FILE"] = locFile
	before := repoFiles(t, dirB)
	out = b.must("copy")
	if strings.Count(out, ": skipped, already in the destination as ") != 2 || !strings.Contains(out, "copied 0 of 2 snapshots, skipped 2") {
		t.Fatalf("second copy printed:\n%s", out)
	}
	if after := repoFiles(t, dirB); after != before {
		t.Errorf("second copy: %d files in B, had %d", after, before)
	}
	// restic 0.14 too sees B's snapshots as copies of A's.
	delete(b.env, "RESTIC_FROM_REPOSITORY_FILE")
	if out := b.mustRestic(bin, "copy", "--from-repo", dirA); strings.Contains(out, "copy started") {
		t.Errorf("restic copies again what drydock copied:\n%s", out)
	}
}

// TestCopyWithRestic: a repository restic 0.14 wrote is copied into one
// of drydock's, and one of drydock's into one restic made; restic checks
// both destinations.
func TestCopyWithRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src := t.TempDir()
	fixture.Build(t, src)
	for _, c := range []struct{ name, writer, dest string }{
		{"restic into drydock", "restic", "drydock"},
		{"drydock into restic", "drydock", "restic"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dirA, dirB := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B")
			a, b := copyCLIs(t, dirA, dirB)
			if c.writer == "restic" {
				a.mustRestic(bin, "init")
				a.mustRestic(bin, "backup", src)
			} else {
				a.must("init")
				a.must("backup", src)
			}
			if c.dest == "restic" {
				b.mustRestic(bin, "init")
			} else {
				b.must("init")
			}
			b.must("copy", "--from-repo", dirA, "latest")
			mustResticCheck(t, b, bin)
			dst := t.TempDir()
			b.mustRestic(bin, "restore", "latest", "--target", dst)
			fixture.Compare(t, src, filepath.Join(dst, src), resticRestoreOptions)
		})
	}
}

// TestCopyRecognisesResticCopies: snapshots restic 0.14 copied into B
// are skipped by drydock's copy, which writes nothing.
func TestCopyRecognisesResticCopies(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src := t.TempDir()
	writeRandomFiles(t, src, 2, 1000)
	dirA, dirB := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B")
	a, b := copyCLIs(t, dirA, dirB)
	a.must("init")
	a.must("backup", "--tag", "x", src)
	a.mustRestic(bin, "backup", "--host", "other", src)
	b.mustRestic(bin, "init")
	b.mustRestic(bin, "copy", "--from-repo", dirA)
	before := repoFiles(t, dirB)
	out := b.must("copy", "--from-repo", dirA)
	if strings.Count(out, ": skipped, already in the destination as ") != 2 {
		t.Errorf("drydock copies again what restic copied:\n%s", out)
	}
	if after := repoFiles(t, dirB); after != before {
		t.Errorf("%d files in B, had %d", after, before)
	}
}

// TestCopySourcePassword: the source's password from each of restic's
// flags and variables for it, never from the destination's.
func TestCopySourcePassword(t *testing.T) {
	src := t.TempDir()
	writeRandomFiles(t, src, 1, 100)
	dirA, dirB := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B")
	a, b := copyCLIs(t, dirA, dirB)
	a.must("init")
	a.must("backup", src)
	b.must("init")
	delete(b.env, "RESTIC_FROM_PASSWORD")
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(a.env["RESTIC_PASSWORD"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"flag file", nil, []string{"--from-password-file", pwFile}, 0, ""},
		{"flag command", nil, []string{"--from-password-command", "cat " + pwFile}, 0, ""},
		{"variable file", map[string]string{"RESTIC_FROM_PASSWORD_FILE": pwFile}, nil, 0, ""},
		{"variable command", map[string]string{"RESTIC_FROM_PASSWORD_COMMAND": "cat " + pwFile}, nil, 0, ""},
		{"variable", map[string]string{"RESTIC_FROM_PASSWORD": a.env["RESTIC_PASSWORD"]}, nil, 0, ""},
		{"file and command", nil, []string{"--from-password-file", pwFile, "--from-password-command", "cat " + pwFile}, exitFailure, "exclude each other"},
		{"the destination's only", nil, nil, exitFailure, "no password for the source repository"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				b.env[k] = v
				defer delete(b.env, k)
			}
			_, errOut, code := b.run(append([]string{"copy", "--from-repo", dirA}, c.args...)...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, %s; want %d and %q", code, errOut, c.code, c.want)
			}
		})
	}
}

// blobCounts counts a repository's data and tree blobs.
func blobCounts(t *testing.T, c *cli) (data, trees int) {
	t.Helper()
	for line := range strings.Lines(c.must("list", "blobs")) {
		switch {
		case strings.HasPrefix(line, "data "):
			data++
		case strings.HasPrefix(line, "tree "):
			trees++
		}
	}
	return data, trees
}

// TestCopyChunkerParams: B made with --copy-chunker-params has A's
// polynomial; after a copy, a backup of the same data into B adds no
// data blob. Without the flag the same backup adds them all.
func TestCopyChunkerParams(t *testing.T) {
	src := t.TempDir()
	writeRandomFiles(t, src, 6, 3<<20)
	for _, c := range []struct {
		name     string
		initArgs []string
		wantNew  bool
	}{
		{"copied", []string{"init", "--copy-chunker-params", "--from-password-file", "", "--from-repo", ""}, false},
		{"own polynomial", []string{"init"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dirA, dirB := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B")
			a, b := copyCLIs(t, dirA, dirB)
			a.must("init")
			a.must("backup", src)
			args := slices.Clone(c.initArgs)
			if len(args) > 1 {
				pwFile := filepath.Join(t.TempDir(), "pw")
				if err := os.WriteFile(pwFile, []byte(a.env["RESTIC_PASSWORD"]+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				args[3], args[5] = pwFile, dirA
				delete(b.env, "RESTIC_FROM_PASSWORD")
			}
			b.must(args...)
			polA, polB := catConfigPolynomial(t, a), catConfigPolynomial(t, b)
			if (polA == polB) == c.wantNew {
				t.Fatalf("polynomials %s and %s", polA, polB)
			}
			b.env["RESTIC_FROM_PASSWORD"] = a.env["RESTIC_PASSWORD"]
			b.must("copy", "--from-repo", dirA)
			data, _ := blobCounts(t, b)
			b.must("backup", "--force", src)
			after, _ := blobCounts(t, b)
			if grew := after > data; grew != c.wantNew {
				t.Errorf("backup after the copy: %d data blobs, had %d", after, data)
			}
		})
	}
}

func catConfigPolynomial(t *testing.T, c *cli) string {
	t.Helper()
	var cfg struct {
		Pol string `json:"chunker_polynomial"`
	}
	if err := json.Unmarshal([]byte(c.must("cat", "config")), &cfg); err != nil || cfg.Pol == "" {
		t.Fatalf("cat config: %v", err)
	}
	return cfg.Pol
}

// TestCopySelection: --host, --tag, --path and IDs (full, prefix,
// latest) choose what is copied.
func TestCopySelection(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	writeRandomFiles(t, d1, 1, 100)
	writeRandomFiles(t, d2, 2, 100)
	dirA := filepath.Join(t.TempDir(), "A")
	a := newCLI(t, dirA)
	a.env["RESTIC_PASSWORD"] = "source password"
	a.must("init")
	a.must("backup", "--host", "h1", "--tag", "x", d1)
	a.must("backup", "--host", "h2", "--tag", "y", d1)
	a.must("backup", "--host", "h2", "--tag", "x", d2)
	var all []struct {
		ID       string   `json:"id"`
		Hostname string   `json:"hostname"`
		Tags     []string `json:"tags"`
		Paths    []string `json:"paths"`
	}
	if err := json.Unmarshal([]byte(a.must("snapshots", "--json")), &all); err != nil || len(all) != 3 {
		t.Fatalf("snapshots: %v, %d", err, len(all))
	}
	for _, c := range []struct {
		name string
		args []string
		want []int // indexes into all
	}{
		{"all", nil, []int{0, 1, 2}},
		{"host", []string{"--host", "h2"}, []int{1, 2}},
		{"tag", []string{"--tag", "x"}, []int{0, 2}},
		{"path", []string{"--path", d1}, []int{0, 1}},
		{"host and tag", []string{"-H", "h2", "--tag", "x"}, []int{2}},
		{"full ID", []string{all[1].ID}, []int{1}},
		{"prefix", []string{all[0].ID[:8]}, []int{0}},
		{"latest", []string{"latest"}, []int{2}},
		{"latest of host", []string{"latest", "--host", "h1"}, []int{0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newCLI(t, filepath.Join(t.TempDir(), "B"))
			b.env["RESTIC_FROM_PASSWORD"] = a.env["RESTIC_PASSWORD"]
			b.must("init")
			b.must(append([]string{"copy", "--from-repo", dirA}, c.args...)...)
			var got []struct {
				Original string `json:"original"`
			}
			if err := json.Unmarshal([]byte(b.must("snapshots", "--json")), &got); err != nil {
				t.Fatal(err)
			}
			var ids, want []string
			for _, sn := range got {
				ids = append(ids, sn.Original)
			}
			for _, i := range c.want {
				want = append(want, all[i].ID)
			}
			slices.Sort(ids)
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Errorf("copied %v, want %v", ids, want)
			}
		})
	}
}

// TestCopyREST: the source on a REST server, the destination local, and
// back into another repository on the server; restic checks both.
func TestCopyREST(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	srv := resttest.Start(t, resttest.Options{})
	src := t.TempDir()
	writeRandomFiles(t, src, 3, 1<<20)
	locA, dirB := srv.Location("A"), filepath.Join(t.TempDir(), "B")
	a, b := copyCLIs(t, locA, dirB)
	a.must("init")
	a.must("backup", src)
	b.must("init")
	b.from(locA)
	b.must("copy")
	mustResticCheck(t, b, bin)
	c := newCLI(t, srv.Location("C"))
	c.env["RESTIC_FROM_PASSWORD"] = b.env["RESTIC_PASSWORD"]
	c.must("init")
	out := c.must("copy", "--from-repo", dirB)
	if !strings.Contains(out, "copied 1 of 1") {
		t.Fatalf("copy into the REST server printed:\n%s", out)
	}
	mustResticCheck(t, c, bin)
}

// TestCopyRefusals: a wrong source password (exit 12), no source, the
// destination as source (exit 1), and a source snapshot whose data is
// gone: the copy stops with the blob named, and B gets no snapshot.
func TestCopyRefusals(t *testing.T) {
	src := t.TempDir()
	writeRandomFiles(t, src, 2, 1000)
	dirA, dirB := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B")
	a, b := copyCLIs(t, dirA, dirB)
	a.must("init")
	a.must("backup", src)
	b.must("init")
	b.from(dirA)

	b.env["RESTIC_FROM_PASSWORD"] = "wrong"
	_, errOut, code := b.run("copy")
	if code != exitWrongPass || !strings.Contains(errOut, "source repository") {
		t.Errorf("wrong source password: exit %d, %s", code, errOut)
	}
	b.env["RESTIC_FROM_PASSWORD"] = a.env["RESTIC_PASSWORD"]

	delete(b.env, "RESTIC_FROM_REPOSITORY")
	if _, errOut, code := b.run("copy"); code != exitFailure || !strings.Contains(errOut, "--from-repo") {
		t.Errorf("no source: exit %d, %s", code, errOut)
	}
	for _, same := range []string{dirB, dirB + "/", filepath.Join(dirB, "..", "B")} {
		if _, errOut, code := b.run("copy", "--from-repo", same); code != exitFailure || !strings.Contains(errOut, "same repository") {
			t.Errorf("copy from %s into itself: exit %d, %s", same, code, errOut)
		}
	}
	b.env["RESTIC_FROM_REPOSITORY"] = dirA
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"copy", "--repo2", dirA}, "-r DESTINATION --from-repo SOURCE"},
		{[]string{"init", "--copy-chunker-params", "--password-file2", "x"}, "-r DESTINATION --from-repo SOURCE"},
		{[]string{"copy", "--from-repo", dirA, "--from-repository-file", dirA}, "exclude each other"},
		{[]string{"init"}, "is for --copy-chunker-params"},
	} {
		if _, errOut, code := b.run(c.args...); code != exitFailure || !strings.Contains(errOut, c.want) {
			t.Errorf("drydock %v: exit %d, %s; want exit 1 and %q", c.args, code, errOut, c.want)
		}
	}

	for line := range strings.Lines(a.must("list", "packs")) {
		pack := strings.TrimSpace(line)
		if err := os.Remove(filepath.Join(dirA, "data", pack[:2], pack)); err != nil {
			t.Fatal(err)
		}
		break
	}
	_, errOut, code = b.run("copy")
	if code != exitFailure || !strings.Contains(errOut, "blob not found") && !strings.Contains(errOut, "no such file") {
		t.Errorf("copy of a damaged snapshot: exit %d, %s", code, errOut)
	}
	if out := b.must("list", "snapshots"); out != "" {
		t.Errorf("B holds snapshots after a failed copy: %s", out)
	}
}
