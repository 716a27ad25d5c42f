//go:build !linux

package resttest

import "os/exec"

func setProcAttr(*exec.Cmd) {}
