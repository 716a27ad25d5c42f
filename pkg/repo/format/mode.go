package format

import "os"

// ModeMask is the part of os.FileMode restic stores in a node's mode.
const ModeMask = os.ModePerm | os.ModeType | os.ModeSetuid | os.ModeSetgid | os.ModeSticky

// Unix st_mode bits (the kernel's values, identical on Linux and the BSDs).
const (
	unixIFMT   = 0o170000
	unixIFSOCK = 0o140000
	unixIFLNK  = 0o120000
	unixIFREG  = 0o100000
	unixIFBLK  = 0o060000
	unixIFDIR  = 0o040000
	unixIFCHR  = 0o020000
	unixIFIFO  = 0o010000
	unixISUID  = 0o4000
	unixISGID  = 0o2000
	unixISVTX  = 0o1000
)

// ModeFromUnix converts a unix st_mode to the os.FileMode bits that restic
// stores in trees (docs/format.md §8.3): Go's type bits, not S_IFMT. An unknown file
// type maps to os.ModeIrregular.
func ModeFromUnix(st uint32) os.FileMode {
	m := os.FileMode(st & 0o777)
	switch st & unixIFMT {
	case unixIFREG:
	case unixIFDIR:
		m |= os.ModeDir
	case unixIFLNK:
		m |= os.ModeSymlink
	case unixIFBLK:
		m |= os.ModeDevice
	case unixIFCHR:
		m |= os.ModeDevice | os.ModeCharDevice
	case unixIFIFO:
		m |= os.ModeNamedPipe
	case unixIFSOCK:
		m |= os.ModeSocket
	default:
		m |= os.ModeIrregular
	}
	if st&unixISUID != 0 {
		m |= os.ModeSetuid
	}
	if st&unixISGID != 0 {
		m |= os.ModeSetgid
	}
	if st&unixISVTX != 0 {
		m |= os.ModeSticky
	}
	return m
}

// ModeToUnix is the inverse of ModeFromUnix. os.ModeIrregular and unknown
// bits yield a zero file type.
func ModeToUnix(m os.FileMode) uint32 {
	st := uint32(m.Perm())
	switch {
	case m&os.ModeDir != 0:
		st |= unixIFDIR
	case m&os.ModeSymlink != 0:
		st |= unixIFLNK
	case m&os.ModeNamedPipe != 0:
		st |= unixIFIFO
	case m&os.ModeSocket != 0:
		st |= unixIFSOCK
	case m&os.ModeDevice != 0 && m&os.ModeCharDevice != 0:
		st |= unixIFCHR
	case m&os.ModeDevice != 0:
		st |= unixIFBLK
	case m&os.ModeType == 0:
		st |= unixIFREG
	}
	if m&os.ModeSetuid != 0 {
		st |= unixISUID
	}
	if m&os.ModeSetgid != 0 {
		st |= unixISGID
	}
	if m&os.ModeSticky != 0 {
		st |= unixISVTX
	}
	return st
}
