package prune

import (
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	"runtime"
	"strconv"
	"strings"
)

// Options choose what a prune removes. The zero value is restic's default:
// tolerate 5% unused space, no repack limit.
type Options struct {
	// MaxUnused is how much unused space may stay in partly used packs.
	MaxUnused MaxUnused
	// MaxRepackSize bounds the bytes of packs repacked (the zero value: no
	// bound).
	MaxRepackSize SizeLimit
	// RepackCacheableOnly repacks only tree packs (restic's flag).
	RepackCacheableOnly bool
	// RepackSmall counts packs below 80% of the target pack size as small
	// instead of 4% (restic's --repack-small).
	RepackSmall bool
	// RepackUncompressed repacks packs with uncompressed data blobs in a
	// version 2 repository (restic's --repack-uncompressed).
	RepackUncompressed bool
	// ForgetMissingPacks lets prune drop index entries of packs that are
	// missing from storage and hold no used blob (restic 0.14 always does;
	// we stop by default, since a pack that vanished deserves a look).
	// Missing packs with used blobs always stop prune.
	ForgetMissingPacks bool

	Workers   int          // parallel tree loads and decodes; 0 means GOMAXPROCS
	Downloads int          // packs read and deleted at once; 0 means 4
	Logger    *slog.Logger // warnings; nil discards
	// Progress, if set, is called as each step starts.
	Progress func(Stage)
	// RepackProgress, if set, is called while packs are repacked, after
	// each blob copied: the stored bytes copied so far of those to copy.
	// It may be called from several goroutines at once.
	RepackProgress func(done, total uint64)
}

// Stage names a step of a prune for progress output.
type Stage string

// The steps, in order; the strings are restic's messages.
const (
	StageLoadIndex   Stage = "loading indexes"
	StageSnapshots   Stage = "loading all snapshots"
	StageFindUsed    Stage = "finding data that is still in use"
	StageClassify    Stage = "collecting packs for deletion and repacking"
	StageRepack      Stage = "repacking packs"
	StageWriteIndex  Stage = "rebuilding index"
	StageDeleteIndex Stage = "deleting obsolete index files"
	StageDeletePacks Stage = "removing old packs"
)

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Downloads <= 0 {
		o.Downloads = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = func(Stage) {}
	}
	if o.RepackProgress == nil {
		o.RepackProgress = func(uint64, uint64) {}
	}
	return o
}

type unusedKind uint8

const (
	unusedDefault unusedKind = iota // 5%
	unusedPercent
	unusedBytes
	unusedUnlimited
)

// MaxUnused is restic's --max-unused: a percentage ("5%"), a size ("10M")
// or "unlimited". The zero value is 5%. It implements pflag.Value.
type MaxUnused struct {
	kind    unusedKind
	percent float64
	bytes   uint64
}

// ParseMaxUnused parses restic's --max-unused syntax.
func ParseMaxUnused(s string) (MaxUnused, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "unlimited":
		return MaxUnused{kind: unusedUnlimited}, nil
	case strings.HasSuffix(s, "%"):
		p, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || math.IsNaN(p) {
			return MaxUnused{}, fmt.Errorf("max unused %q: not a percentage", s)
		}
		if p < 0 || p >= 100 {
			return MaxUnused{}, fmt.Errorf("max unused %q: the percentage must be at least 0 and below 100", s)
		}
		return MaxUnused{kind: unusedPercent, percent: p}, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return MaxUnused{}, fmt.Errorf("max unused: %w (or use a percentage or 'unlimited')", err)
	}
	return MaxUnused{kind: unusedBytes, bytes: n}, nil
}

// Limit returns how many unused bytes may remain when used bytes are in
// use. A percentage is of the repository size after pruning, so p% allows
// used·p/(100−p) unused bytes, as in restic.
func (m MaxUnused) Limit(used uint64) uint64 {
	switch m.kind {
	case unusedUnlimited:
		return math.MaxUint64
	case unusedBytes:
		return m.bytes
	}
	p := m.percent
	if m.kind == unusedDefault {
		p = 5
	}
	f := p / (100 - p) * float64(used)
	if f >= math.MaxUint64 {
		return math.MaxUint64
	}
	return uint64(f)
}

func (m MaxUnused) String() string {
	switch m.kind {
	case unusedUnlimited:
		return "unlimited"
	case unusedBytes:
		return strconv.FormatUint(m.bytes, 10)
	case unusedPercent:
		return strconv.FormatFloat(m.percent, 'f', -1, 64) + "%"
	}
	return "5%"
}

// Set implements pflag.Value.
func (m *MaxUnused) Set(s string) error {
	v, err := ParseMaxUnused(s)
	if err == nil {
		*m = v
	}
	return err
}

// Type implements pflag.Value.
func (m *MaxUnused) Type() string { return "limit" }

// SizeLimit is restic's --max-repack-size: a size such as "500M". The zero
// value means no limit; a set limit of 0 repacks nothing. It implements
// pflag.Value.
type SizeLimit struct {
	bytes uint64
	set   bool
}

// MaxBytes returns a limit of n bytes.
func MaxBytes(n uint64) SizeLimit { return SizeLimit{bytes: n, set: true} }

// reached reports whether n bytes reach the limit.
func (l SizeLimit) reached(n uint64) bool { return l.set && n >= l.bytes }

func (l SizeLimit) String() string {
	if !l.set {
		return ""
	}
	return strconv.FormatUint(l.bytes, 10)
}

// Set implements pflag.Value.
func (l *SizeLimit) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	*l = MaxBytes(n)
	return nil
}

// Type implements pflag.Value.
func (l *SizeLimit) Type() string { return "size" }

// ParseSize parses a byte count with an optional binary suffix as restic
// accepts it: "123", "123b", "4k", "10M", "2g", "1T" (k = 1024).
func ParseSize(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("size: empty")
	}
	num, shift := s[:len(s)-1], uint(0)
	switch s[len(s)-1] {
	case 'b', 'B':
	case 'k', 'K':
		shift = 10
	case 'm', 'M':
		shift = 20
	case 'g', 'G':
		shift = 30
	case 't', 'T':
		shift = 40
	default:
		num = s
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional suffix b, k, m, g or t", s)
	}
	if hi, _ := bits.Mul64(n, 1<<shift); hi != 0 {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n << shift, nil
}
