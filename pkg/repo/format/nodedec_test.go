package format

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// sameTree compares two decoded trees through their reflective JSON
// encoding (times compare by instant and offset, not by *Location) and
// their raw names.
func sameTree(t *testing.T, fast, slow *Tree) bool {
	t.Helper()
	if len(fast.Nodes) != len(slow.Nodes) {
		return false
	}
	for i := range fast.Nodes {
		a, aerr := json.Marshal((*nodeJSON)(fast.Nodes[i]))
		b, berr := json.Marshal((*nodeJSON)(slow.Nodes[i]))
		if aerr != nil || berr != nil || !bytes.Equal(a, b) || fast.Nodes[i].Name != slow.Nodes[i].Name {
			t.Logf("node %d:\nfast %s (%v)\nslow %s (%v)", i, a, aerr, b, berr)
			return false
		}
	}
	return true
}

// checkFastDecode: where the fast decoder accepts data, encoding/json must
// accept it too and decode the same tree.
func checkFastDecode(t *testing.T, data []byte) (fastOK bool) {
	t.Helper()
	fast, ok := decodeTreeFast(data)
	if !ok {
		return false
	}
	slow, err := decodeTreeJSON(data)
	if err != nil {
		t.Fatalf("fast decoder accepted what encoding/json refuses (%v):\n%q", err, data)
	}
	if !sameTree(t, fast, slow) {
		t.Fatalf("decoders disagree on\n%q", data)
	}
	return true
}

// TestDecodeTreeFastMatchesEncodingJSON decodes trees of random nodes
// (every field, escapes, invalid UTF-8, nil vs empty, zones) with both
// decoders. Nodes the fast one leaves to encoding/json are counted: most
// must take the fast path, or it would not be worth having.
func TestDecodeTreeFastMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	fast, total := 0, 0
	for range 3000 {
		buf := []byte(`{"nodes":[`)
		for j := range 1 + r.IntN(4) {
			if j > 0 {
				buf = append(buf, ',')
			}
			n := randomNode(r)
			n.Name = "n" + n.Name // not empty
			var err error
			if buf, err = appendNode(buf, n); err != nil {
				buf = append(buf, `{"name":"x","type":"file","content":[]}`...)
			}
		}
		buf = append(buf, "]}\n"...)
		total++
		if checkFastDecode(t, buf) {
			fast++
		}
	}
	if fast < total/3 {
		t.Fatalf("only %d of %d random trees took the fast path", fast, total)
	}
	t.Logf("%d of %d random trees decoded on the fast path", fast, total)
	for _, tree := range [][]byte{
		[]byte("{\"nodes\":[]}\n"),
		[]byte(`{"nodes":[{"name":"a","type":"dir","mtime":"2026-01-02T03:04:05.123456789+01:00","atime":"0001-01-01T00:00:00Z","ctime":"2026-01-02T03:04:05Z","uid":0,"gid":0,"content":null,"subtree":"` + EmptyTreeID.String() + `"}]}`),
	} {
		if !checkFastDecode(t, tree) {
			t.Fatalf("canonical tree not decoded on the fast path: %s", tree)
		}
	}
}

// FuzzDecodeTreeFast: whatever the fast decoder accepts, encoding/json
// decodes to the same tree.
func FuzzDecodeTreeFast(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 20 {
		buf, _ := appendNode([]byte(`{"nodes":[`), randomNode(r))
		f.Add(append(buf, "]}\n"...))
	}
	f.Add([]byte(`{"nodes":[{"name":"a\u00e9\\\\x\"","type":"file","mode":2147484141,"content":[],"extended_attributes":[{"name":"user.x","value":"AAE="},{"name":"y","value":null}],"linktarget_raw":"/w==","size":00}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastDecode(t, data)
	})
}
