package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// nodeJSONExtras are the fields drydock prints beside restic 0.14's, per
// command: ls has printed link targets from the start, and prints restic
// 0.17's inode and message_type; find shows every stored field
// it does not hide, and drydock stores non-UTF-8 link targets as restic
// 0.14 cannot.
var nodeJSONExtras = map[string][]string{
	"ls":   {"linktarget", "inode", "message_type"},
	"find": {"linktarget_raw"},
}

// TestNodeJSONMatchesRestic backs the fixture up with drydock and has
// stock restic and drydock print its nodes with ls --json and find --json:
// for every path, each command prints the fields restic prints, with the
// same values, and nothing else but its listed extras.
func TestNodeJSONMatchesRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src := t.TempDir()
	fixture.Build(t, src)
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	c.must("init")
	c.must("backup", src)

	for _, cmd := range []struct {
		name  string
		args  []string
		nodes func(t *testing.T, out string) map[string]map[string]json.RawMessage
	}{
		{"ls", []string{"ls", "--json", "latest"}, lsNodes},
		{"find", []string{"find", "--json", "*"}, findNodes},
	} {
		t.Run(cmd.name, func(t *testing.T) {
			want := cmd.nodes(t, c.mustResticRaw(bin, cmd.args...))
			got := cmd.nodes(t, c.must(cmd.args...))
			if len(want) == 0 {
				t.Fatal("restic printed no nodes")
			}
			for p, w := range want {
				g, ok := got[p]
				if !ok {
					t.Errorf("%s: drydock does not print %q", cmd.name, p)
					continue
				}
				compareNodeJSON(t, cmd.name+" "+p, w, g, nodeJSONExtras[cmd.name])
			}
			for p := range got {
				if _, ok := want[p]; !ok {
					t.Errorf("%s: drydock prints %q, restic does not", cmd.name, p)
				}
			}
		})
	}
}

// compareNodeJSON reports fields of want that got lacks or prints
// differently, and fields of got that are neither in want nor extras.
func compareNodeJSON(t *testing.T, what string, want, got map[string]json.RawMessage, extras []string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: no %q (restic: %s)", what, k, want[k])
		case !bytes.Equal(g, want[k]):
			t.Errorf("%s: %q is %s, restic prints %s", what, k, g, want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok && !slices.Contains(extras, k) {
			t.Errorf("%s: %q=%s, which restic does not print", what, k, got[k])
		}
	}
}

// lsNodes parses ls --json output: its node lines, by path.
func lsNodes(t *testing.T, out string) map[string]map[string]json.RawMessage {
	t.Helper()
	nodes := map[string]map[string]json.RawMessage{}
	for line := range strings.Lines(out) {
		var n map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &n); err != nil {
			t.Fatalf("ls --json line %q: %v", line, err)
		}
		if string(n["struct_type"]) == `"node"` {
			nodes[nodePath(t, n)] = n
		}
	}
	return nodes
}

// findNodes parses find --json output: the matches of its one snapshot, by path.
func findNodes(t *testing.T, out string) map[string]map[string]json.RawMessage {
	t.Helper()
	var res []struct {
		Matches []map[string]json.RawMessage `json:"matches"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 {
		t.Fatalf("find --json: %v, want one snapshot in:\n%s", err, out)
	}
	nodes := map[string]map[string]json.RawMessage{}
	for _, n := range res[0].Matches {
		nodes[nodePath(t, n)] = n
	}
	return nodes
}

func nodePath(t *testing.T, n map[string]json.RawMessage) string {
	t.Helper()
	var p string
	if err := json.Unmarshal(n["path"], &p); err != nil {
		t.Fatalf("node %v: path: %v", n, err)
	}
	return p
}
