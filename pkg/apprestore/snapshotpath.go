package apprestore

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// SnapshotPathOf finds the path of snapshot sn that holds volume name:
// the volume's mountpoint now, else a .../<name>/_data path (the Docker
// root moved), else the lone path of a snapshot tagged volume=<name>.
// The CLI and the console resolve a volume's Target with it.
func SnapshotPathOf(sn repo.Snapshot, name, mountpoint string) (string, error) {
	if slices.Contains(sn.Paths, mountpoint) {
		return mountpoint, nil
	}
	var cands []string
	for _, p := range sn.Paths {
		if path.Base(p) == "_data" && path.Base(path.Dir(p)) == name {
			cands = append(cands, p)
		}
	}
	if len(cands) == 1 {
		return cands[0], nil
	}
	// A snapshot of the app's one volume: its one path besides the app's
	// own directory (dumps, definition).
	vols := slices.DeleteFunc(slices.Clone(sn.Paths), func(p string) bool { return strings.HasPrefix(p, backup.AppRoot+"/") })
	if len(vols) == 1 && slices.Contains(sn.Tags, "volume="+name) {
		return vols[0], nil
	}
	return "", fmt.Errorf("snapshot %s (paths %v) holds no copy of volume %s (mountpoint %s): pick one tagged volume=%s in drydock snapshots",
		sn.ID.Str(), sn.Paths, name, mountpoint, name)
}
