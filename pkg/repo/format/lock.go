package format

import (
	"encoding/json"
	"fmt"
	"time"
)

// Lock is a locks/<id> document.
type Lock struct {
	Time      time.Time `json:"time"`
	Exclusive bool      `json:"exclusive"`
	Hostname  string    `json:"hostname"`
	Username  string    `json:"username"`
	PID       int       `json:"pid"`
	UID       uint32    `json:"uid,omitempty"`
	GID       uint32    `json:"gid,omitempty"`
	// PIDNamespace is drydock's own field (restic ignores it, and writes
	// none): the inode of the creator's PID namespace, so that a process
	// in another namespace (a container with the host's network and so its
	// host name) does not take the PID for one of its own. See
	// docs/format.md §9.
	PIDNamespace uint64 `json:"pid_namespace,omitempty"`
	// BootID is drydock's: the creator kernel's boot ID, the same in every
	// container of a machine and new at every boot, so that a PID is
	// judged only on the machine and in the boot that gave it out, never
	// on another machine of the same host name. See docs/format.md §9.
	BootID string `json:"drydock_boot_id,omitempty"`
	// Installation and Process are drydock's too: random IDs of the
	// creator's installation (its state directory) and of the process,
	// which holds a flock in that directory while it lives, so that a
	// drydock of the same installation can tell a lock of a dead one. See
	// internal/lockowner and docs/format.md §9.
	Installation string `json:"drydock_installation,omitempty"`
	Process      string `json:"drydock_process,omitempty"`
}

// EncodeLock returns the JSON plaintext of l (no trailing newline).
func EncodeLock(l *Lock) ([]byte, error) {
	c := *l
	c.Time = ClampTime(c.Time)
	return json.Marshal(&c)
}

// DecodeLock parses a lock plaintext (already decompressed).
func DecodeLock(data []byte) (*Lock, error) {
	var l Lock
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("decode lock: %w", err)
	}
	return &l, nil
}
