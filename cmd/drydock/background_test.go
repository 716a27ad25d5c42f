package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// bgDrydock is the built binary running in the background of a test that
// signals, kills or watches it while it works.
type bgDrydock struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	exited         chan struct{} // closed once it has exited
}

// startDrydock starts the binary with args and env added to the test's
// environment; t.Cleanup kills it if it still runs.
func startDrydock(t *testing.T, env []string, args ...string) *bgDrydock {
	t.Helper()
	d := &bgDrydock{cmd: exec.Command(drydockBinary(t), waitingForHostLock(args)...), exited: make(chan struct{})}
	d.cmd.Env = append(os.Environ(), env...)
	d.cmd.Stdout, d.cmd.Stderr = &d.stdout, &d.stderr
	must(t, d.cmd.Start())
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	})
	return d
}
