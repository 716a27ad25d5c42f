package apprestore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/internal/heldfile"
)

// A restore creates directories beside a volume's data: the staged data,
// and after the swap the old data. It lists each in its journal before it
// creates it or moves data there: a held file (internal/heldfile) in the
// state directory's restores/. The directories a journal lists whose lock
// can be taken are the leftovers of a restore that ended without cleaning
// up (kill -9, a crash, a power cut): Sweep removes them.
const journalDir = "restores"

// leftover is one journal line: a directory drydock made beside Data, a
// volume's data directory. Keep marks one the restore left on purpose
// (data it could not put back), which is not a leftover.
type leftover struct {
	Dir  string `json:"dir"`
	Data string `json:"data"`
	Keep bool   `json:"keep,omitempty"`
}

type journal struct {
	path string
	f    *os.File
}

// openJournal starts the journal of one restore in stateDir.
func openJournal(stateDir string) (*journal, error) {
	dir := filepath.Join(stateDir, journalDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restore journal: %w", err)
	}
	p := filepath.Join(dir, randomHex()+".jsonl")
	f, err := heldfile.Create(p, "")
	if err != nil {
		return nil, fmt.Errorf("restore journal: %w", err)
	}
	return &journal{path: p, f: f}, nil
}

// add records dir, beside the data directory data, before it exists.
func (j *journal) add(data, dir string) error { return j.write(leftover{Dir: dir, Data: data}) }

// keep records that dir is left on purpose: Sweep must not remove it.
func (j *journal) keep(dir string) error { return j.write(leftover{Dir: dir, Keep: true}) }

func (j *journal) write(l leftover) error {
	if j == nil {
		return nil
	}
	b, _ := json.Marshal(l)
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("restore journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("restore journal %s: %w", j.path, err)
	}
	return nil
}

// done removes the journal: what it lists is gone (or kept).
func (j *journal) done() {
	if j == nil {
		return
	}
	os.Remove(j.path)
	j.f.Close()
}

// release closes the journal and leaves it for Sweep.
func (j *journal) release() {
	if j != nil {
		j.f.Close()
	}
}

// Sweep removes what restores that did not end cleanly left beside
// volumes' data (their journals are not locked by a live process), and
// their journals. Call it at startup, before anything is staged: their
// leftovers take the room a restore needs. It is safe while other restores
// run. It returns the directories it removed. A directory is removed only
// if a journal lists it, it is named as drydock names them beside the data
// directory it was made for, and that data directory exists: if it is
// missing (a restore killed between two renames), nothing of that volume
// is touched and the error says where its data is.
func Sweep(stateDir string, log *slog.Logger) ([]string, error) {
	dir := filepath.Join(stateDir, journalDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("restore journal: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".jsonl") || strings.HasPrefix(e.Name(), heldfile.TempPrefix) {
			continue
		}
		r, err := sweepOne(filepath.Join(dir, e.Name()), log)
		removed = append(removed, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// sweepOne cleans up after one journal unless its restore still runs.
func sweepOne(p string, log *slog.Logger) ([]string, error) {
	f, ok := heldfile.Claim(p)
	if !ok {
		return nil, nil // a live restore, or one that removed its journal meanwhile
	}
	defer f.Close()
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("restore journal: %w", err)
	}
	var removed []string
	var errs []error
	missing := map[string]bool{}
	for _, l := range leftovers(b) {
		if _, err := os.Lstat(l.Data); err != nil {
			if !missing[l.Data] {
				errs = append(errs, fmt.Errorf("an interrupted restore left volume data directory %s missing (%v); its data is in one of the directories beside it named .drydock-*: move the one to keep back to %s", l.Data, err, l.Data))
			}
			missing[l.Data] = true
			continue
		}
		if _, err := os.Lstat(l.Dir); errors.Is(err, os.ErrNotExist) {
			continue
		}
		log.Info("removing what an interrupted restore left", "dir", l.Dir)
		if err := os.RemoveAll(l.Dir); err != nil {
			errs = append(errs, fmt.Errorf("remove what an interrupted restore left: %w", err))
			continue
		}
		removed = append(removed, l.Dir)
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("restore journal %s: %w", p, errors.Join(errs...))
	}
	return removed, os.Remove(p)
}

// ourName matches the names SiblingName gives beside a data directory.
var ourName = regexp.MustCompile(`^\.drydock-(restore|old|new)-(.+)-[0-9a-f]{12}$`)

// leftovers are the directories a journal lists that are drydock's own
// (named as drydock names them, beside their data directory) and not
// kept. A line cut short by a kill is skipped: its directory was never
// made.
func leftovers(b []byte) []leftover {
	var out []leftover
	kept := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l leftover
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Dir == "" {
			continue
		}
		if l.Keep {
			kept[l.Dir] = true
			continue
		}
		m := ourName.FindStringSubmatch(filepath.Base(l.Dir))
		if m == nil || m[2] != filepath.Base(l.Data) || filepath.Dir(l.Dir) != filepath.Dir(l.Data) || !filepath.IsAbs(l.Dir) {
			continue
		}
		out = append(out, l)
	}
	return slices.DeleteFunc(out, func(l leftover) bool { return kept[l.Dir] })
}
