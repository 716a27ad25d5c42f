// Package rclone reaches a repository on any storage rclone knows, as
// restic's rclone: backend does: it starts `rclone serve restic --stdio`
// for REMOTE:PATH and speaks restic's REST protocol to it over the
// process's stdin and stdout, HTTP/2 without TLS on that one pipe. The
// REST client is pkg/backend/rest's; this package owns the process.
//
// rclone runs in its own process group, so that a Ctrl-C in the terminal
// reaches drydock alone, which then releases its lock through rclone
// before it closes the pipe; and it is killed if drydock dies, so that no
// rclone outlives it.
package rclone
