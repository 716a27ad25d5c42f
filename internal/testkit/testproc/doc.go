// Package testproc ties the servers that tests start (MinIO, sshd, rclone)
// to the test binary's life, so a test killed by its timeout leaves no
// server behind, and stops servers together with the processes they spawn.
package testproc
