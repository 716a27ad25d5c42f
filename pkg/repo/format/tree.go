package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Tree is the content of a tree blob: the children of one directory.
type Tree struct {
	Nodes []*Node `json:"nodes"`
}

// EmptyTreeID is the ID of the tree of an empty directory, `{"nodes":[]}\n`.
var EmptyTreeID = Hash([]byte("{\"nodes\":[]}\n"))

var (
	// ErrInvalidName is returned for names that are not a single path
	// component.
	ErrInvalidName = errors.New("invalid node name")
	// ErrDuplicateName is returned when two nodes of a tree share a name.
	ErrDuplicateName = errors.New("duplicate node name")
	// ErrUnsorted is returned by Validate for trees not sorted by name.
	ErrUnsorted = errors.New("tree nodes are not sorted by name")
)

// ValidateName checks that name is usable as a single path component.
func ValidateName(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return fmt.Errorf("%w %q", ErrInvalidName, name)
	case strings.ContainsRune(name, '/'):
		return fmt.Errorf("%w %q: contains '/'", ErrInvalidName, name)
	}
	return nil
}

// EncodeTree returns the exact bytes restic produces for a directory with
// these children (docs/format.md §8.1): nodes sorted by raw name, joined by ',' inside
// '{"nodes":[' … ']}' and a final newline. The nodes slice is sorted in
// place. Invalid or duplicate names, and nodes restic's checker would
// reject (file without content list, dir without subtree, unknown type),
// are refused.
func EncodeTree(nodes []*Node) ([]byte, error) {
	slices.SortFunc(nodes, func(a, b *Node) int { return strings.Compare(a.Name, b.Name) })
	buf := append(make([]byte, 0, 256*len(nodes)+16), `{"nodes":[`...)
	for i, n := range nodes {
		if err := ValidateName(n.Name); err != nil {
			return nil, fmt.Errorf("encode tree: %w", err)
		}
		if err := validateNode(n); err != nil {
			return nil, fmt.Errorf("encode tree: %w", err)
		}
		if i > 0 {
			if nodes[i-1].Name == n.Name {
				return nil, fmt.Errorf("encode tree: %w %q", ErrDuplicateName, n.Name)
			}
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendNode(buf, n); err != nil {
			return nil, fmt.Errorf("encode tree: node %q: %w", n.Name, err)
		}
	}
	return append(buf, "]}\n"...), nil
}

// DecodeTree parses a tree blob plaintext. Like restic's readers it accepts
// any valid JSON layout and unsorted nodes; call Validate for strictness.
func DecodeTree(data []byte) (*Tree, error) {
	if t, ok := decodeTreeFast(data); ok {
		return t, nil
	}
	return decodeTreeJSON(data)
}

// decodeTreeJSON is DecodeTree through encoding/json, for every layout.
func decodeTreeJSON(data []byte) (*Tree, error) {
	// Decoding into nodeJSON, which has no UnmarshalJSON, lets encoding/json
	// validate the document once instead of once more per node.
	var doc struct {
		Nodes []*nodeJSON `json:"nodes"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("decode tree: %w", err)
	}
	t := &Tree{Nodes: make([]*Node, len(doc.Nodes))}
	for i, n := range doc.Nodes {
		if n == nil {
			return nil, fmt.Errorf("decode tree: node %d is null", i)
		}
		if err := (*Node)(n).unquoteName(); err != nil {
			return nil, fmt.Errorf("decode tree: %w", err)
		}
		t.Nodes[i] = (*Node)(n)
	}
	return t, nil
}

// Validate checks names, order and uniqueness, and the per-type fields
// restic's checker insists on (file content non-nil, dir subtree set).
func (t *Tree) Validate() error {
	for i, n := range t.Nodes {
		if err := ValidateName(n.Name); err != nil {
			return err
		}
		if i > 0 {
			switch c := strings.Compare(t.Nodes[i-1].Name, n.Name); {
			case c == 0:
				return fmt.Errorf("%w %q", ErrDuplicateName, n.Name)
			case c > 0:
				return fmt.Errorf("%w: %q before %q", ErrUnsorted, t.Nodes[i-1].Name, n.Name)
			}
		}
		if err := validateNode(n); err != nil {
			return err
		}
	}
	return nil
}

// validateNode checks the per-type fields restic's checker insists on.
func validateNode(n *Node) error {
	switch n.Type {
	case NodeFile:
		if n.Content == nil {
			return fmt.Errorf("file %q has a null content list (use an empty list)", n.Name)
		}
	case NodeDir:
		if n.Subtree == nil || n.Subtree.IsNull() {
			return fmt.Errorf("dir %q has no subtree", n.Name)
		}
	case NodeSymlink, NodeDev, NodeCharDev, NodeFifo, NodeSocket, NodeIrregular:
	default:
		return fmt.Errorf("node %q has unknown type %q", n.Name, n.Type)
	}
	return nil
}
