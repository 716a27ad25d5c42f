package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// waitingForHostLock returns a drydock command line that, if it is a
// volumes command, waits up to 10 minutes for the host lock unless args
// give --lock-wait: every test package that stops containers of the
// engine shares its host lock (a daemon's backup in pkg/orchestrate,
// pkg/volume's own tests), and a test must wait for them rather than
// fail at once, as the flag's default of 0 would.
func waitingForHostLock(args []string) []string {
	i := slices.Index(args, "volumes")
	if i < 0 || slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--lock-wait") }) {
		return args
	}
	return slices.Concat(args[:i+1], []string{"--lock-wait", "10m"}, args[i+1:])
}

// runVolumes runs `drydock volumes ARGS...` in-process, in a command tree
// of its own (the root command does not register volumes yet), waiting
// for the host lock (waitingForHostLock).
func (c *cli) runVolumes(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	g := &globalOptions{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return c.env[k] }}
	root := &cobra.Command{Use: "drydock", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(&out)
	root.SetErr(&errOut)
	g.addFlags(root)
	root.AddCommand(newVolumesCommand(g))
	root.SetArgs(waitingForHostLock(append([]string{"volumes"}, args...)))
	ctx := context.Background()
	err := root.ExecuteContext(ctx)
	if err != nil {
		errOut.WriteString("drydock: " + err.Error() + "\n")
	}
	c.t.Logf("drydock volumes %s: exit %d\n%s%s", strings.Join(args, " "), exitCode(ctx, err), out.String(), errOut.String())
	return out.String(), errOut.String(), exitCode(ctx, err)
}

// mustVolumesJSON runs a volumes command with --json that has to succeed
// and decodes its output into v.
func (c *cli) mustVolumesJSON(v any, args ...string) {
	c.t.Helper()
	out, _, code := c.runVolumes(append([]string{"--json"}, args...)...)
	if code != 0 {
		c.t.Fatalf("drydock volumes %s: exit %d", strings.Join(args, " "), code)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("drydock volumes %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// backupJSON is the --json output of volumes backup.
type backupJSON struct {
	Apps   []appReport `json:"apps"`
	Failed int         `json:"failed"`
}

func (b backupJSON) app(t testing.TB, name string) appReport {
	t.Helper()
	for _, a := range b.Apps {
		if a.App == name {
			return a
		}
	}
	t.Fatalf("no app %s in report %+v", name, b)
	return appReport{}
}

// volFixture is a repository, a CLI with its own state directory, and a
// Docker environment whose containers must all run when the test ends.
type volFixture struct {
	*dockertest.Env
	t *testing.T
	c *cli
}

func newVolFixture(t *testing.T) *volFixture {
	t.Helper()
	env := dockertest.New(t)
	testenv.RequireOrSkip(t, os.Geteuid() == 0, "volume data under the Docker root is readable by root only: run as root")
	env.CheckRunning = true
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.env["XDG_STATE_HOME"] = t.TempDir()
	c.must("init")
	return &volFixture{Env: env, t: t, c: c}
}

// mountpoint returns the host path of a volume's data.
func (f *volFixture) mountpoint(vol string) string {
	f.t.Helper()
	v, err := f.Cli.VolumeInspect(f.t.Context(), vol)
	if err != nil {
		f.t.Fatal(err)
	}
	return v.Mountpoint
}

// seed writes n files of random content (a few KiB to 1 MiB) below dir,
// some in a subdirectory, and returns their relative paths.
func seed(t testing.TB, dir string, n int, seedVal uint64) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seedVal, 1))
	src := rand.NewChaCha8([32]byte{byte(seedVal), byte(seedVal >> 8)})
	var rel []string
	for i := range n {
		name := filepath.Join("sub", "file"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+".bin")
		if i%3 == 0 {
			name = filepath.Base(name)
		}
		data := make([]byte, 1024+rng.IntN(1<<20))
		_, _ = src.Read(data)
		writeFile(t, filepath.Join(dir, name), data)
		rel = append(rel, name)
	}
	return rel
}

func writeFile(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
}

// snapshotOf reads a directory into rel path -> content (files only; the
// test container's *.log files are returned apart: they grow all the time).
func snapshotOf(t testing.TB, dir string) (files, logs map[string][]byte) {
	t.Helper()
	files, logs = map[string][]byte{}, map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasSuffix(rel, ".log") {
			logs[rel] = b
		} else {
			files[rel] = b
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, logs
}

// compareContent checks that got holds exactly want's files, and that each
// log in got is a prefix of want's (the container appended since).
func compareContent(t testing.TB, want, got string) {
	t.Helper()
	wf, wl := snapshotOf(t, want)
	gf, gl := snapshotOf(t, got)
	for p, b := range wf {
		if g, ok := gf[p]; !ok {
			t.Errorf("%s: missing in %s", p, got)
		} else if !bytes.Equal(g, b) {
			t.Errorf("%s: content differs (%d bytes, want %d)", p, len(g), len(b))
		}
	}
	for p := range gf {
		if _, ok := wf[p]; !ok {
			t.Errorf("%s: unexpected in %s", p, got)
		}
	}
	if len(gl) == 0 {
		t.Errorf("no log of the test container in %s", got)
	}
	for p, b := range gl {
		if !bytes.HasPrefix(wl[p], b) {
			t.Errorf("%s: restored log (%d bytes) is not a prefix of the live one (%d bytes)", p, len(b), len(wl[p]))
		}
	}
}

// waitGrows waits until some *.log file below dir grows past its size now:
// the test container writes into this directory.
func waitGrows(t testing.TB, dir string) {
	t.Helper()
	size := func() int {
		_, logs := snapshotOf(t, dir)
		n := 0
		for _, b := range logs {
			n += len(b)
		}
		return n
	}
	before := size()
	if testenv.Eventually(10*time.Second, 100*time.Millisecond, func() bool { return size() > before }) {
		return
	}
	t.Errorf("the container does not write into %s any more", dir)
}
