package archiver

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/drydock-backup/drydock/pkg/pathmatch"
)

// Exclusions are the rules of restic's backup --exclude* flags; the zero
// value excludes nothing. They apply to the entries below the targets, not
// to the targets themselves.
type Exclusions struct {
	Patterns  []string // --exclude; see Excluded
	IPatterns []string // --iexclude: like Patterns, ignoring case
	// IfPresent: a directory holding one of these markers is saved with
	// only the marker in it (--exclude-if-present, --exclude-caches).
	IfPresent []Marker
	// LargerThan, if positive, leaves out everything but directories
	// whose size is above it (--exclude-larger-than).
	LargerThan int64

	names, inames pathmatch.List // Patterns and IPatterns, parsed by compiled
}

// Marker is a file whose presence excludes the rest of its directory.
type Marker struct {
	Name   string
	Header string // if set, the file must start with it
}

// CacheMarker is the CACHEDIR.TAG of the Cache Directory Tagging
// Specification: --exclude-caches.
var CacheMarker = Marker{Name: "CACHEDIR.TAG", Header: "Signature: 8a477f597d28d172789f06886806bc55"}

// ParseMarker reads restic's --exclude-if-present value, NAME[:HEADER].
func ParseMarker(s string) Marker {
	name, header, _ := strings.Cut(s, ":")
	return Marker{Name: name, Header: header}
}

// Check returns an error naming the first malformed pattern.
func (e Exclusions) Check() error {
	if err := CheckPatterns(e.Patterns); err != nil {
		return err
	}
	return CheckPatterns(e.IPatterns)
}

// compiled returns e with its patterns parsed, once per backup, for
// byName; e was checked.
func (e Exclusions) compiled() Exclusions {
	e.names, _ = pathmatch.Parse(e.Patterns)
	e.inames, _ = pathmatch.ParseFold(e.IPatterns)
	return e
}

// byName reports whether a path is left out by its name alone; e is
// compiled.
func (e Exclusions) byName(path string) bool {
	return e.names.Match(path) || e.inames.Match(path)
}

// bySize reports whether an entry of dir is left out for its size; it
// lstats only when there is a limit.
func (e Exclusions) bySize(entry os.DirEntry) bool {
	if e.LargerThan <= 0 || entry.IsDir() {
		return false
	}
	fi, err := entry.Info()
	return err == nil && !fi.IsDir() && fi.Size() > e.LargerThan
}

// markersIn returns the markers found in dir. Of its entries only these
// markers are kept: as restic does, each marker's rule keeps the marker
// itself and leaves out everything else.
func (e Exclusions) markersIn(dir string) []string {
	var found []string
	for _, m := range e.IfPresent {
		if m.presentIn(dir) {
			found = append(found, m.Name)
		}
	}
	return found
}

func (m Marker) presentIn(dir string) bool {
	if m.Name == "" {
		return false
	}
	path := filepath.Join(dir, m.Name)
	if m.Header == "" {
		_, err := os.Lstat(path)
		return err == nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, len(m.Header))
	if _, err := io.ReadFull(f, buf); err != nil {
		return false
	}
	return bytes.Equal(buf, []byte(m.Header))
}
