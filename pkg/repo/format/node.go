package format

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// NodeType is the "type" of a tree node.
type NodeType string

// Node types written by restic. Sockets exist in the format but restic
// never stores them; "irregular" appears in restic 0.17+.
const (
	NodeFile      NodeType = "file"
	NodeDir       NodeType = "dir"
	NodeSymlink   NodeType = "symlink"
	NodeDev       NodeType = "dev"
	NodeCharDev   NodeType = "chardev"
	NodeFifo      NodeType = "fifo"
	NodeSocket    NodeType = "socket"
	NodeIrregular NodeType = "irregular"
)

// Node describes one directory entry. Field order and tags are restic's
// (docs/format.md §8.2); changing either changes tree bytes and therefore tree IDs.
// Name holds the raw name; it is quoted on encode and unquoted on decode.
type Node struct {
	Name               string                     `json:"name"`
	Type               NodeType                   `json:"type"`
	Mode               os.FileMode                `json:"mode,omitempty"`
	ModTime            time.Time                  `json:"mtime"`
	AccessTime         time.Time                  `json:"atime"`
	ChangeTime         time.Time                  `json:"ctime"`
	UID                uint32                     `json:"uid"`
	GID                uint32                     `json:"gid"`
	User               string                     `json:"user,omitempty"`
	Group              string                     `json:"group,omitempty"`
	Inode              uint64                     `json:"inode,omitempty"`
	DeviceID           uint64                     `json:"device_id,omitempty"`
	Size               uint64                     `json:"size,omitempty"`
	Links              uint64                     `json:"links,omitempty"`
	LinkTarget         string                     `json:"linktarget,omitempty"`
	LinkTargetRaw      []byte                     `json:"linktarget_raw,omitempty"`
	ExtendedAttributes []ExtendedAttribute        `json:"extended_attributes,omitempty"`
	GenericAttributes  map[string]json.RawMessage `json:"generic_attributes,omitempty"`
	Device             uint64                     `json:"device,omitempty"`
	Content            IDs                        `json:"content"`
	Subtree            *ID                        `json:"subtree,omitempty"`
	Error              string                     `json:"error,omitempty"`
}

// ExtendedAttribute is one xattr; Value is base64 in JSON.
type ExtendedAttribute struct {
	Name  string `json:"name"`
	Value []byte `json:"value"`
}

// nodeJSON has Node's fields without its methods, for the default codec.
type nodeJSON Node

// QuoteName applies restic's name encoding (docs/format.md §8.4): Go-quote the name and
// drop the surrounding quotes. JSON encoding then escapes the result again.
func QuoteName(name string) string {
	q := strconv.Quote(name)
	return q[1 : len(q)-1]
}

// UnquoteName reverses QuoteName.
func UnquoteName(s string) (string, error) {
	// Most names quote to themselves; strconv.Unquote returns those
	// unchanged, so skip building its input.
	if !strings.ContainsAny(s, "\\\"\n") && utf8.ValidString(s) {
		return s, nil
	}
	return strconv.Unquote(`"` + s + `"`)
}

// MarshalJSON encodes n exactly as restic does: quoted name, clamped times,
// compact JSON with HTML escaping.
func (n Node) MarshalJSON() ([]byte, error) {
	n.Name = QuoteName(n.Name)
	n.ModTime = ClampTime(n.ModTime)
	n.AccessTime = ClampTime(n.AccessTime)
	n.ChangeTime = ClampTime(n.ChangeTime)
	return json.Marshal((*nodeJSON)(&n))
}

// UnmarshalJSON decodes a node and unquotes its name.
func (n *Node) UnmarshalJSON(b []byte) error {
	var tmp nodeJSON
	if err := json.Unmarshal(b, &tmp); err != nil {
		return err
	}
	if err := (*Node)(&tmp).unquoteName(); err != nil {
		return err
	}
	*n = Node(tmp)
	return nil
}

// unquoteName undoes QuoteName on a freshly decoded node.
func (n *Node) unquoteName() error {
	name, err := UnquoteName(n.Name)
	if err != nil {
		return fmt.Errorf("node name %q: invalid quoting: %w", n.Name, err)
	}
	n.Name = name
	return nil
}
