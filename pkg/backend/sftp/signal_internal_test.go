package sftp

import "syscall"

var stopSignal = syscall.SIGSTOP
