package backup

import (
	"os/user"
	"strconv"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// SetOwner records the user running the backup, as restic does.
func SetOwner(sn *format.Snapshot) {
	u, err := user.Current()
	if err != nil {
		return
	}
	sn.Username = u.Username
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	sn.UID, sn.GID = uint32(uid), uint32(gid)
}
