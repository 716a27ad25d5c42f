package repotest

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Craft writes crafted trees with the project's own blob saver: trees are
// raw JSON, so that they can hold what format.EncodeTree refuses
// (duplicate names), as a hostile repository can.
type Craft struct {
	t testing.TB
	r *repo.Repository
	s *repo.BlobSaver
}

// CraftTime is the time every crafted node has.
var CraftTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (c *Craft) node(n format.Node) string {
	n.ModTime, n.AccessTime, n.ChangeTime = CraftTime, CraftTime, CraftTime
	b, err := json.Marshal(&n)
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

// Tree saves a tree of the given nodes, in this order, and returns its ID.
func (c *Craft) Tree(nodes ...string) *format.ID {
	doc := `{"nodes":[` + strings.Join(nodes, ",") + "]}\n"
	id, _, err := c.s.SaveBlob(c.t.Context(), format.TreeBlob, []byte(doc))
	if err != nil {
		c.t.Fatal(err)
	}
	return &id
}

// Symlink returns a symlink node.
func (c *Craft) Symlink(name, target string) string {
	return c.node(format.Node{Name: name, Type: format.NodeSymlink, Mode: os.ModeSymlink | 0o777, LinkTarget: target})
}

// File saves data as one blob and returns a file node holding it.
func (c *Craft) File(name string, mode os.FileMode, data string) string {
	id, _, err := c.s.SaveBlob(c.t.Context(), format.DataBlob, []byte(data))
	if err != nil {
		c.t.Fatal(err)
	}
	return c.node(format.Node{Name: name, Type: format.NodeFile, Mode: mode, Size: uint64(len(data)), Content: format.IDs{id}})
}

// Dir returns a directory node.
func (c *Craft) Dir(name string, mode os.FileMode, subtree *format.ID) string {
	return c.node(format.Node{Name: name, Type: format.NodeDir, Mode: os.ModeDir | mode, Subtree: subtree})
}

// Crafted saves the trees build makes and returns the root tree's ID.
func Crafted(t testing.TB, r *repo.Repository, build func(c *Craft) *format.ID) format.ID {
	t.Helper()
	var root *format.ID
	_, err := r.WithBlobSaver(t.Context(), func(ctx context.Context, s *repo.BlobSaver) error {
		root = build(&Craft{t: t, r: r, s: s})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	return *root
}

// Blob saves data as a data blob and returns its ID, for nodes made with
// Node.
func (c *Craft) Blob(data string) format.ID {
	id, _, err := c.s.SaveBlob(c.t.Context(), format.DataBlob, []byte(data))
	if err != nil {
		c.t.Fatal(err)
	}
	return id
}

// Node returns n as a tree entry, for what the other helpers do not make
// (hardlinks, xattrs, a size that lies).
func (c *Craft) Node(n format.Node) string { return c.node(n) }
