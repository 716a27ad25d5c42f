package prune

import (
	"fmt"
	"io"

	"github.com/drydock-backup/drydock/internal/humanize"
)

// Count is a number of blobs and their stored (sealed) bytes.
type Count struct {
	Blobs int    `json:"blobs"`
	Bytes uint64 `json:"bytes"`
}

func (c *Count) add(length uint32) {
	c.Blobs++
	c.Bytes += uint64(length)
}

func (c Count) plus(o Count) Count { return Count{c.Blobs + o.Blobs, c.Bytes + o.Bytes} }

// PackCount is a number of packs and their file bytes.
type PackCount struct {
	Packs int    `json:"packs"`
	Bytes uint64 `json:"bytes"`
}

// Stats are a plan's numbers, as restic prune prints them.
type Stats struct {
	Snapshots  int `json:"snapshots"`
	IndexFiles int `json:"index_files"`

	Used         Count     `json:"used"`         // one copy of each blob in use
	Duplicate    Count     `json:"duplicate"`    // further copies of used blobs
	Unused       Count     `json:"unused"`       // blobs no snapshot uses
	Unreferenced PackCount `json:"unreferenced"` // packs in no index file

	Repack       Count `json:"repack"`        // the packs to repack: all blobs, file bytes
	RepackRemove Count `json:"repack_remove"` // the blobs repacking drops
	Remove       Count `json:"remove"`        // blobs in packs deleted whole

	Packs PackStats `json:"packs"`
}

// PackStats count indexed packs by use and by decision.
type PackStats struct {
	Used       int `json:"used"`        // every blob used
	PartlyUsed int `json:"partly_used"` // some blobs used
	Unused     int `json:"unused"`      // no blob used

	Keep   int `json:"keep"`
	Repack int `json:"repack"`
	Remove int `json:"remove"`
	Forget int `json:"forget"` // missing from storage, dropped from the index
}

// Total is every indexed blob; its bytes include unreferenced packs.
func (s Stats) Total() Count {
	t := s.Used.plus(s.Duplicate).plus(s.Unused)
	t.Bytes += s.Unreferenced.Bytes
	return t
}

// Freed is what the plan deletes, unreferenced packs included.
func (s Stats) Freed() Count {
	f := s.Remove.plus(s.RepackRemove)
	f.Bytes += s.Unreferenced.Bytes
	return f
}

// UnusedAfter is the unused space that stays.
func (s Stats) UnusedAfter() uint64 {
	unused, gone := s.Unused.Bytes+s.Duplicate.Bytes, s.Remove.Bytes+s.RepackRemove.Bytes
	if gone > unused {
		return 0
	}
	return unused - gone
}

// Print writes the summary in restic prune's layout.
func (s Stats) Print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	total, freed := s.Total(), s.Freed()
	p("used:         %10d blobs / %s\n", s.Used.Blobs, formatBytes(s.Used.Bytes))
	if s.Duplicate.Blobs > 0 {
		p("duplicates:   %10d blobs / %s\n", s.Duplicate.Blobs, formatBytes(s.Duplicate.Bytes))
	}
	p("unused:       %10d blobs / %s\n", s.Unused.Blobs, formatBytes(s.Unused.Bytes))
	if s.Unreferenced.Packs > 0 {
		p("unreferenced:                    %s\n", formatBytes(s.Unreferenced.Bytes))
	}
	p("total:        %10d blobs / %s\n", total.Blobs, formatBytes(total.Bytes))
	p("unused size: %s of total size\n", percent(s.Unused.Bytes+s.Duplicate.Bytes, total.Bytes))
	p("\n")
	p("to repack:    %10d blobs / %s\n", s.Repack.Blobs, formatBytes(s.Repack.Bytes))
	p("this removes: %10d blobs / %s\n", s.RepackRemove.Blobs, formatBytes(s.RepackRemove.Bytes))
	p("to delete:    %10d blobs / %s\n", s.Remove.Blobs, formatBytes(s.Remove.Bytes+s.Unreferenced.Bytes))
	p("total prune:  %10d blobs / %s\n", freed.Blobs, formatBytes(freed.Bytes))
	p("remaining:    %10d blobs / %s\n", total.Blobs-freed.Blobs, formatBytes(total.Bytes-freed.Bytes))
	p("unused size after prune: %s (%s of remaining size)\n", formatBytes(s.UnusedAfter()), percent(s.UnusedAfter(), total.Bytes-freed.Bytes))
	p("\n")
	p("totally used packs: %10d\n", s.Packs.Used)
	p("partly used packs:  %10d\n", s.Packs.PartlyUsed)
	p("unused packs:       %10d\n", s.Packs.Unused)
	p("\n")
	p("to keep:      %10d packs\n", s.Packs.Keep)
	p("to repack:    %10d packs\n", s.Packs.Repack)
	p("to delete:    %10d packs\n", s.Packs.Remove)
	if s.Unreferenced.Packs > 0 {
		p("to delete:    %10d unreferenced packs\n", s.Unreferenced.Packs)
	}
	if s.Packs.Forget > 0 {
		p("to forget:    %10d missing packs\n", s.Packs.Forget)
	}
}

func percent(part, whole uint64) string {
	if whole == 0 {
		return "0.00%"
	}
	return fmt.Sprintf("%3.2f%%", 100*float64(part)/float64(whole))
}

// formatBytes prints a size with binary units, as restic does.
func formatBytes(n uint64) string { return humanize.Bytes(n, 3) }
