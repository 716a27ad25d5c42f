package checker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Print writes the report in restic's wording: notices as hints, each
// error, and "no errors were found" when there are none.
func (r *Report) Print(w io.Writer) {
	var unreferenced int
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("checked %d index files, %d packs, %d snapshots, %d trees\n", r.IndexFiles, r.Packs, r.Snapshots, r.Trees)
	if r.PacksRead > 0 {
		p("read %d packs (%s), %d blobs\n", r.PacksRead, humanize.Bytes(uint64(r.BytesRead), 3), r.BlobsRead)
	}
	for _, n := range r.Notices {
		p("%s\n", n)
		if isUnreferenced(n) {
			unreferenced++
		}
	}
	if unreferenced > 0 {
		p("%d additional files were found in the repo, which likely contain duplicate data.\n", unreferenced)
		p("This is non-critical, you can run `drydock prune` to correct this.\n")
	}
	for _, err := range r.Errors {
		p("error: %v\n", err)
	}
	for _, err := range r.Unread {
		p("not verified: %v\n", err)
	}
	r.Retention.Print(w)
	switch {
	case !r.OK():
		p("repository contains errors (%d)\n", len(r.Errors))
	case !r.Complete():
		p("no errors were found in what could be read; %d packs could not be read and were not verified\n", len(r.Unread))
	default:
		p("no errors were found\n")
	}
}

func isUnreferenced(notice string) bool {
	return strings.HasSuffix(notice, unreferencedSuffix)
}

// jsonError is an error in the JSON form of a Report.
type jsonError struct {
	Kind     string `json:"kind"` // index, pack, snapshot, tree, other
	Message  string `json:"message"`
	Index    string `json:"index,omitempty"`
	Pack     string `json:"pack,omitempty"`
	Blob     string `json:"blob,omitempty"`
	Snapshot string `json:"snapshot,omitempty"`
	Tree     string `json:"tree,omitempty"`
	Path     string `json:"path,omitempty"`
}

// SuggestRepairIndex says whether repair index would mend what was found:
// an index file that cannot be read, index files that disagree, or a pack
// described by several of them.
func (r *Report) SuggestRepairIndex() bool {
	return r.hintRepairIndex || slices.ContainsFunc(r.Errors, func(err error) bool {
		var ie *IndexError
		return errors.As(err, &ie) || errors.Is(err, ErrIndexInconsistent)
	})
}

// SuggestPrune says whether prune would tidy what was found: packs no
// index lists, or packs that mix data and tree blobs.
func (r *Report) SuggestPrune() bool { return r.hintPrune }

// BrokenPacks are the packs whose content is damaged (a blob that does not
// authenticate or decode, a wrong size, index entries that do not tile
// it), sorted: restic's check names them for its repair packs. A missing
// pack is not among them (nothing is left to repair), nor one that could
// not be downloaded.
func (r *Report) BrokenPacks() []format.ID {
	var ids []format.ID
	for _, err := range r.Errors {
		var pe *PackError
		if errors.As(err, &pe) && !errors.Is(err, ErrPackMissing) && !errors.Is(err, ErrIndexInconsistent) {
			ids = append(ids, pe.Pack)
		}
	}
	slices.SortFunc(ids, func(a, b format.ID) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(ids)
}

// MarshalJSON encodes the report with errors as objects naming the kind of
// object and its ID, plus an "ok" field: no error, and every pack to be
// read was read. It carries restic 0.19's summary fields too (message_type
// "summary", num_errors, broken_packs, suggest_repair_index,
// suggest_prune), so that a script written for restic's check --json reads it.
func (r *Report) MarshalJSON() ([]byte, error) {
	broken := []string{}
	for _, id := range r.BrokenPacks() {
		broken = append(broken, id.String())
	}
	return json.Marshal(struct {
		MessageType        string   `json:"message_type"`
		NumErrors          int      `json:"num_errors"`
		BrokenPacks        []string `json:"broken_packs"`
		SuggestRepairIndex bool     `json:"suggest_repair_index"`
		SuggestPrune       bool     `json:"suggest_prune"`

		OK         bool        `json:"ok"`
		Errors     []jsonError `json:"errors"`
		Unread     []jsonError `json:"unread"`
		Notices    []string    `json:"notices"`
		IndexFiles int         `json:"index_files"`
		Packs      int         `json:"packs"`
		Snapshots  int         `json:"snapshots"`
		Trees      int         `json:"trees"`
		PacksRead  int         `json:"packs_read"`
		BlobsRead  int         `json:"blobs_read"`
		BytesRead  int64       `json:"bytes_read"`

		Retention *retentionJSON `json:"retention,omitempty"`
	}{"summary", len(r.Errors), broken, r.SuggestRepairIndex(), r.SuggestPrune(),
		r.OK() && r.Complete(), toJSONAll(r.Errors), toJSONAll(r.Unread), nonNil(r.Notices), r.IndexFiles, r.Packs, r.Snapshots, r.Trees, r.PacksRead, r.BlobsRead, r.BytesRead,
		r.Retention.toJSON()})
}

// toJSONAll encodes errs, an empty list if there are none.
func toJSONAll(errs []error) []jsonError {
	out := make([]jsonError, 0, len(errs))
	for _, err := range errs {
		out = append(out, toJSON(err))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toJSON(err error) jsonError {
	j := jsonError{Kind: "other", Message: err.Error()}
	var (
		ie *IndexError
		pe *PackError
		se *SnapshotError
		te *TreeError
	)
	switch {
	case errors.As(err, &ie):
		j.Kind, j.Index = "index", ie.File.String()
	case errors.As(err, &pe):
		j.Kind, j.Pack = "pack", pe.Pack.String()
		if pe.Blob != nil {
			j.Blob = pe.Blob.Type.String() + "/" + pe.Blob.ID.String()
		}
	case errors.As(err, &se):
		j.Kind, j.Snapshot = "snapshot", se.Snapshot.String()
	case errors.As(err, &te):
		j.Kind, j.Tree, j.Snapshot, j.Path = "tree", te.Tree.String(), te.Snapshot.String(), te.Path
	}
	return j
}
