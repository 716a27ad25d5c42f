//go:build linux

package fsnode_test

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestMatchesRestic is the oracle test: stock restic backs up the fixture
// (plus devices, xattrs and a socket), and every node it recorded must be
// byte-identical in JSON to FromLstat's, once the fields only a backup
// fills (content, subtree) are copied over and linktarget_raw, which 0.14
// does not know, is dropped.
func TestMatchesRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, repo := t.TempDir(), t.TempDir()
	fixture.Build(t, src)
	if xattrsSupported(t, src) {
		must(t, unix.Setxattr(filepath.Join(src, "data/small.txt"), "user.drydock", []byte("x\x00y"), 0))
		must(t, unix.Setxattr(filepath.Join(src, "deep"), "user.dir", []byte("d"), 0))
	}
	if os.Geteuid() == 0 {
		must(t, unix.Mknod(filepath.Join(src, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
		must(t, unix.Mknod(filepath.Join(src, "loop"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 200))))
	}
	l, err := net.Listen("unix", filepath.Join(src, "sock"))
	must(t, err)
	defer l.Close()

	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--no-cache", "--quiet", "--repo", repo}, args...)...)
		cmd.Env = append(os.Environ(), "RESTIC_PASSWORD=fsnode")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("restic %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	run("init")
	run("backup", src)
	var snaps []struct{ Tree string }
	must(t, json.Unmarshal(run("snapshots", "--json"), &snaps))
	if len(snaps) != 1 {
		t.Fatalf("%d snapshots", len(snaps))
	}
	loadTree := func(id string) []json.RawMessage {
		var tree struct{ Nodes []json.RawMessage }
		must(t, json.Unmarshal(run("cat", "blob", id), &tree))
		return tree.Nodes
	}
	// Descend through src's ancestors (their metadata moves with parallel
	// tests, so only src and below are compared).
	tree, dir := loadTree(snaps[0].Tree), "/"
	for _, comp := range strings.Split(strings.Trim(filepath.Dir(src), "/"), "/") {
		tree, dir = loadTree(subtree(t, tree, comp)), filepath.Join(dir, comp)
	}
	compared := compareTree(t, loadTree, tree, dir, filepath.Base(src))
	if compared < 40 {
		t.Errorf("only %d nodes compared", compared)
	}
}

// subtree returns the subtree ID of the node called name in tree.
func subtree(t *testing.T, tree []json.RawMessage, name string) string {
	t.Helper()
	for _, raw := range tree {
		var n format.Node
		must(t, json.Unmarshal(raw, &n))
		if n.Name == name && n.Subtree != nil {
			return n.Subtree.String()
		}
	}
	t.Fatalf("no directory %q in restic's tree", name)
	return ""
}

// compareTree compares the nodes of tree, restic's record of directory
// dir, with FromLstat, recursively; only, if set, limits the top level to
// that one name. It returns how many nodes it compared.
func compareTree(t *testing.T, load func(string) []json.RawMessage, tree []json.RawMessage, dir, only string) int {
	t.Helper()
	var names []string
	count := 0
	for _, raw := range tree {
		var theirs format.Node
		must(t, json.Unmarshal(raw, &theirs))
		if only != "" && theirs.Name != only {
			continue
		}
		names = append(names, theirs.Name)
		p := filepath.Join(dir, theirs.Name)
		ours, err := fsnode.FromLstat(p)
		if err != nil {
			t.Errorf("%q: %v", p, err)
			continue
		}
		ours.Content, ours.Subtree, ours.LinkTargetRaw = theirs.Content, theirs.Subtree, nil
		b, err := json.Marshal(ours)
		must(t, err)
		if !bytes.Equal(b, raw) {
			t.Errorf("%q: node differs from restic's\n ours   %s\n restic %s", p, b, raw)
		}
		count++
		if theirs.Subtree != nil {
			count += compareTree(t, load, load(theirs.Subtree.String()), p, "")
		}
	}
	if only != "" {
		return count
	}
	// restic stores every entry but sockets; FromLstat must agree.
	entries, err := os.ReadDir(dir)
	must(t, err)
	var want []string
	for _, e := range entries {
		if _, err := fsnode.FromLstat(filepath.Join(dir, e.Name())); err == nil {
			want = append(want, e.Name())
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("%q: restic stored %q, FromLstat accepts %q", dir, names, want)
	}
	return count
}
