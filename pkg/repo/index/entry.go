package index

import (
	"encoding/binary"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// entry is one record's fields, decoded.
type entry struct {
	pack              uint32 // pack number, treeFlag set for tree blobs
	off, length, ulen uint32
}

func (e entry) isTree() bool { return e.pack&treeFlag != 0 }

// Main records pack their fields into 13 bytes (14 in repositories of more
// than 2^23 packs), three fewer than the pending layout:
//
//   - the pack number takes 3 bytes, its top bit the tree flag, as long as
//     the index holds at most narrowPacks packs (128 TiB of 16 MiB packs);
//     beyond, merge re-encodes every record with 4-byte pack numbers;
//   - the offset takes 4 bytes;
//   - the length and the uncompressed length take 3 bytes each: data blobs
//     are at most the chunker's 8 MiB plus sealing overhead, so only huge
//     tree blobs need more. Those carry lenOverflow in the length field
//     and their real lengths in Index.overflow.
const (
	narrowPacks    = 1<<23 - 1
	narrowTreeFlag = 1 << 23
	lenOverflow    = 1<<24 - 1
)

func mainStride(wide bool) int {
	if wide {
		return mainIDLen + 14
	}
	return mainIDLen + 13
}

// overflowKey identifies a main record: one copy of a blob sits at one
// offset of one pack.
type overflowKey struct {
	id   format.ID
	pack uint32
	off  uint32
}

type overflowLens struct{ length, ulen uint32 }

func put24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
func get24(b []byte) uint32    { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 }

func putPendFields(f []byte, e entry) {
	binary.LittleEndian.PutUint32(f[0:], e.pack)
	binary.LittleEndian.PutUint32(f[4:], e.off)
	binary.LittleEndian.PutUint32(f[8:], e.length)
	binary.LittleEndian.PutUint32(f[12:], e.ulen)
}

func pendEntry(f []byte) entry {
	return entry{
		pack:   binary.LittleEndian.Uint32(f[0:]),
		off:    binary.LittleEndian.Uint32(f[4:]),
		length: binary.LittleEndian.Uint32(f[8:]),
		ulen:   binary.LittleEndian.Uint32(f[12:]),
	}
}

// putMainFields encodes e for a main store of the given width; the caller
// holds the lock.
func (x *Index) putMainFields(f []byte, wide bool, id *format.ID, e entry) {
	if wide {
		binary.LittleEndian.PutUint32(f, e.pack)
		f = f[4:]
	} else {
		n := e.pack &^ treeFlag
		if e.isTree() {
			n |= narrowTreeFlag
		}
		put24(f, n)
		f = f[3:]
	}
	binary.LittleEndian.PutUint32(f, e.off)
	if e.length < lenOverflow && e.ulen < lenOverflow {
		put24(f[4:], e.length)
		put24(f[7:], e.ulen)
		return
	}
	put24(f[4:], lenOverflow)
	put24(f[7:], 0)
	if x.overflow == nil {
		x.overflow = map[overflowKey]overflowLens{}
	}
	x.overflow[overflowKey{*id, e.pack, e.off}] = overflowLens{e.length, e.ulen}
}

// mainEntry decodes a main record of blob id; the caller holds the lock.
func (x *Index) mainEntry(id *format.ID, f []byte) entry {
	var e entry
	if x.wide {
		e.pack = binary.LittleEndian.Uint32(f)
		f = f[4:]
	} else {
		n := get24(f)
		e.pack = n &^ narrowTreeFlag
		if n&narrowTreeFlag != 0 {
			e.pack |= treeFlag
		}
		f = f[3:]
	}
	e.off = binary.LittleEndian.Uint32(f)
	e.length, e.ulen = get24(f[4:]), get24(f[7:])
	if e.length == lenOverflow {
		l := x.overflow[overflowKey{*id, e.pack, e.off}]
		e.length, e.ulen = l.length, l.ulen
	}
	return e
}
