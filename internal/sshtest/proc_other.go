//go:build !linux

package sshtest

import (
	"os/exec"
	"syscall"
)

func procAttr() *syscall.SysProcAttr { return nil }

func killTree(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
