package prune

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Errors for repositories prune cannot safely work on.
var (
	// ErrUsedPackSizeMismatch: prune refuses to run because packs that hold
	// blobs a snapshot uses do not have the size their index entries imply
	// (check reports each as checker.ErrPackSizeMismatch); their used blobs
	// may be lost, and repacking them would spread the damage.
	ErrUsedPackSizeMismatch = errors.New("packs holding used data differ in size from their index entries: prune refuses to run (run 'drydock repair index')")
	// ErrPacksMissing: indexed packs are missing from storage.
	ErrPacksMissing = errors.New("packs in the index are missing from storage")
)

// minSmallPacks is how many small packs make repacking them worthwhile;
// fewer would be repacked over and over (restic's rule).
const minSmallPacks = 10

// candidate is a pack that may be repacked.
type candidate struct {
	id   format.ID
	info *packInfo
	size uint64
}

// decide sorts every pack into keep, remove, repack or unreferenced.
func (p *Plan) decide() error {
	small := uint64(p.r.PackSize()) / 25
	if p.opts.RepackSmall {
		small = uint64(p.r.PackSize()) / 5 * 4
	}
	var candidates, smalls []candidate
	var badSize []string
	for _, id := range sortedIDs(p.listed) {
		size := uint64(p.listed[id])
		info, indexed := p.packs[id]
		switch {
		case !indexed:
			p.unref[id] = struct{}{}
			p.stats.Unreferenced.Packs++
			p.stats.Unreferenced.Bytes += size
			continue
		case size != info.size() && info.usedBlobs > 0:
			badSize = append(badSize, fmt.Sprintf("%v (stored %d bytes, index implies %d)", id.Str(), size, info.size()))
			continue
		}
		p.countPack(info)
		c := candidate{id: id, info: info, size: size}
		switch {
		case info.usedBlobs == 0:
			p.removePack(c)
		case p.opts.RepackCacheableOnly && info.typ == format.DataBlob:
			p.stats.Packs.Keep++
		case info.unusedBlobs == 0 && info.typ != format.InvalidBlob && !p.mustCompress(info):
			if size >= small {
				p.stats.Packs.Keep++
			} else {
				smalls = append(smalls, c)
			}
		default:
			candidates = append(candidates, c)
		}
	}
	if len(badSize) > 0 {
		return fmt.Errorf("%d packs: %s: %w", len(badSize), strings.Join(badSize, "; "), ErrUsedPackSizeMismatch)
	}
	if err := p.missingPacks(); err != nil {
		return err
	}
	if len(smalls) < minSmallPacks {
		p.stats.Packs.Keep += len(smalls)
	} else {
		candidates = append(candidates, smalls...)
	}
	p.selectRepack(candidates, small)
	return nil
}

// mustCompress: version 2 repositories get their tree blobs (and with
// RepackUncompressed their data blobs) compressed by repacking.
func (p *Plan) mustCompress(info *packInfo) bool {
	if p.r.Config().Version < format.Version2 || !info.uncompressed {
		return false
	}
	return info.typ == format.TreeBlob || p.opts.RepackUncompressed
}

func (p *Plan) countPack(info *packInfo) {
	switch {
	case info.usedBlobs == 0:
		p.stats.Packs.Unused++
	case info.unusedBlobs == 0:
		p.stats.Packs.Used++
	default:
		p.stats.Packs.PartlyUsed++
	}
}

func (p *Plan) removePack(c candidate) {
	p.remove[c.id] = struct{}{}
	p.stats.Packs.Remove++
	p.stats.Remove.Blobs += c.info.unusedBlobs
	p.stats.Remove.Bytes += c.info.unusedBytes
}

// missingPacks handles indexed packs that storage lacks: an error if one
// holds used blobs, otherwise forgotten if the options allow.
func (p *Plan) missingPacks() error {
	var needed, unneeded []string
	for _, id := range sortedIDs(p.packs) {
		if _, ok := p.listed[id]; ok {
			continue
		}
		info := p.packs[id]
		if info.usedBlobs > 0 {
			needed = append(needed, id.Str())
			continue
		}
		unneeded = append(unneeded, id.Str())
		p.forget[id] = struct{}{}
		p.stats.Packs.Forget++
		p.stats.Remove.Blobs += info.unusedBlobs
		p.stats.Remove.Bytes += info.unusedBytes
	}
	switch {
	case len(needed) > 0:
		return fmt.Errorf("%d packs with data that snapshots use (%s): %w", len(needed), strings.Join(needed, ", "), ErrPacksMissing)
	case len(unneeded) > 0 && !p.opts.ForgetMissingPacks:
		return fmt.Errorf("%d packs without used data (%s); allow prune to drop them from the index: %w",
			len(unneeded), strings.Join(unneeded, ", "), ErrPacksMissing)
	}
	for _, id := range unneeded {
		p.opts.Logger.Warn("dropping a missing pack from the index; it held no used data", "pack", id)
	}
	return nil
}

// selectRepack picks candidates in order of benefit until the unused space
// left is within MaxUnused or the repack budget is spent. Unlike restic
// 0.14, extra copies of used blobs count as unused space here too.
func (p *Plan) selectRepack(candidates []candidate, small uint64) {
	slices.SortFunc(candidates, func(a, b candidate) int { return compareCandidates(a, b, small) })
	limit := p.opts.MaxUnused.Limit(p.stats.Used.Bytes)
	var repacked uint64
	for _, c := range candidates {
		switch {
		case p.opts.MaxRepackSize.reached(repacked + c.size):
			p.stats.Packs.Keep++
			continue
		case c.info.typ != format.DataBlob || p.mustCompress(c.info):
			// Trees and mixed packs are always worth it, within the budget.
		case p.stats.UnusedAfter() < limit && c.size >= small:
			p.stats.Packs.Keep++
			continue
		}
		repacked += c.size
		p.repack = append(p.repack, c.id)
		p.stats.Packs.Repack++
		p.stats.Repack.Blobs += c.info.usedBlobs + c.info.unusedBlobs
		p.stats.Repack.Bytes += c.size
		p.stats.RepackRemove.Blobs += c.info.unusedBlobs
		p.stats.RepackRemove.Bytes += c.info.unusedBytes
	}
}

// compareCandidates orders repack candidates: tree and mixed packs first,
// then small packs, then by the share of unused bytes, highest first.
func compareCandidates(a, b candidate, small uint64) int {
	aData, bData := a.info.typ == format.DataBlob, b.info.typ == format.DataBlob
	if aData != bData {
		if bData {
			return -1
		}
		return 1
	}
	aSmall, bSmall := a.size < small, b.size < small
	if aSmall != bSmall {
		if aSmall {
			return -1
		}
		return 1
	}
	// unused_a/size_a > unused_b/size_b, compared as 128-bit products.
	ha, la := bits.Mul64(a.info.unusedBytes, b.size)
	hb, lb := bits.Mul64(b.info.unusedBytes, a.size)
	if c := cmp.Or(cmp.Compare(hb, ha), cmp.Compare(lb, la)); c != 0 {
		return c
	}
	return bytes.Compare(a.id[:], b.id[:])
}

func sortedIDs[V any](m map[format.ID]V) []format.ID {
	ids := make([]format.ID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b format.ID) int { return bytes.Compare(a[:], b[:]) })
	return ids
}
