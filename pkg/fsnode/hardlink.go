package fsnode

import (
	"sync"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// HardlinkIndex remembers, for a restore, the first path written for each
// hardlinked file, so later names of the same inode are linked to it instead
// of being written again. restic's rule (docs/format.md §11.3): file nodes with
// links > 1 and equal (device_id, inode) within the restored set are one
// file. The zero value is ready to use and safe for concurrent use.
type HardlinkIndex struct {
	mu    sync.Mutex
	first map[[2]uint64]string
}

// Claim registers path for node n. It returns ("", false) when path must be
// written normally: n is not a hardlinked file, or it is the first name of
// its group. Otherwise it returns the group's first path, and the caller
// must os.Link(first, path) — after the first file exists, e.g. once all
// files are written, since a concurrent writer may not have created it yet.
func (h *HardlinkIndex) Claim(n *format.Node, path string) (first string, link bool) {
	if n.Type != format.NodeFile || n.Links <= 1 {
		return "", false
	}
	key := [2]uint64{n.DeviceID, n.Inode}
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.first[key]; ok {
		return p, true
	}
	if h.first == nil {
		h.first = map[[2]uint64]string{}
	}
	h.first[key] = path
	return "", false
}
