//go:build linux

package fsnode_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestRoundTrip records every entry type, passes the node through JSON as a
// repository would, restores it elsewhere and records it again: everything
// a restore must preserve has to come back.
func TestRoundTrip(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	made := makeEntries(t, src)
	xattrs := xattrsSupported(t, src)
	if xattrs {
		must(t, unix.Setxattr(filepath.Join(src, "file"), "user.k", []byte("v\x00w"), 0))
		must(t, unix.Setxattr(filepath.Join(src, "dir"), "user.d", []byte("dir"), 0))
	} else {
		t.Log("user xattrs unsupported here: not round-tripped")
	}
	if os.Geteuid() == 0 {
		must(t, unix.Lchown(filepath.Join(src, "setuid"), 1234, 5678))
		must(t, unix.Chmod(filepath.Join(src, "setuid"), 0o4755)) // chown cleared it
		must(t, unix.Lchown(filepath.Join(src, "link"), 1234, 5678))
	}
	var dirs fsnode.DirQueue
	for _, e := range made {
		s, d := filepath.Join(src, e.name), filepath.Join(dst, e.name)
		n, err := fsnode.FromLstat(s)
		must(t, err)
		n = viaJSON(t, n)
		n.AccessTime = atime // as if backed up with --with-atime
		switch n.Type {
		case format.NodeFile:
			data, err := os.ReadFile(s)
			must(t, err)
			must(t, os.WriteFile(d, data, 0o600))
		default:
			must(t, fsnode.Create(d, n))
		}
		if n.Type == format.NodeDir {
			dirs.Add(d, n)
			// content written after the dir node: its mtime changes
			must(t, os.WriteFile(filepath.Join(d, "child"), nil, 0o600))
			continue
		}
		must(t, fsnode.ApplyMetadata(d, n))
	}
	must(t, dirs.Apply(nil))

	for _, e := range made {
		t.Run(e.name, func(t *testing.T) {
			// Before FromLstat: readlink updates a symlink's atime.
			var st unix.Stat_t
			must(t, unix.Lstat(filepath.Join(dst, e.name), &st))
			if a := time.Unix(st.Atim.Unix()); !a.Equal(atime) {
				t.Errorf("atime = %v, want the node's %v", a, atime)
			}
			want, err := fsnode.FromLstat(filepath.Join(src, e.name))
			must(t, err)
			got, err := fsnode.FromLstat(filepath.Join(dst, e.name))
			must(t, err)
			type kept struct {
				Type               format.NodeType
				Mode               os.FileMode
				ModTime            time.Time
				UID, GID           uint32
				LinkTarget         string
				LinkTargetRaw      []byte
				Device             uint64
				ExtendedAttributes []format.ExtendedAttribute
			}
			w := kept{want.Type, want.Mode, want.ModTime, want.UID, want.GID, want.LinkTarget, want.LinkTargetRaw, want.Device, want.ExtendedAttributes}
			g := kept{got.Type, got.Mode, got.ModTime, got.UID, got.GID, got.LinkTarget, got.LinkTargetRaw, got.Device, got.ExtendedAttributes}
			if !reflect.DeepEqual(w, g) {
				t.Errorf("restored entry differs:\n got  %+v\n want %+v", g, w)
			}
		})
	}
}

// viaJSON encodes and decodes n like a tree blob does.
func viaJSON(t *testing.T, n *format.Node) *format.Node {
	t.Helper()
	b, err := json.Marshal(n)
	must(t, err)
	var out format.Node
	must(t, json.Unmarshal(b, &out))
	return &out
}

// TestLinkTargetFrom014 restores a non-UTF-8 target as restic 0.14 reads
// it (linktarget mangled, no linktarget_raw) and as 0.16+ writes it.
func TestLinkTargetFrom014(t *testing.T) {
	dir := t.TempDir()
	n := &format.Node{Type: format.NodeSymlink, LinkTarget: "t\ufffd", LinkTargetRaw: []byte("t\xff")}
	must(t, fsnode.Create(filepath.Join(dir, "raw"), n))
	n.LinkTargetRaw = nil
	must(t, fsnode.Create(filepath.Join(dir, "mangled"), n))
	for name, want := range map[string]string{"raw": "t\xff", "mangled": "t\ufffd"} {
		if got, err := os.Readlink(filepath.Join(dir, name)); err != nil || got != want {
			t.Errorf("%s: target %q, %v; want %q", name, got, err, want)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o600))
	for _, tc := range []struct {
		name string
		n    *format.Node
	}{
		{"f", &format.Node{Type: format.NodeDir}},       // exists, not a dir
		{"g", &format.Node{Type: format.NodeFile}},      // files are the caller's
		{"h", &format.Node{Type: format.NodeSocket}},    // never restored
		{"f", &format.Node{Type: format.NodeSymlink}},   // exists
		{"x/y", &format.Node{Type: format.NodeFifo}},    // no parent
		{"i", &format.Node{Type: format.NodeIrregular}}, // unknown
	} {
		if err := fsnode.Create(filepath.Join(dir, tc.name), tc.n); err == nil {
			t.Errorf("Create(%s, %s) succeeded", tc.name, tc.n.Type)
		}
	}
	// An existing directory is fine: restore targets often exist.
	must(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
	must(t, fsnode.Create(filepath.Join(dir, "d"), &format.Node{Type: format.NodeDir}))
	if err := fsnode.ApplyMetadata(filepath.Join(dir, "missing"), &format.Node{Type: format.NodeFile}); err == nil {
		t.Error("ApplyMetadata on a missing path succeeded")
	}
}
