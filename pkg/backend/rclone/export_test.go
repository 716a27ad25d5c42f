package rclone

import "strconv"

// PID is the process ID of b's rclone.
func PID(b *Backend) int { return b.srv.p.cmd.Process.Pid }

func Itoa(n int) string { return strconv.Itoa(n) }
