//go:build !linux

package apprestore

// fsSpace is unknown here: the restore itself fails if space runs out.
func fsSpace(string) (free, size uint64, err error) { return 0, 0, nil }

// fsDevice is unknown here: each volume's room is checked alone.
func fsDevice(string) (uint64, bool) { return 0, false }
