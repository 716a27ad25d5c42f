package verify

import (
	"errors"
	"fmt"
)

// ErrMismatch matches every *Mismatch (errors.Is), and so the error
// RestoreTest returns when the restore differs from the snapshot.
var ErrMismatch = errors.New("restored data does not match the snapshot")

// Kind says what differs between a snapshot node and its restored entry.
type Kind int

// Kinds of differences.
const (
	Missing       Kind = iota + 1 // in the snapshot, not restored
	Extra                         // restored, not in the snapshot
	WrongType                     // e.g. a directory where a file should be
	WrongSize                     // file size differs from the node's
	WrongContent                  // a content range does not hash to its blob ID
	WrongLink                     // symlink target
	WrongMode                     // permission, setuid, setgid or sticky bits
	WrongModTime                  // modification time
	WrongDevice                   // device number of a device node
	NotHardlinked                 // names of one hardlinked file are separate files
)

var kindNames = map[Kind]string{
	Missing: "missing", Extra: "extra", WrongType: "type", WrongSize: "size",
	WrongContent: "content", WrongLink: "link target", WrongMode: "mode",
	WrongModTime: "mtime", WrongDevice: "device", NotHardlinked: "hardlink",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// metadata is 1 for differences in metadata only, 0 for differences in
// what is there and what it holds.
func (k Kind) metadata() int {
	if k == WrongMode || k == WrongModTime {
		return 1
	}
	return 0
}

// MarshalText makes a Kind read as its name in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Mismatch is one difference between a snapshot node and its restore.
type Mismatch struct {
	Path string `json:"path"` // in the snapshot, e.g. /srv/data/db.sqlite
	Kind Kind   `json:"kind"`
	Want string `json:"want,omitempty"` // what the snapshot says
	Got  string `json:"got,omitempty"`  // what the restore holds
}

func (m *Mismatch) Error() string {
	switch m.Kind {
	case Missing:
		return fmt.Sprintf("%q: not restored (the snapshot has a %s)", m.Path, m.Want)
	case Extra:
		return fmt.Sprintf("%q: restored but not in the snapshot (a %s)", m.Path, m.Got)
	}
	return fmt.Sprintf("%q: %s differs: got %s, want %s", m.Path, m.Kind, m.Got, m.Want)
}

// Unwrap lets errors.Is match ErrMismatch.
func (m *Mismatch) Unwrap() error { return ErrMismatch }
