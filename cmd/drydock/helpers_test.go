package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	mathrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// cli runs drydock commands in-process with its own environment.
type cli struct {
	t     *testing.T
	env   map[string]string
	stdin string // what the next commands read on stdin
}

func newCLI(t *testing.T, repo string) *cli {
	return &cli{t: t, env: map[string]string{
		"RESTIC_REPOSITORY": repo,
		"RESTIC_PASSWORD":   "interop password",
		"HOME":              t.TempDir(),
		// Daemon tests schedule jobs every second or two.
		"DRYDOCK_MIN_SCHEDULE_INTERVAL": "1s",
	}}
}

// run executes one command and returns its output and exit code.
func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	g := &globalOptions{stdin: strings.NewReader(c.stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string { return c.env[k] }, environ: c.environ}
	root := newRoot(g)
	root.SetArgs(waitingForHostLock(args))
	ctx := context.Background()
	err := root.ExecuteContext(ctx)
	g.closeLockOwner()
	if err != nil {
		errOut.WriteString("drydock: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), exitCode(ctx, err)
}

// must runs a command that has to succeed.
func (c *cli) must(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("drydock %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// openRepo opens the cli's local repository at dir in-process, to act as
// another process would on it.
func (c *cli) openRepo(dir string) *repo.Repository {
	c.t.Helper()
	be, err := local.Open(c.t.Context(), dir)
	if err != nil {
		c.t.Fatal(err)
	}
	r, err := repo.Open(c.t.Context(), be, c.env["RESTIC_PASSWORD"], repo.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// environ returns the cli's environment (repository, password, HOME and
// credentials) as a child process takes it.
func (c *cli) environ() []string {
	env := make([]string, 0, len(c.env))
	for k, v := range c.env {
		env = append(env, k+"="+v)
	}
	return env
}

// restic runs stock restic against the same repository, password and
// credentials.
func (c *cli) restic(bin string, args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.Command(bin, append([]string{"--no-cache"}, args...)...)
	cmd.Env = append(os.Environ(), c.environ()...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *cli) mustRestic(bin string, args ...string) string {
	c.t.Helper()
	out, err := c.restic(bin, args...)
	if err != nil {
		c.t.Fatalf("restic %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// writeRandomFiles writes n files of size random bytes each into dir.
func writeRandomFiles(t *testing.T, dir string, n, size int) {
	t.Helper()
	rng := mathrand.NewChaCha8([32]byte{byte(n), byte(size), byte(len(dir))})
	buf := make([]byte, size)
	for i := range n {
		_, _ = rng.Read(buf)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-%03d.bin", i)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
