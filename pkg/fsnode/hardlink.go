package fsnode

import (
	"sync"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// HardlinkIndex remembers, for a restore, the first path written for each
// hardlinked file, so later names of the same inode are linked to it instead
// of being written again. restic's rule (docs/format.md §11.3): file nodes with
// links > 1 and equal (device_id, inode) within the restored set are one
// file. A snapshot is untrusted, so names of one inode are linked only if
// they also have the same content list: linking names whose content the
// snapshot gives differently would put one's content under the other's
// name. The zero value is ready to use and safe for concurrent use.
type HardlinkIndex struct {
	mu    sync.Mutex
	first map[linkKey]string
	inode map[[2]uint64]string // the first path of each inode, any content
}

// linkKey is one group: an inode and the content of its names.
type linkKey struct {
	dev, ino uint64
	content  string // the blob IDs, concatenated
}

// Claim registers path for node n. It returns ("", false, nil) when path
// must be written normally: n is not a hardlinked file, or it is the first
// name of its group. Otherwise it returns the group's first path, and the
// caller must os.Link(first, path) — after the first file exists, e.g.
// once all files are written, since a concurrent writer may not have
// created it yet.
//
// A name of an inode already claimed with other content must be written
// with its own content (it heads a group of its own for later names with
// that content): Claim then also returns the inode's first path as other,
// for the caller to report that the link was not made.
func (h *HardlinkIndex) Claim(n *format.Node, path string) (first string, link bool, other string) {
	if n.Type != format.NodeFile || n.Links <= 1 {
		return "", false, ""
	}
	ino := [2]uint64{n.DeviceID, n.Inode}
	key := linkKey{dev: n.DeviceID, ino: n.Inode, content: contentKey(n.Content)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.first[key]; ok {
		return p, true, ""
	}
	if h.first == nil {
		h.first, h.inode = map[linkKey]string{}, map[[2]uint64]string{}
	}
	h.first[key] = path
	if p, ok := h.inode[ino]; ok {
		return "", false, p
	}
	h.inode[ino] = path
	return "", false, ""
}

func contentKey(ids format.IDs) string {
	b := make([]byte, 0, len(ids)*len(format.ID{}))
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	return string(b)
}
