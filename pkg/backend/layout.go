package backend

// The default restic layout, used by every backend (local, S3, ...):
//
//	config
//	keys/<id>
//	data/<id[:2]>/<id>
//	index/<id>
//	snapshots/<id>
//	locks/<id>
//
// Paths are slash-separated and relative to the repository root; the local
// backend converts them with filepath.FromSlash, the S3 backend joins them to
// its key prefix.

// configPath is the name of the config file at the repository root.
const configPath = "config"

// Dir returns the directory that holds files of type t ("keys", "data",
// "index", "snapshots", "locks"), or "" for ConfigFile and unknown types.
func Dir(t FileType) string {
	switch t {
	case KeyFile:
		return "keys"
	case PackFile:
		return "data"
	case IndexFile:
		return "index"
	case SnapshotFile:
		return "snapshots"
	case LockFile:
		return "locks"
	}
	return ""
}

// Path returns the slash-separated path of h relative to the repository
// root. h must be valid (see Handle.Validate); Path does not check.
func Path(h Handle) string {
	switch h.Type {
	case ConfigFile:
		return configPath
	case PackFile:
		if len(h.Name) < 2 {
			return "data/" + h.Name
		}
		return "data/" + h.Name[:2] + "/" + h.Name
	}
	return Dir(h.Type) + "/" + h.Name
}

// PackSubdirs returns the 256 two-hex subdirectory names of data/, "00"
// through "ff".
func PackSubdirs() []string {
	const hex = "0123456789abcdef"
	dirs := make([]string, 0, 256)
	for i := 0; i < 256; i++ {
		dirs = append(dirs, string([]byte{hex[i>>4], hex[i&0xf]}))
	}
	return dirs
}
