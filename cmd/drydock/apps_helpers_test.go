package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/emit"
	"github.com/drydock-backup/drydock/pkg/backup"
)

// resticDumpHash runs `restic dump SNAPSHOT FILE` and returns the sha256
// and length of what it writes, without holding it.
func (c *cli) resticDumpHash(bin, snapshot, file string) (string, int64) {
	c.t.Helper()
	cmd := exec.Command(bin, "--no-cache", "dump", snapshot, file)
	cmd.Env = append(os.Environ(), c.environ()...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	h := sha256.New()
	n, cerr := io.Copy(h, out)
	if err := cmd.Wait(); err != nil || cerr != nil {
		c.t.Fatalf("restic dump %s %s: %v %v\n%s", snapshot, file, err, cerr, errOut.String())
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

// emitHash is the sha256 of the first n bytes `testapp emit n seed` writes.
func emitHash(t testing.TB, n int64, seed uint64) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.CopyN(h, emit.Stream(seed), n); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// dumpPath is where a snapshot holds an app's dump.
func dumpPath(app, name string) string { return backup.DumpPath(app, name) }

// resticLsLine returns the `restic ls -l` line of file in the snapshot.
func (c *cli) resticLsLine(bin, snapshot, file string) string {
	c.t.Helper()
	out := c.mustRestic(bin, "ls", "-l", snapshot, file)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, " "+file) {
			return l
		}
	}
	c.t.Fatalf("restic ls -l %s: no %s in\n%s", snapshot, file, out)
	return ""
}

// mustResticRaw runs stock restic and returns its stdout alone.
func (c *cli) mustResticRaw(bin string, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(bin, append([]string{"--no-cache"}, args...)...)
	cmd.Env = append(os.Environ(), c.environ()...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("restic %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return string(out)
}

func mustUnmarshal(t testing.TB, data string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(data), v); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
}
