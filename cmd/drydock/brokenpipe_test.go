package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestClosedPipeLeavesNoLock: drydock ls latest | head -1. The reader
// goes away while ls still writes under its lock: drydock ends as a
// program killed by SIGPIPE does, and its lock is gone with it.
func TestClosedPipeLeavesNoLock(t *testing.T) {
	src, dir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	// Far more listing than a pipe buffers (64 KiB), so ls is still
	// writing when its reader leaves.
	for i := range 3000 {
		must(t, os.WriteFile(filepath.Join(src, fmt.Sprintf("a-rather-long-file-name-to-fill-the-pipe-%05d", i)), nil, 0o644))
	}
	c := newCLI(t, dir)
	c.must("init")
	c.must("backup", src)

	for _, args := range [][]string{{"ls", "latest"}, {"find", "*"}} {
		cmd := exec.Command(drydockBinary(t), args...)
		cmd.Env = append(os.Environ(), c.environ()...)
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
			t.Fatalf("%s: first line: %v", strings.Join(args, " "), err)
		}
		out.Close()
		err = cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGPIPE {
			t.Errorf("drydock %s whose reader left: %v, want death by SIGPIPE as before", strings.Join(args, " "), err)
		}
		locks, err := os.ReadDir(filepath.Join(dir, "locks"))
		must(t, err)
		if len(locks) != 0 {
			t.Errorf("drydock %s whose reader left kept %d lock file(s)", strings.Join(args, " "), len(locks))
		}
	}
}
