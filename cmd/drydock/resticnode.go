package main

import (
	"os"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// The --json shapes of a tree node, as restic 0.14 prints them. ls and find
// show the same stored node differently, and so do we: both are made here,
// from format.Node, so that a field added to the node reaches find (which
// shows every stored field but a few) and neither command can drift from
// the other by a hand-kept copy. TestNodeJSONMatchesRestic compares both
// with stock restic, command by command.

// lsNodeJSON is one node line of ls --json: a fixed selection of the node's
// fields, in restic's order. Inode and message_type are restic 0.17's
// additions, which 0.14 lacks; LinkTarget is drydock's, printed since
// drydock's first ls.
type lsNodeJSON struct {
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

func newLsNodeJSON(p string, n *format.Node) lsNodeJSON {
	j := lsNodeJSON{Name: n.Name, Type: string(n.Type), Path: p, UID: n.UID, GID: n.GID,
		Mode: n.Mode, Permissions: n.Mode.String(), ModTime: n.ModTime, AccessTime: n.AccessTime,
		ChangeTime: n.ChangeTime, Inode: n.Inode, MessageType: "node", StructType: "node", LinkTarget: n.LinkTarget}
	if n.Type == format.NodeFile {
		size := n.Size
		j.Size = &size
	}
	return j
}

// storedNode is format.Node without its methods: embedded in findNodeJSON,
// the node's own MarshalJSON would otherwise encode the whole match.
type storedNode format.Node

// findNodeJSON is one match of find --json: the path and permissions, then
// the stored node's fields in their order, but for those restic's find
// leaves out. Those are shadowed by fields of the same JSON name one level
// up (encoding/json prefers the shallower), which are always zero and so
// never printed.
type findNodeJSON struct {
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

// newFindNodeJSON copies n without what it hides: find keeps its matches
// until the end, and should not keep their content lists with them.
func newFindNodeJSON(p string, n *format.Node) findNodeJSON {
	c := storedNode(*n)
	c.Content, c.ExtendedAttributes = nil, nil
	return findNodeJSON{Path: p, Permissions: n.Mode.String(), storedNode: &c}
}
