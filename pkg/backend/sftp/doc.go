// Package sftp stores a restic repository on an SFTP server, reached the
// way restic reaches it: by running the system's ssh client as
// "ssh [-p PORT] [-l USER] HOST -s sftp" and speaking SFTP (through
// github.com/pkg/sftp) over its standard input and output. The user's ssh
// configuration, agent, ProxyJump and known_hosts therefore apply, and the
// repository layout on the server is restic's (config, keys/, data/XX/,
// index/, snapshots/, locks/), so restic and drydock can share it.
//
// Host keys are always verified: drydock passes -o StrictHostKeyChecking=yes
// before any user argument (ssh keeps the first value it sees), so an
// unknown or changed host key fails the connection before anything is
// written. Only a complete replacement command (Config.Command, restic's
// -o sftp.command) is run as given.
//
// One ssh process carries all requests; Config.Connections bounds how many
// run at once. When the connection breaks (the ssh process died, the server
// went away), the failing operation returns an error marked transient and
// the next operation starts a new ssh process, so the retry decorator
// (pkg/backend/retry) recovers transparently. The last lines ssh wrote
// to its standard error are part of every connection error.
//
// Save writes "<name>-tmp-<random>" in the final directory, then renames it
// into place (with the posix-rename@openssh.com extension where the server
// offers it, which replaces atomically), so a partial file never carries a
// real name; listing ignores leftovers because their names are not IDs.
package sftp
