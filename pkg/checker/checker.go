package checker

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
)

// Options choose what Check does. The zero value checks structure only
// (restic check without --read-data).
type Options struct {
	// ReadData downloads and verifies every indexed pack.
	ReadData bool
	// ReadDataSubset restricts reading to a subset of the packs, in restic's
	// syntax: "n/m" (the n-th of m groups, by the pack ID's first byte) or
	// "x%" (a random x percent). Setting it implies ReadData.
	ReadDataSubset string
	// Progress, if set, is called after each pack read with the number of
	// packs read so far and the number selected. Calls are serialized.
	Progress func(done, total int)
	// Workers bounds CPU-bound work (index decoding, tree checks, pack
	// verification); 0 means GOMAXPROCS.
	Workers int
	// Downloads is the least number of packs read at once (backend
	// connections); 0 means 4. max(Downloads, min(Workers,
	// maxPacksVerified)) packs are read and verified at once.
	Downloads int
}

// maxPacksVerified caps the packs verified at once however many cores
// there are: each holds a blob sealed and open (a whole pack, up to 16 MiB
// or more with a larger --pack-size, if the pack is broken), and 8 cores
// of SHA-256 and decryption already outrun most disks.
const maxPacksVerified = 8

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Downloads <= 0 {
		o.Downloads = 4 // a few backend connections, like restic's default
	}
	if o.ReadDataSubset != "" {
		o.ReadData = true
	}
	return o
}

// Report is what Check found. Errors and Notices are sorted by message.
type Report struct {
	// Errors are problems that make data unreadable or the repository
	// inconsistent: *IndexError, *PackError, *SnapshotError, *TreeError.
	Errors []error
	// Notices are non-critical findings (restic's hints): unreferenced
	// packs, packs described by several index files, mixed packs.
	Notices []string
	// Unread are packs that could not be downloaded for --read-data (an
	// I/O error, not damage): they were not verified, so the repository's
	// state there is unknown. *PackError.
	Unread []error
	// Retention lists, under S3 Object Lock, the files whose retention
	// ends earlier than the policy asks; nil without an object lock.
	Retention *RetentionReport

	IndexFiles int   // index files listed
	Packs      int   // packs described by the index
	Snapshots  int   // snapshot files listed
	Trees      int   // distinct trees checked
	PacksRead  int   // packs downloaded and verified (ReadData)
	BlobsRead  int   // blobs opened while reading packs (ReadData)
	BytesRead  int64 // pack bytes downloaded (ReadData)

	packsReadWhole int // packs read a second time, whole, to report their damage

	hintRepairIndex, hintPrune bool // suggested by notices (see SuggestRepairIndex)
}

// OK reports whether no errors were found; notices do not count, nor do
// packs that could not be read (see Complete).
func (r *Report) OK() bool { return len(r.Errors) == 0 }

// Complete reports whether every pack to be read was read.
func (r *Report) Complete() bool { return len(r.Unread) == 0 }

// packInfo is what the index files say about one pack.
type packInfo struct {
	size   int64       // file size implied by the entries (docs/format.md §6.4)
	digest [32]byte    // of the sorted entries, to compare duplicates
	files  []format.ID // index files describing it, first one wins
}

type checker struct {
	r    *repo.Repository
	opts Options

	mu    sync.Mutex // guards rep and packs
	rep   Report
	packs map[format.ID]*packInfo
	idx   *index.Index
}

// Check verifies r as described in the package comment. It returns an
// error only if the check could not run; findings are in the Report.
func Check(ctx context.Context, r *repo.Repository, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	var subset *Subset
	if opts.ReadDataSubset != "" {
		s, err := ParseSubset(opts.ReadDataSubset)
		if err != nil {
			return nil, err
		}
		subset = &s
	}
	c := &checker{r: r, opts: opts, packs: map[format.ID]*packInfo{}, idx: index.New()}
	if err := c.loadIndex(ctx); err != nil {
		return nil, err
	}
	listed, err := c.checkPackFiles(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.checkSnapshots(ctx); err != nil {
		return nil, err
	}
	if err := c.checkRetention(ctx, listed); err != nil {
		return nil, err
	}
	if opts.ReadData {
		if err := c.readPacks(ctx, listed, subset); err != nil {
			return nil, err
		}
	}
	rep := c.rep
	byMessage := func(a, b error) int { return strings.Compare(a.Error(), b.Error()) }
	slices.SortStableFunc(rep.Errors, byMessage)
	slices.SortStableFunc(rep.Unread, byMessage)
	slices.Sort(rep.Notices)
	return &rep, nil
}

func (c *checker) addError(err error) {
	c.mu.Lock()
	c.rep.Errors = append(c.rep.Errors, err)
	c.mu.Unlock()
}

// A hint is the command a notice suggests, as restic's check --json
// summary reports it.
type hint int

const (
	hintNone hint = iota
	hintRepairIndex
	hintPrune
)

func (c *checker) addNotice(h hint, format string, args ...any) {
	c.mu.Lock()
	c.rep.Notices = append(c.rep.Notices, fmt.Sprintf(format, args...))
	switch h {
	case hintRepairIndex:
		c.rep.hintRepairIndex = true
	case hintPrune:
		c.rep.hintPrune = true
	}
	c.mu.Unlock()
}
