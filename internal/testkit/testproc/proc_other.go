//go:build !linux

package testproc

import "os/exec"

// DieWithParent has no portable equivalent outside Linux.
func DieWithParent(*exec.Cmd) {}

// KillTree kills cmd's process; its children are not tracked here.
func KillTree(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
