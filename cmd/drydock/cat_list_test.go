package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// TestCatListAsRestic: list and cat print what restic 0.14 prints, on a
// repository drydock wrote and on one restic wrote.
func TestCatListAsRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	for _, writer := range []string{"drydock", "restic"} {
		t.Run(writer, func(t *testing.T) {
			src, dir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
			fixture.Build(t, src)
			c := newCLI(t, dir)
			if writer == "drydock" {
				c.must("init")
				c.must("backup", src)
			} else {
				c.mustRestic(bin, "init")
				c.mustRestic(bin, "backup", src)
			}
			// Another host's shared lock: there is a lock to list and cat,
			// and neither tool's own lock is in the way.
			other := repotest.OtherExclusive()
			other.Exclusive = false
			repotest.SaveLock(t, c.openRepo(dir), other)

			for _, typ := range []string{"blobs", "packs", "index", "snapshots", "keys", "locks"} {
				want, got := lines(c.mustRestic(bin, "list", typ)), lines(c.must("list", typ))
				if len(want) == 0 || !slices.Equal(want, got) {
					t.Errorf("list %s: drydock printed %d lines %q, restic %d %q", typ, len(got), got, len(want), want)
				}
			}
			first := func(typ string) string { return lines(c.must("list", typ))[0] }
			sameJSON := map[string][]string{
				"config": {"cat", "config"}, "masterkey": {"cat", "masterkey"},
				"snapshot": {"cat", "snapshot", first("snapshots")}, "index": {"cat", "index", first("index")},
				"key": {"cat", "key", first("keys")}, "lock": {"cat", "lock", first("locks")},
			}
			for name, args := range sameJSON {
				a, b := jsonValue(t, c.mustRestic(bin, args...)), jsonValue(t, c.must(args...))
				if name == "masterkey" {
					clampR(t, b) // restic 0.14 prints r clamped, as it holds it
				}
				if !resticFieldsEqual(a, b) {
					t.Errorf("cat %s: drydock printed\n%v\nrestic\n%v", name, b, a)
				}
				if out := c.must(args...); !strings.HasPrefix(out, "{\n  \"") && name != "index" {
					t.Errorf("cat %s is not indented as restic's: %.40q", name, out)
				}
			}
			pack := first("packs")
			if a, b := c.mustRestic(bin, "cat", "pack", pack), c.must("cat", "pack", pack[:8]); a != b || len(a) == 0 {
				t.Errorf("cat pack: drydock printed %d bytes, restic %d, or they differ", len(b), len(a))
			}
			// A few of each type: every restic run derives the key anew.
			var sample []string
			for _, typ := range []string{"data", "tree"} {
				all := slices.DeleteFunc(lines(c.must("list", "blobs")), func(l string) bool { return !strings.HasPrefix(l, typ+" ") })
				sample = append(sample, all[:min(3, len(all))]...)
			}
			for _, line := range sample {
				_, id, _ := strings.Cut(line, " ")
				if a, b := c.mustRestic(bin, "cat", "blob", id), c.must("cat", "blob", id); a != b {
					t.Errorf("cat blob %s: drydock printed %d bytes, restic %d, or they differ", line, len(b), len(a))
				}
			}
			// cat tree (restic 0.19's) is the snapshot's tree blob, and a
			// directory's below it.
			var sn struct{ Tree string }
			json.Unmarshal([]byte(c.must("cat", "snapshot", "latest")), &sn)
			root := c.must("cat", "tree", "latest")
			if want := c.mustRestic(bin, "cat", "blob", sn.Tree); root != want {
				t.Errorf("cat tree latest is not the snapshot's tree %s:\n%.200s", sn.Tree, root)
			}
			var tree format.Tree
			if err := json.Unmarshal([]byte(root), &tree); err != nil || len(tree.Nodes) == 0 || tree.Nodes[0].Subtree == nil {
				t.Fatalf("root tree %v: %.200s", err, root)
			}
			sub := c.must("cat", "tree", "latest:/"+tree.Nodes[0].Name)
			if want := c.mustRestic(bin, "cat", "blob", tree.Nodes[0].Subtree.String()); sub != want {
				t.Errorf("cat tree latest:/%s is not its subtree", tree.Nodes[0].Name)
			}
		})
	}
}

func TestCatListBadInput(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cat"}, "cat needs a type"},
		{[]string{"cat", "nonsense", "x"}, `unknown type "nonsense"`},
		{[]string{"cat", "snapshot"}, "cat snapshot needs an ID"},
		{[]string{"cat", "config", "abc"}, "cat config takes no ID"},
		{[]string{"cat", "blob", "abc"}, "not a blob ID"},
		{[]string{"cat", "index", "zz"}, "not an ID or a prefix"},
		{[]string{"cat", "lock", "00"}, `no lock file has an ID starting with "00"`},
		{[]string{"cat", "blob", strings.Repeat("0", 64)}, "not in the index"},
		{[]string{"list"}, "list needs one type"},
		{[]string{"list", "blob"}, `unknown type "blob"`},
		{[]string{"list", "packs", "extra"}, "list needs one type"},
	} {
		out, errOut, code := c.run(tc.args...)
		if code != exitFailure || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("drydock %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}

// resticFieldsEqual: drydock's document has every field restic printed,
// with the same value. restic 0.14 prints a snapshot or lock through its
// own struct, without the fields it predates (summary, program_version)
// or ignores (drydock's lock owner).
func resticFieldsEqual(restic, drydock any) bool {
	rm, ok := restic.(map[string]any)
	if !ok {
		return reflect.DeepEqual(restic, drydock)
	}
	dm, ok := drydock.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range rm {
		if !resticFieldsEqual(v, dm[k]) {
			return false
		}
	}
	return true
}

// clampR applies Poly1305's clamp to a master key document's mac.r
// (docs/format.md §3).
func clampR(t *testing.T, doc any) {
	t.Helper()
	mac := doc.(map[string]any)["mac"].(map[string]any)
	r, err := base64.StdEncoding.DecodeString(mac["r"].(string))
	if err != nil || len(r) != 16 {
		t.Fatalf("mac.r %q: %v", mac["r"], err)
	}
	for i := 3; i < 16; i += 4 {
		r[i] &= 0x0f
	}
	for i := 4; i < 16; i += 4 {
		r[i] &= 0xfc
	}
	mac["r"] = base64.StdEncoding.EncodeToString(r)
}

func lines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) == 1 && l[0] == "" {
		return nil
	}
	slices.Sort(l)
	return l
}

func jsonValue(t *testing.T, s string) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON (%v): %.200q", err, s)
	}
	return v
}
