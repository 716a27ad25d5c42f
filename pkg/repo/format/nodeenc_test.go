package format

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// randomNode builds a node exercising every field and encoding corner:
// names needing escapes or quoting, invalid UTF-8, zero and odd values,
// nil versus empty slices, zones and out-of-range years.
func randomNode(r *rand.Rand) *Node {
	strs := []string{"", "a", "file.txt", "with space", `q"uote`, `back\slash`, "new\nline", "<&>", "tab\t", "\x00\x01\x1f\x7f",
		"ünïcödé", "日本語", "\xff\xfe invalid", "emoji 🙂", "a<b", "x>y", "p&q", "\u2028\u2029", "a\u0085b", "%s%d", "\ufffd"}
	pick := func() string { return strs[r.IntN(len(strs))] }
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 5*3600+1800), time.FixedZone("X", -8*3600),
		time.FixedZone("", 30), time.FixedZone("", 24*3600), time.FixedZone("", -3600*23-59*60)}
	tm := func() time.Time {
		var sec int64
		switch r.IntN(4) {
		case 0:
			sec = r.Int64N(4e9)
		case 1:
			sec = -r.Int64N(1e12)
		case 2:
			sec = r.Int64N(1e12)
		}
		t := time.Unix(sec, r.Int64N(1e9)*int64(r.IntN(2)))
		return t.In(zones[r.IntN(len(zones))])
	}
	maybe := func(v uint64) uint64 { return v * uint64(r.IntN(2)) }
	bytesOrNil := func() []byte {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return []byte{}
		}
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	id := func() (x ID) {
		for i := range x {
			x[i] = byte(r.Uint32())
		}
		return
	}
	n := &Node{
		Name: pick(), Type: NodeType(pick()), Mode: 0,
		ModTime: tm(), AccessTime: tm(), ChangeTime: tm(),
		UID: r.Uint32() * uint32(r.IntN(2)), GID: r.Uint32(),
		User: pick(), Group: pick(),
		Inode: maybe(r.Uint64()), DeviceID: maybe(r.Uint64()), Size: maybe(r.Uint64N(1 << 40)), Links: maybe(r.Uint64N(9)),
		LinkTarget: pick(), LinkTargetRaw: bytesOrNil(), Device: maybe(r.Uint64()), Error: pick(),
	}
	if r.IntN(2) == 0 {
		n.Mode = 0o777 | 1<<31 | 1<<23
		n.Mode = n.Mode & os.FileMode(r.Uint32())
	}
	switch r.IntN(4) {
	case 1:
		n.ExtendedAttributes = []ExtendedAttribute{}
	case 2, 3:
		for range 1 + r.IntN(3) {
			n.ExtendedAttributes = append(n.ExtendedAttributes, ExtendedAttribute{Name: pick(), Value: bytesOrNil()})
		}
	}
	switch r.IntN(3) {
	case 1:
		n.Content = IDs{}
	case 2:
		for range 1 + r.IntN(4) {
			n.Content = append(n.Content, id())
		}
	}
	if r.IntN(2) == 0 {
		s := id()
		n.Subtree = &s
	}
	if r.IntN(10) == 0 {
		n.GenericAttributes = map[string]json.RawMessage{"windows.x": json.RawMessage(` { "a" : "<b>" } `), "z": json.RawMessage(`1`)}
	}
	return n
}

// TestAppendNodeMatchesEncodingJSON: the hand-written encoder must produce
// encoding/json's bytes (and its errors) for every node, or tree IDs change.
func TestAppendNodeMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		n := randomNode(r)
		want, werr := n.MarshalJSON()
		got, gerr := appendNode([]byte("prefix"), n)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("node %d %+v: encoding/json error %v, appendNode error %v", i, n, werr, gerr)
		}
		if werr == nil && !bytes.Equal(got[len("prefix"):], want) {
			t.Fatalf("node %d:\n got %s\nwant %s", i, got[len("prefix"):], want)
		}
	}
}

// FuzzAppendNode derives nodes from fuzzed strings and numbers and compares
// both encoders.
func FuzzAppendNode(f *testing.F) {
	f.Add("name", "link", "user", []byte("raw"), int64(1700000000), int64(123456789), 3600, uint32(0o755))
	f.Add("\xff<&>\"\\\n", "", "", []byte(nil), int64(-62135596800), int64(0), 0, uint32(1<<31))
	f.Fuzz(func(t *testing.T, name, link, user string, raw []byte, sec, nsec int64, zone int, mode uint32) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", zone))
		id := Hash([]byte(name))
		n := &Node{Name: name, Type: NodeFile, Mode: os.FileMode(mode), ModTime: tm, AccessTime: tm.Add(time.Duration(nsec)), ChangeTime: tm,
			User: user, Group: link, LinkTarget: link, LinkTargetRaw: raw, Inode: uint64(sec), Size: uint64(nsec),
			ExtendedAttributes: []ExtendedAttribute{{Name: user, Value: raw}}, Content: IDs{id}, Subtree: &id, Error: user}
		want, werr := n.MarshalJSON()
		got, gerr := appendNode(nil, n)
		if (werr != nil) != (gerr != nil) || werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("got %s (%v)\nwant %s (%v)", got, gerr, want, werr)
		}
	})
}

// benchTree is a directory of 100 files as lstat fills them.
func benchTree() []*Node {
	nodes := make([]*Node, 100)
	tm := time.Unix(1700000000, 123456789).In(time.FixedZone("", 3600))
	for i := range nodes {
		id := Hash([]byte{byte(i)})
		nodes[i] = &Node{Name: "file-" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Type: NodeFile, Mode: 0o644,
			ModTime: tm, AccessTime: tm, ChangeTime: tm, UID: 1000, GID: 1000, User: "user", Group: "group",
			Inode: uint64(1e6 + i), DeviceID: 2049, Size: 4096, Links: 1, Content: IDs{id}}
	}
	return nodes
}

func BenchmarkEncodeTree(b *testing.B) {
	nodes := benchTree()
	for b.Loop() {
		if _, err := EncodeTree(nodes); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeTree(b *testing.B) {
	data, err := EncodeTree(benchTree())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeTree(data); err != nil {
			b.Fatal(err)
		}
	}
}
