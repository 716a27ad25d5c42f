package index

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Record layouts. Main records omit the first two ID bytes (implied by the
// prefix table) and pack their fields (see entry.go); pending records keep
// the whole ID and 32-bit fields.
const (
	prefixBytes = 2
	prefixCount = 1 << (8 * prefixBytes)
	mainIDLen   = format.IDSize - prefixBytes
	pendFields  = 16
	pendStride  = format.IDSize + pendFields

	treeFlag = 1 << 31 // in the pack-number field
	maxPacks = treeFlag - 1

	minMergeSize = 1 << 12
)

var (
	// ErrDuplicatePack is returned by AddPack for a pack already indexed.
	ErrDuplicatePack = errors.New("pack is already in the index")
	// ErrTooManyPacks is returned beyond 2^31-1 packs.
	ErrTooManyPacks = errors.New("index: too many packs")
)

// Location is where one copy of a blob is stored.
type Location struct {
	PackID             format.ID
	Type               format.BlobType
	Offset             uint32
	Length             uint32
	UncompressedLength uint32 // 0 if stored uncompressed
}

// PlainLength is the blob's length once opened and decompressed.
func (l Location) PlainLength() uint32 {
	if l.UncompressedLength != 0 {
		return l.UncompressedLength
	}
	return l.Length - format.SealOverhead
}

// Index maps blobs to their locations. The zero value is not usable; call
// New.
type Index struct {
	mu sync.RWMutex

	packs   store    // pack number → pack ID (format.IDSize-byte records)
	packTab []uint32 // open addressing over packs: pack number + 1, 0 = empty

	main     store                        // sorted by ID
	prefix   []uint32                     // prefixCount+1 start positions in main, nil while main is empty
	overflow map[overflowKey]overflowLens // main records whose lengths exceed 24 bits
	wide     bool                         // main records hold 4-byte pack numbers, else 3
	narrow   uint32                       // most packs 3-byte pack numbers can address

	pend    store    // unsorted recent additions
	pendTab []uint32 // open addressing over pend: record number + 1

	dupPacks int
}

// New returns an empty index.
func New() *Index {
	return &Index{
		packs:  newStore(format.IDSize),
		main:   newStore(mainStride(false)),
		pend:   newStore(pendStride),
		narrow: narrowPacks,
	}
}

// Count returns the number of blob entries (duplicates counted).
func (x *Index) Count() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.main.n + x.pend.n
}

// PackCount returns the number of indexed packs.
func (x *Index) PackCount() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.packs.n
}

// DuplicatePacks returns how many packs were skipped by AddIndexFile
// because another index file already described them (a "run repair index"
// hint in restic's check).
func (x *Index) DuplicatePacks() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.dupPacks
}

// HasPack reports whether the pack is indexed.
func (x *Index) HasPack(id format.ID) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.findPack(id)
	return ok
}

func slot(id *format.ID, mask int) int {
	return int(binary.LittleEndian.Uint64(id[8:16])) & mask
}

func (x *Index) findPack(id format.ID) (uint32, bool) {
	if len(x.packTab) == 0 {
		return 0, false
	}
	mask := len(x.packTab) - 1
	for i := slot(&id, mask); x.packTab[i] != 0; i = (i + 1) & mask {
		if n := x.packTab[i] - 1; x.packID(n) == id {
			return n, true
		}
	}
	return 0, false
}

func (x *Index) insertPackSlot(n uint32) {
	mask := len(x.packTab) - 1
	id := x.packID(n)
	i := slot(&id, mask)
	for x.packTab[i] != 0 {
		i = (i + 1) & mask
	}
	x.packTab[i] = n + 1
}

// addPackID registers a new pack and returns its number.
func (x *Index) addPackID(id format.ID) (uint32, error) {
	if _, ok := x.findPack(id); ok {
		return 0, fmt.Errorf("pack %v: %w", id, ErrDuplicatePack)
	}
	if x.packs.n >= maxPacks {
		return 0, ErrTooManyPacks
	}
	copy(x.packs.add(), id[:])
	n := uint32(x.packs.n - 1)
	// Up to 3/4 full: linear probing stays short on uniformly random
	// (SHA-256) keys, and the table costs at most 5.4 bytes per pack.
	if 4*x.packs.n > 3*len(x.packTab) {
		x.packTab = make([]uint32, max(64, 2*len(x.packTab)))
		for i := 0; i < x.packs.n; i++ {
			x.insertPackSlot(uint32(i))
		}
	} else {
		x.insertPackSlot(n)
	}
	return n, nil
}

// AddPack records every blob of a pack. It fails with ErrDuplicatePack if
// the pack is already indexed (each pack is described once, docs/format.md §6.3).
func (x *Index) AddPack(packID format.ID, blobs []format.IndexBlob) error {
	for i := range blobs {
		if t := blobs[i].Type; t != format.DataBlob && t != format.TreeBlob {
			return fmt.Errorf("pack %v blob %v: invalid type %d", packID, blobs[i].ID, t)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	n, err := x.addPackID(packID)
	if err != nil {
		return err
	}
	for i := range blobs {
		x.addPending(n, &blobs[i])
	}
	if x.pend.n >= max(minMergeSize, x.main.n/16) {
		x.merge()
	}
	return nil
}

// AddIndexFile adds every pack of a decoded index file. Packs already
// present are skipped and counted (see DuplicatePacks).
func (x *Index) AddIndexFile(f *format.Index) error {
	for _, p := range f.Packs {
		err := x.AddPack(p.ID, p.Blobs)
		if errors.Is(err, ErrDuplicatePack) {
			x.mu.Lock()
			x.dupPacks++
			x.mu.Unlock()
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (x *Index) addPending(pack uint32, b *format.IndexBlob) {
	if b.Type == format.TreeBlob {
		pack |= treeFlag
	}
	r := x.pend.add()
	copy(r, b.ID[:])
	putPendFields(r[format.IDSize:], entry{pack, b.Offset, b.Length, b.UncompressedLength})
	if 4*x.pend.n > 3*len(x.pendTab) { // 3/4 full at most, as packTab
		x.pendTab = make([]uint32, max(1024, 2*len(x.pendTab)))
		for i := 0; i < x.pend.n; i++ {
			x.insertPendSlot(i)
		}
	} else {
		x.insertPendSlot(x.pend.n - 1)
	}
}

func (x *Index) insertPendSlot(i int) {
	id := (*format.ID)(x.pend.at(i)[:format.IDSize])
	mask := len(x.pendTab) - 1
	s := slot(id, mask)
	for x.pendTab[s] != 0 {
		s = (s + 1) & mask
	}
	x.pendTab[s] = uint32(i) + 1
}

// packID returns the ID of pack number n.
func (x *Index) packID(n uint32) format.ID {
	return format.ID(x.packs.at(int(n)))
}

func (x *Index) location(e entry) Location {
	l := Location{
		PackID:             x.packID(e.pack &^ treeFlag),
		Type:               format.DataBlob,
		Offset:             e.off,
		Length:             e.length,
		UncompressedLength: e.ulen,
	}
	if e.isTree() {
		l.Type = format.TreeBlob
	}
	return l
}

// Compact merges pending additions into the sorted part. Calling it after
// a bulk load minimizes memory; it is never required for correctness.
func (x *Index) Compact() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.merge()
}

// merge rebuilds the main store from main ∪ pending in ID order, prefix
// by prefix.
func (x *Index) merge() {
	if x.pend.n == 0 {
		return
	}
	// Widen pack numbers once the pack count needs it: every record is
	// then re-encoded instead of copied.
	m := merger{x: x, wide: x.wide || uint32(x.packs.n) > x.narrow}
	m.out = newStore(mainStride(m.wide))
	order := x.pendingOrder()
	prefix := make([]uint32, prefixCount+1)
	for p := range prefixCount {
		prefix[p] = uint32(m.out.n)
		order = order[m.mergePrefix(p, order):]
	}
	prefix[prefixCount] = uint32(m.out.n)
	x.main, x.prefix, x.wide = m.out, prefix, m.wide
	x.pend, x.pendTab = newStore(pendStride), nil
}

// pendingOrder returns the pending record numbers in ID order. It sorts by
// a big-endian 8-byte key first: integer compares, no record access for
// all but (astronomically rare) ties.
func (x *Index) pendingOrder() []uint32 {
	type sortKey struct {
		key uint64
		idx uint32
	}
	keys := make([]sortKey, x.pend.n)
	for i := range keys {
		keys[i] = sortKey{binary.BigEndian.Uint64(x.pend.at(i)), uint32(i)}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return bytes.Compare(x.pend.at(int(a.idx)), x.pend.at(int(b.idx)))
	})
	order := make([]uint32, len(keys))
	for i, k := range keys {
		order[i] = k.idx
	}
	return order
}

// mainRange returns the positions [lo, hi) of prefix p's records in main.
func (x *Index) mainRange(p int) (lo, hi int) {
	if x.prefix == nil {
		return 0, 0
	}
	return int(x.prefix[p]), int(x.prefix[p+1])
}

// mainAfter returns the first position in [lo, hi) of main whose record
// sorts after key (the ID without its prefix bytes), or hi. Records are
// in pages, not in one Go slice, so the search is over positions.
func (x *Index) mainAfter(lo, hi int, key []byte) int {
	return lo + sort.Search(hi-lo, func(i int) bool {
		return bytes.Compare(x.main.at(lo + i)[:mainIDLen], key) > 0
	})
}

// A merger writes the new main store of one merge.
type merger struct {
	x    *Index
	out  store
	wide bool // out's pack numbers are 4 bytes
}

// mergePrefix appends prefix p's main records and the pending ones at the
// head of order that share the prefix, in ID order, a pending record after
// main records of the same ID. It returns how many of order it took.
func (m *merger) mergePrefix(p int, order []uint32) int {
	lo, hi := m.x.mainRange(p)
	taken := 0
	for _, i := range order {
		pr := m.x.pend.at(int(i))
		if int(pr[0])<<8|int(pr[1]) != p {
			break
		}
		// Bulk-copy the main records that sort before it, then insert it.
		pos := m.x.mainAfter(lo, hi, pr[prefixBytes:format.IDSize])
		m.copyMain(p, lo, pos)
		m.addPending(pr)
		lo = pos
		taken++
	}
	m.copyMain(p, lo, hi)
	return taken
}

// copyMain appends main records [lo, hi) of prefix p: as they are, or
// re-encoded when the merge widens pack numbers.
func (m *merger) copyMain(p, lo, hi int) {
	x := m.x
	if m.wide == x.wide {
		m.out.appendRange(&x.main, lo, hi)
		return
	}
	id := format.ID{byte(p >> 8), byte(p)}
	for i := lo; i < hi; i++ {
		r := x.main.at(i)
		copy(id[prefixBytes:], r[:mainIDLen])
		o := m.out.add()
		copy(o, r[:mainIDLen])
		x.putMainFields(o[mainIDLen:], m.wide, &id, x.mainEntry(&id, r[mainIDLen:]))
	}
}

// addPending appends pending record pr in main's layout.
func (m *merger) addPending(pr []byte) {
	r := m.out.add()
	copy(r, pr[prefixBytes:format.IDSize])
	m.x.putMainFields(r[mainIDLen:], m.wide, (*format.ID)(pr[:format.IDSize]), pendEntry(pr[format.IDSize:]))
}

// Has reports whether the blob is indexed.
func (x *Index) Has(h format.BlobHandle) bool {
	found := false
	x.each(h, func(Location) bool { found = true; return false })
	return found
}

// Lookup returns one location of the blob.
func (x *Index) Lookup(h format.BlobHandle) (Location, bool) {
	var loc Location
	found := false
	x.each(h, func(l Location) bool { loc, found = l, true; return false })
	return loc, found
}

// LookupAll appends every location of the blob to dst.
func (x *Index) LookupAll(h format.BlobHandle, dst []Location) []Location {
	x.each(h, func(l Location) bool { dst = append(dst, l); return true })
	return dst
}

// each calls fn for every location of h until fn returns false.
func (x *Index) each(h format.BlobHandle, fn func(Location) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	wantTree := h.Type == format.TreeBlob
	if x.prefix != nil {
		p := int(h.ID[0])<<8 | int(h.ID[1])
		lo, hi := int(x.prefix[p]), int(x.prefix[p+1])
		key := h.ID[prefixBytes:]
		// Manual binary search: records are not in a Go slice.
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if bytes.Compare(x.main.at(mid)[:mainIDLen], key) < 0 {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		for i := lo; i < int(x.prefix[p+1]); i++ {
			r := x.main.at(i)
			if !bytes.Equal(r[:mainIDLen], key) {
				break
			}
			if e := x.mainEntry(&h.ID, r[mainIDLen:]); e.isTree() == wantTree && !fn(x.location(e)) {
				return
			}
		}
	}
	if len(x.pendTab) > 0 {
		mask := len(x.pendTab) - 1
		for s := slot(&h.ID, mask); x.pendTab[s] != 0; s = (s + 1) & mask {
			r := x.pend.at(int(x.pendTab[s] - 1))
			if [format.IDSize]byte(r[:format.IDSize]) != h.ID {
				continue
			}
			if e := pendEntry(r[format.IDSize:]); e.isTree() == wantTree && !fn(x.location(e)) {
				return
			}
		}
	}
}
