// Package resticjson holds the JSON shapes in which restic 0.14 prints
// snapshots and tree nodes (snapshots --json, ls --json, find --json),
// made from drydock's own types. The commands and the console both print
// through them, so that a field added to a snapshot or a node reaches every
// answer and none can drift from the others by a hand-kept copy.
// cmd/drydock's TestNodeJSONMatchesRestic compares them with stock restic.
package resticjson

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Snapshot is restic's `snapshots --json` element: the document plus its
// ID and short ID.
type Snapshot struct {
	repo.Snapshot
	ID      string `json:"id"`
	ShortID string `json:"short_id"`
}

// NewSnapshot is sn as restic prints it.
func NewSnapshot(sn repo.Snapshot) Snapshot {
	return Snapshot{Snapshot: sn, ID: sn.ID.String(), ShortID: sn.ID.Str()}
}

// MarshalJSON appends the IDs to the stored document's fields, in
// restic's order.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	doc, err := json.Marshal(s.Snapshot.Snapshot)
	if err != nil {
		return nil, err
	}
	extra := fmt.Sprintf(`,"id":%q,"short_id":%q}`, s.ID, s.ShortID)
	return append(doc[:len(doc)-1], extra...), nil
}

// Snapshots is sns as restic's snapshots --json lists them: [] when there
// are none.
func Snapshots(sns []repo.Snapshot) []Snapshot {
	out := make([]Snapshot, len(sns))
	for i, sn := range sns {
		out[i] = NewSnapshot(sn)
	}
	return out
}

// LsSnapshot is the first line of ls --json: the snapshot with the type
// fields restic 0.14 (struct_type) and 0.17 on (message_type) print.
type LsSnapshot struct{ Snapshot }

// NewLsSnapshot is sn as ls --json prints it.
func NewLsSnapshot(sn repo.Snapshot) LsSnapshot { return LsSnapshot{NewSnapshot(sn)} }

// MarshalJSON appends the type fields to the snapshot's.
func (s LsSnapshot) MarshalJSON() ([]byte, error) {
	doc, err := s.Snapshot.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return append(doc[:len(doc)-1], `,"message_type":"snapshot","struct_type":"snapshot"}`...), nil
}

// LsNode is one node line of ls --json: a fixed selection of the node's
// fields, in restic's order. Inode and message_type are restic 0.17's
// additions, which 0.14 lacks; LinkTarget is drydock's, printed since
// drydock's first ls.
type LsNode struct {
	Name        string      `json:"name"`
	Type        string      `json:"type"`
	Path        string      `json:"path"`
	UID         uint32      `json:"uid"`
	GID         uint32      `json:"gid"`
	Size        *uint64     `json:"size,omitempty"` // files only, 0 included
	Mode        os.FileMode `json:"mode,omitempty"`
	Permissions string      `json:"permissions"`
	ModTime     time.Time   `json:"mtime"`
	AccessTime  time.Time   `json:"atime"`
	ChangeTime  time.Time   `json:"ctime"`
	Inode       uint64      `json:"inode,omitempty"`
	MessageType string      `json:"message_type"`
	StructType  string      `json:"struct_type"`
	LinkTarget  string      `json:"linktarget,omitempty"`
}

// NewLsNode is node n at path p as ls --json prints it.
func NewLsNode(p string, n *format.Node) LsNode {
	j := LsNode{Name: n.Name, Type: string(n.Type), Path: p, UID: n.UID, GID: n.GID,
		Mode: n.Mode, Permissions: n.Mode.String(), ModTime: n.ModTime, AccessTime: n.AccessTime,
		ChangeTime: n.ChangeTime, Inode: n.Inode, MessageType: "node", StructType: "node", LinkTarget: n.LinkTarget}
	if n.Type == format.NodeFile {
		size := n.Size
		j.Size = &size
	}
	return j
}

// storedNode is format.Node without its methods: embedded in FindNode,
// the node's own MarshalJSON would otherwise encode the whole match.
type storedNode format.Node

// FindNode is one match of find --json: the path and permissions, then
// the stored node's fields in their order, but for those restic's find
// leaves out. Those are shadowed by fields of the same JSON name one level
// up (encoding/json prefers the shallower), which are always zero and so
// never printed.
type FindNode struct {
	Path        string `json:"path"`
	Permissions string `json:"permissions"`
	*storedNode

	Name               struct{} `json:"name,omitzero"`
	Inode              struct{} `json:"inode,omitzero"`
	ExtendedAttributes struct{} `json:"extended_attributes,omitzero"`
	Device             struct{} `json:"device,omitzero"`
	Content            struct{} `json:"content,omitzero"`
	Subtree            struct{} `json:"subtree,omitzero"`
}

// NewFindNode copies n without what it hides: find keeps its matches
// until the end, and should not keep their content lists with them.
func NewFindNode(p string, n *format.Node) FindNode {
	c := storedNode(*n)
	c.Content, c.ExtendedAttributes = nil, nil
	return FindNode{Path: p, Permissions: n.Mode.String(), storedNode: &c}
}
