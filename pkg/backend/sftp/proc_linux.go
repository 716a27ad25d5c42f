package sftp

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill ssh if drydock dies without closing
// the backend, so no orphaned ssh keeps a session open.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
