package checker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Print writes the report in restic's wording: notices as hints, each
// error, and "no errors were found" when there are none.
func (r *Report) Print(w io.Writer) {
	var unreferenced int
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("checked %d index files, %d packs, %d snapshots, %d trees\n", r.IndexFiles, r.Packs, r.Snapshots, r.Trees)
	if r.PacksRead > 0 {
		p("read %d packs (%d bytes), %d blobs\n", r.PacksRead, r.BytesRead, r.BlobsRead)
	}
	for _, n := range r.Notices {
		p("%s\n", n)
		if isUnreferenced(n) {
			unreferenced++
		}
	}
	if unreferenced > 0 {
		p("%d additional files were found in the repo, which likely contain duplicate data.\n", unreferenced)
		p("This is non-critical, you can run `restic prune` to correct this.\n")
	}
	for _, err := range r.Errors {
		p("error: %v\n", err)
	}
	for _, err := range r.Unread {
		p("not verified: %v\n", err)
	}
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

// MarshalJSON encodes the report with errors as objects naming the kind of
// object and its ID, plus an "ok" field: no error, and every pack to be
// read was read.
func (r *Report) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
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
	}{r.OK() && r.Complete(), toJSONAll(r.Errors), toJSONAll(r.Unread), nonNil(r.Notices), r.IndexFiles, r.Packs, r.Snapshots, r.Trees, r.PacksRead, r.BlobsRead, r.BytesRead})
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
