package format_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

func mustID(t testing.TB, s string) format.ID {
	t.Helper()
	id, err := format.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

const helloID = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

func TestID(t *testing.T) {
	id := format.Hash([]byte("hello\n"))
	if id.String() != helloID {
		t.Fatalf("Hash = %v", id)
	}
	b, _ := json.Marshal(id)
	if string(b) != `"`+helloID+`"` {
		t.Fatalf("JSON %s", b)
	}
	tests := []struct {
		in string
		ok bool
	}{
		{`"` + helloID + `"`, true},
		{`"` + strings.ToUpper(helloID) + `"`, true},
		{`"` + helloID[:63] + `"`, false},
		{`"` + helloID + `0"`, false},
		{`"` + helloID[:62] + `zz"`, false},
		{`""`, false},
		{`12`, false},
		{`null`, false},
	}
	for _, tc := range tests {
		var got format.ID
		err := json.Unmarshal([]byte(tc.in), &got)
		if (err == nil) != tc.ok {
			t.Errorf("Unmarshal(%s): err = %v, want ok=%v", tc.in, err, tc.ok)
		}
		if err != nil && !errors.Is(err, format.ErrInvalidID) {
			t.Errorf("Unmarshal(%s): err %v does not match ErrInvalidID", tc.in, err)
		}
	}
	if _, err := format.ParseID(helloID[1:]); !errors.Is(err, format.ErrInvalidID) {
		t.Errorf("ParseID short: %v", err)
	}
}

func TestEmptyTreeID(t *testing.T) {
	b, err := format.EncodeTree(nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "{\"nodes\":[]}\n" {
		t.Fatalf("empty tree %q", b)
	}
	const want = "ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"
	if got := format.Hash(b).String(); got != want || format.EmptyTreeID.String() != want {
		t.Fatalf("empty tree ID %s / %v, want %s", got, format.EmptyTreeID, want)
	}
}

// TestNameEncoding uses the verified examples of docs/format.md §8.4 (name → JSON bytes).
func TestNameEncoding(t *testing.T) {
	tests := []struct{ name, json string }{
		{"plain.txt", `"plain.txt"`},
		{"we\"ird\\name<&>é\x01", `"we\\\"ird\\\\name\u003c\u0026\u003eé\\x01"`},
		{"a\xffb", `"a\\xffb"`},
		{"\u00a0nbsp", `"\\u00a0nbsp"`},
		{"line\u2028sep", `"line\\u2028sep"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(format.Node{Name: tc.name, Type: format.NodeFifo})
			if err != nil {
				t.Fatal(err)
			}
			prefix := `{"name":` + tc.json + `,"type":"fifo",`
			if !bytes.HasPrefix(b, []byte(prefix)) {
				t.Fatalf("got  %s\nwant prefix %s", b, prefix)
			}
			var n format.Node
			if err := json.Unmarshal(b, &n); err != nil {
				t.Fatal(err)
			}
			if n.Name != tc.name {
				t.Fatalf("decoded name %q, want %q", n.Name, tc.name)
			}
		})
	}
	var n format.Node
	if err := json.Unmarshal([]byte(`{"name":"bad\\q","type":"file"}`), &n); err == nil {
		t.Fatal("invalid quoted name accepted")
	}
}

// TestModeExamples uses the examples of docs/format.md §8.3.
func TestModeExamples(t *testing.T) {
	tests := []struct {
		name string
		st   uint32
		want uint32
	}{
		{"regular 0644", 0o100644, 420},
		{"dir 0755", 0o040755, 2147484141},
		{"symlink 0777", 0o120777, 134218239},
		{"fifo 0644", 0o010644, 33554852},
		{"chardev 0620", 0o020620, 69206416},
		{"blockdev 0660", 0o060660, 67109296},
		{"setuid 0644", 0o104644, 8389028},
		{"/tmp 1777", 0o041777, 2148532735},
		{"socket 0755", 0o140755, uint32(os.ModeSocket | 0o755)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := format.ModeFromUnix(tc.st)
			if uint32(m) != tc.want {
				t.Fatalf("ModeFromUnix(%o) = %d, want %d", tc.st, uint32(m), tc.want)
			}
			if m&^format.ModeMask != 0 {
				t.Fatalf("mode has bits outside ModeMask")
			}
			if back := format.ModeToUnix(m); back != tc.st {
				t.Fatalf("ModeToUnix(%d) = %o, want %o", tc.want, back, tc.st)
			}
		})
	}
	if m := format.ModeFromUnix(0o170644); m&os.ModeIrregular == 0 {
		t.Fatalf("unknown type not irregular: %v", m)
	}
}

const (
	t0 = `"mtime":"2026-11-23T06:41:57.764758802Z","atime":"2026-11-23T06:41:57.764758802Z","ctime":"2026-11-23T06:41:57.780758802Z","uid":0,"gid":0,"user":"root","group":"root"`
	// Full forms of the restic 0.14 node examples in docs/format.md §8.2 (the spec elides
	// the repeated time/owner fields; they are restored from the first one).
	nodeSmall = `{"name":"small.txt","type":"file","mode":420,` + t0 + `,"inode":9986487,"device_id":65024,"size":6,"links":2,"content":["` + helloID + `"]}`
	nodeEmpty = `{"name":"empty","type":"file","mode":420,` + t0 + `,"inode":9986508,"device_id":65024,"links":1,"content":[]}`
	nodeFifo  = `{"name":"fifo","type":"fifo","mode":33554852,` + t0 + `,"inode":9986533,"device_id":65024,"content":null}`
	nodeLink  = `{"name":"link","type":"symlink","mode":134218239,` + t0 + `,"inode":9986534,"device_id":65024,"links":1,"linktarget":"small.txt","content":null}`
	nodeSub   = `{"name":"sub","type":"dir","mode":2147484141,` + t0 + `,"inode":9986535,"device_id":65024,"content":null,"subtree":"d865837a15f7e4b3b5e06d6f5e8d01c3e9d93ad0a1f5a94fb6e4e13d1c5e6c63"}`
)

func TestNodeJSONRestic014(t *testing.T) {
	for _, want := range []string{nodeSmall, nodeEmpty, nodeFifo, nodeLink, nodeSub} {
		var n format.Node
		if err := json.Unmarshal([]byte(want), &n); err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("re-encoded node differs\n got %s\nwant %s", got, want)
		}
	}
	// Built from scratch, not via a decode, so field order is exercised.
	mt := time.Date(2026, 11, 23, 6, 41, 57, 764758802, time.UTC)
	n := format.Node{Name: "small.txt", Type: format.NodeFile, Mode: format.ModeFromUnix(0o100644),
		ModTime: mt, AccessTime: mt, ChangeTime: mt.Add(16 * time.Millisecond), User: "root", Group: "root",
		Inode: 9986487, DeviceID: 65024, Size: 6, Links: 2, Content: format.IDs{mustID(t, helloID)}}
	got, _ := json.Marshal(n)
	if string(got) != nodeSmall {
		t.Errorf("hand-built node\n got %s\nwant %s", got, nodeSmall)
	}
}

func TestEncodeTree(t *testing.T) {
	mk := func(name string) *format.Node {
		return &format.Node{Name: name, Type: format.NodeFile, Content: format.IDs{}}
	}
	nodes := []*format.Node{mk("b"), mk("a\xff"), mk("B"), mk("a")}
	b, err := format.EncodeTree(nodes)
	if err != nil {
		t.Fatal(err)
	}
	node := func(q string) string {
		return `{"name":"` + q + `","type":"file","mtime":"0001-01-01T00:00:00Z","atime":"0001-01-01T00:00:00Z","ctime":"0001-01-01T00:00:00Z","uid":0,"gid":0,"content":[]}`
	}
	want := `{"nodes":[` + node("B") + "," + node("a") + "," + node(`a\\xff`) + "," + node("b") + "]}\n"
	if string(b) != want {
		t.Fatalf("tree\n got %s\nwant %s", b, want)
	}
	tr, err := format.DecodeTree(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	if tr.Nodes[2].Name != "a\xff" {
		t.Fatalf("decoded %q", tr.Nodes[2].Name)
	}
	for _, bad := range [][]string{{"x", "x"}, {""}, {"."}, {".."}, {"a/b"}} {
		var ns []*format.Node
		for _, n := range bad {
			ns = append(ns, mk(n))
		}
		if _, err := format.EncodeTree(ns); err == nil {
			t.Errorf("EncodeTree(%q) accepted", bad)
		}
	}
	for _, bad := range []*format.Node{
		{Name: "f", Type: format.NodeFile},
		{Name: "d", Type: format.NodeDir},
		{Name: "x", Type: "whiteout"},
	} {
		if _, err := format.EncodeTree([]*format.Node{bad}); err == nil {
			t.Errorf("EncodeTree accepted %+v", bad)
		}
	}
	unsorted := &format.Tree{Nodes: []*format.Node{mk("b"), mk("a")}}
	if err := unsorted.Validate(); !errors.Is(err, format.ErrUnsorted) {
		t.Errorf("Validate unsorted: %v", err)
	}
	if _, err := format.DecodeTree([]byte(`{"nodes":[null]}`)); err == nil {
		t.Error("null node accepted")
	}
}

func TestClampTime(t *testing.T) {
	n := format.Node{Name: "x", Type: format.NodeFifo,
		ModTime:    time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC),
		AccessTime: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		ChangeTime: time.Date(2024, 5, 6, 7, 8, 9, 120000000, time.FixedZone("", 7200))}
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	want := `"mtime":"9999-12-31T23:59:59.999999999Z","atime":"0000-01-01T00:00:00Z","ctime":"2024-05-06T07:08:09.12+02:00"`
	if !strings.Contains(string(b), want) {
		t.Fatalf("%s\nlacks %s", b, want)
	}
}

func TestConfig(t *testing.T) {
	const want = `{"version":2,"id":"ec22d6c10232a90d10b43f018943fc2ac5ef5d6faa58f0e0461c8f3139a54075","chunker_polynomial":"316037900a242f"}`
	c, err := format.DecodeConfig([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	if c.ChunkerPolynomial != 0x316037900a242f || c.Version != 2 {
		t.Fatalf("%+v", c)
	}
	b, err := format.EncodeConfig(c)
	if err != nil || string(b) != want {
		t.Fatalf("EncodeConfig = %s, %v", b, err)
	}
	for _, bad := range []string{
		`{"version":3,"id":"x","chunker_polynomial":"3"}`,
		`{"version":0,"id":"x","chunker_polynomial":"3"}`,
		`{"version":1,"id":"","chunker_polynomial":"3"}`,
		`{"version":1,"id":"x","chunker_polynomial":"0x3"}`,
		`{"version":1,"id":"x","chunker_polynomial":3}`,
		`{"version":1,"id":"x"}`,
	} {
		if _, err := format.DecodeConfig([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := format.DecodeConfig([]byte(`{"version":3,"id":"x","chunker_polynomial":"3"}`)); !errors.Is(err, format.ErrUnsupportedVersion) {
		t.Errorf("version 3: %v", err)
	}
}

func TestIndexJSON(t *testing.T) {
	pack := "ec4e8e66" + strings.Repeat("0", 56)
	in := `{"supersedes":["` + helloID + `"],"packs":[{"id":"` + pack + `","blobs":[` +
		`{"id":"` + helloID + `","type":"data","offset":0,"length":47,"uncompressed_length":6},` +
		`{"id":"` + helloID + `","type":"tree","offset":47,"length":38}]}]}`
	idx, err := format.DecodeIndex([]byte(in), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Packs) != 1 || len(idx.Packs[0].Blobs) != 2 || idx.Packs[0].Blobs[0].UncompressedLength != 6 || idx.Packs[0].Blobs[1].Type != format.TreeBlob {
		t.Fatalf("%+v", idx)
	}
	out, err := format.EncodeIndex(idx)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"packs":[{"id":"` + pack + `","blobs":[{"id":"` + helloID + `","type":"data","offset":0,"length":47,"uncompressed_length":6},{"id":"` + helloID + `","type":"tree","offset":47,"length":38}]}]}` + "\n"
	if string(out) != want {
		t.Fatalf("EncodeIndex\n got %s\nwant %s", out, want)
	}
	tests := []struct {
		name string
		doc  string
		ver  uint
		want error
	}{
		{"old array format", ` [{"id":"` + pack + `","blobs":[]}]`, 2, format.ErrOldIndexFormat},
		{"v1 with uncompressed_length", in, 1, format.ErrV1Compression},
		{"bad type", strings.Replace(in, `"tree"`, `"dir"`, 1), 2, nil},
		{"short length", strings.Replace(in, `"length":38`, `"length":31`, 1), 2, nil},
		{"overflow", strings.Replace(in, `"offset":47`, `"offset":4294967290`, 1), 2, nil},
		{"negative", strings.Replace(in, `"offset":47`, `"offset":-1`, 1), 2, nil},
		{"short id", strings.Replace(in, `"id":"`+helloID, `"id":"`+helloID[2:], 1), 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := format.DecodeIndex([]byte(tc.doc), tc.ver)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSnapshotAndLockJSON(t *testing.T) {
	const snap = `{"time":"2026-11-23T06:42:01.85196727Z","tree":"` + helloID + `","paths":["/tmp/exp/src"],"hostname":"vm","username":"root"}`
	s, err := format.DecodeSnapshot([]byte(snap))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := format.EncodeSnapshot(s); err != nil || string(b) != snap {
		t.Fatalf("snapshot = %s, %v", b, err)
	}
	if _, err := format.DecodeSnapshot([]byte(`{"time":"2026-11-23T06:42:01Z","paths":["/"]}`)); !errors.Is(err, format.ErrSnapshotNoTree) {
		t.Fatalf("snapshot without tree: %v", err)
	}
	s.Summary = &format.SnapshotSummary{FilesNew: 3}
	s.ProgramVersion = "drydock 0.1"
	b, _ := format.EncodeSnapshot(s)
	if !bytes.Contains(b, []byte(`"username":"root","program_version":"drydock 0.1","summary":{"backup_start":`)) {
		t.Fatalf("field order: %s", b)
	}
	const lock = `{"time":"2026-11-23T06:43:23.501932591Z","exclusive":false,"hostname":"backuphost","username":"daemon","pid":4242,"uid":1000,"gid":1000}`
	l, err := format.DecodeLock([]byte(lock))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := format.EncodeLock(l); err != nil || string(b) != lock {
		t.Fatalf("lock = %s, %v", b, err)
	}
}

func TestKeyFileJSON(t *testing.T) {
	salt := bytes.Repeat([]byte{7}, 64)
	k := &format.KeyFile{Created: time.Date(2026, 11, 23, 6, 42, 1, 278120521, time.UTC), Username: "root", Hostname: "vm",
		KDF: "scrypt", N: 32768, R: 8, P: 8, Salt: salt, Data: make([]byte, 32)}
	b, err := format.EncodeKeyFile(k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`{"created":"2026-11-23T06:42:01.278120521Z","username":"root","hostname":"vm","kdf":"scrypt","N":32768,"r":8,"p":8,"salt":"BwcH`)) {
		t.Fatalf("key file %s", b)
	}
	if _, err := format.DecodeKeyFile(b); err != nil {
		t.Fatal(err)
	}
	for _, mut := range []func(*format.KeyFile){
		func(k *format.KeyFile) { k.KDF = "argon2" },
		func(k *format.KeyFile) { k.Salt = salt[:32] },
		func(k *format.KeyFile) { k.N = 1000 },
		func(k *format.KeyFile) { k.Data = k.Data[:31] },
	} {
		c := *k
		mut(&c)
		b, _ := format.EncodeKeyFile(&c)
		if _, err := format.DecodeKeyFile(b); err == nil {
			t.Errorf("accepted %s", b)
		}
	}
}

func TestUnpacked(t *testing.T) {
	doc := []byte(`{"packs":[]}` + strings.Repeat(" ", 1000))
	v2, err := format.EncodeUnpacked(2, doc, compress.ModeAuto)
	if err != nil {
		t.Fatal(err)
	}
	if v2[0] != 0x02 || len(v2) >= len(doc) {
		t.Fatalf("v2 encoding: first byte %#x, %d bytes", v2[0], len(v2))
	}
	v1, _ := format.EncodeUnpacked(1, doc, compress.ModeAuto)
	if !bytes.Equal(v1, doc) {
		t.Fatal("v1 encoding changed the document")
	}
	tests := []struct {
		name    string
		version uint
		in      []byte
		want    []byte
		wantErr error
	}{
		{"v2 zstd", 2, v2, doc, nil},
		{"v2 raw object", 2, []byte(`{"a":1}`), []byte(`{"a":1}`), nil},
		{"v2 raw array", 2, []byte(`[1]`), []byte(`[1]`), nil},
		{"v2 empty", 2, nil, nil, nil},
		{"v2 unknown byte", 2, []byte("\x03abc"), nil, format.ErrUnknownEncoding},
		{"v2 whitespace first", 2, []byte(" {}"), nil, format.ErrUnknownEncoding},
		{"v2 corrupt zstd", 2, []byte("\x02garbage"), nil, nil},
		{"v1 raw even with 0x02", 1, v2, v2, nil},
		{"version 3", 3, doc, nil, format.ErrUnsupportedVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := format.DecodeUnpacked(tc.version, tc.in)
			wantFail := tc.wantErr != nil || tc.want == nil && len(tc.in) > 0
			if wantFail {
				if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}
