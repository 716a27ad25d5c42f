package repo_test

// Oracle tests: stock restic (0.14 on Debian bookworm, the oldest version we
// support) writes a repository that our codecs must read, and judges a
// repository our codecs wrote. Skipped without restic, fatal under CI=true.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/index"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
)

const password = "correct horse battery staple"

func runRestic(t *testing.T, bin, repo string, args ...string) string {
	t.Helper()
	out, err := resticCmd(t, bin, repo, args...)
	if err != nil {
		t.Fatalf("restic %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func resticCmd(t *testing.T, bin, repo string, args ...string) (string, error) {
	t.Helper()
	cache := filepath.Join(filepath.Dir(repo), "cache")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "RESTIC_REPOSITORY="+repo, "RESTIC_PASSWORD="+password,
		"RESTIC_CACHE_DIR="+cache)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ---------------------------------------------------------------------------
// (a) restic writes, our codecs read.

// reader opens a restic repository with nothing but our codecs and os reads.
type reader struct {
	t       *testing.T
	root    string
	key     *crypto.Key
	version uint
	idx     *index.Index
	packs   map[format.ID][]format.IndexBlob
}

// readFile reads a repository file and checks that its name is the SHA-256
// of its content (all files except config).
func (r *reader) readFile(dir string, id format.ID) []byte {
	r.t.Helper()
	p := filepath.Join(r.root, dir, id.String())
	if dir == "data" {
		p = filepath.Join(r.root, dir, id.String()[:2], id.String())
	}
	b, err := os.ReadFile(p)
	if err != nil {
		r.t.Fatal(err)
	}
	if format.Hash(b) != id {
		r.t.Fatalf("%s: content hash %v does not match the name", p, format.Hash(b))
	}
	return b
}

func (r *reader) list(dir string) []format.ID {
	r.t.Helper()
	var ids []format.ID
	err := filepath.WalkDir(filepath.Join(r.root, dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		id, err := format.ParseID(d.Name())
		if err != nil {
			r.t.Fatalf("unexpected file %s", p)
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return ids
}

// unpacked opens an index, snapshot or lock file.
func (r *reader) unpacked(dir string, id format.ID) []byte {
	r.t.Helper()
	pt, err := r.key.OpenBox(nil, r.readFile(dir, id))
	if err != nil {
		r.t.Fatalf("%s/%v: %v", dir, id, err)
	}
	doc, err := format.DecodeUnpacked(r.version, pt)
	if err != nil {
		r.t.Fatalf("%s/%v: %v", dir, id, err)
	}
	return doc
}

func (r *reader) blob(h format.BlobHandle) []byte {
	r.t.Helper()
	loc, ok := r.idx.Lookup(h)
	if !ok {
		r.t.Fatalf("blob %v not in index", h)
	}
	f, err := os.Open(filepath.Join(r.root, "data", loc.PackID.String()[:2], loc.PackID.String()))
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	b := pack.Blob{Type: loc.Type, ID: h.ID, Offset: loc.Offset, Length: loc.Length, UncompressedLength: loc.UncompressedLength}
	out, err := pack.LoadBlob(r.key, f, loc.PackID, b, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

func (r *reader) tree(id format.ID) *format.Tree {
	r.t.Helper()
	raw := r.blob(format.BlobHandle{ID: id, Type: format.TreeBlob})
	tr, err := format.DecodeTree(raw)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := tr.Validate(); err != nil {
		r.t.Fatalf("tree %v: %v", id.Str(), err)
	}
	// Our encoder must reproduce restic's bytes exactly, or our snapshots
	// would not deduplicate against restic's trees.
	again, err := format.EncodeTree(tr.Nodes)
	if err != nil {
		r.t.Fatal(err)
	}
	if !bytes.Equal(again, raw) {
		r.t.Errorf("tree %v re-encodes differently:\nrestic: %s\nours:   %s", id.Str(), raw, again)
	}
	return tr
}

func child(t *testing.T, tr *format.Tree, name string) *format.Node {
	t.Helper()
	for _, n := range tr.Nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no node %q in tree", name)
	return nil
}

func TestResticWritesWeRead(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	big := make([]byte, 3<<20)
	_, _ = rand.Read(big)
	files := map[string][]byte{
		"small.txt":            []byte("hello\n"),
		"empty":                nil,
		"big.bin":              big,
		"sub/nested.txt":       bytes.Repeat([]byte("compressible "), 1000),
		"we\"ird\\name<&>\x01": []byte("odd"),
	}
	for name, data := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("small.txt", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(dir, "repo")
	runRestic(t, bin, repo, "init")
	runRestic(t, bin, repo, "backup", src)

	r := &reader{t: t, root: repo, packs: map[format.ID][]format.IndexBlob{}}
	for _, id := range r.list("keys") {
		k, err := crypto.OpenKeyFile(r.readFile("keys", id), password)
		if err != nil {
			t.Fatalf("key %v: %v", id.Str(), err)
		}
		r.key = k
		if _, err := crypto.OpenKeyFile(r.readFile("keys", id), "nope"); err != crypto.ErrWrongPassword {
			t.Fatalf("wrong password: %v", err)
		}
	}
	cfgFile, err := os.ReadFile(filepath.Join(repo, "config"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := r.key.OpenBox(nil, cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := format.DecodeConfig(pt)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 2 {
		t.Fatalf("restic 0.14 init wrote version %d, expected 2", cfg.Version)
	}
	r.version = cfg.Version

	r.idx = index.New()
	for _, id := range r.list("index") {
		f, err := format.DecodeIndex(r.unpacked("index", id), r.version)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.idx.AddIndexFile(f); err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Packs {
			r.packs[p.ID] = p.Blobs
		}
	}
	compressed := 0
	for _, id := range r.list("data") {
		data := r.readFile("data", id)
		blobs, err := pack.ReadHeader(r.key, bytes.NewReader(data), int64(len(data)), id)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(r.packs[id])
		slices.SortFunc(want, func(a, b format.IndexBlob) int { return int(a.Offset) - int(b.Offset) })
		if len(want) != len(blobs) {
			t.Fatalf("pack %v: %d header entries, %d index entries", id.Str(), len(blobs), len(want))
		}
		for i, b := range blobs {
			if b.IndexBlob() != want[i] {
				t.Fatalf("pack %v entry %d: header %+v, index %+v", id.Str(), i, b, want[i])
			}
			if _, err := pack.OpenBlob(r.key, nil, data[b.Offset:b.Offset+b.Length], b); err != nil {
				t.Fatal(err)
			}
			if b.IsCompressed() {
				compressed++
			}
		}
		if pack.PackedSize(blobs) != int64(len(data)) {
			t.Fatalf("pack %v: size %d, computed %d", id.Str(), len(data), pack.PackedSize(blobs))
		}
	}
	if compressed == 0 {
		t.Error("no compressed blob seen in a v2 repository")
	}

	snaps := r.list("snapshots")
	if len(snaps) != 1 {
		t.Fatalf("%d snapshots", len(snaps))
	}
	sn, err := format.DecodeSnapshot(r.unpacked("snapshots", snaps[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sn.Paths, []string{src}) {
		t.Fatalf("snapshot paths %q", sn.Paths)
	}
	tr := r.tree(*sn.Tree)
	for _, comp := range strings.Split(strings.Trim(src, "/"), "/") {
		n := child(t, tr, comp)
		if n.Type != format.NodeDir || n.Mode&os.ModeDir == 0 {
			t.Fatalf("%q: type %s mode %v", comp, n.Type, n.Mode)
		}
		tr = r.tree(*n.Subtree)
	}
	sub := child(t, tr, "sub")
	tree := map[string]*format.Node{"sub/nested.txt": child(t, r.tree(*sub.Subtree), "nested.txt")}
	for name := range files {
		if !strings.Contains(name, "/") {
			tree[name] = child(t, tr, name)
		}
	}
	for name, want := range files {
		n := tree[name]
		if n.Type != format.NodeFile || n.Content == nil || n.Size != uint64(len(want)) || n.Mode != 0o644 {
			t.Fatalf("%q: %+v", name, n)
		}
		var got []byte
		for _, id := range n.Content {
			got = append(got, r.blob(format.BlobHandle{ID: id, Type: format.DataBlob})...)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: content differs (%d vs %d bytes)", name, len(got), len(want))
		}
	}
	if l := child(t, tr, "link"); l.Type != format.NodeSymlink || l.LinkTarget != "small.txt" || l.Content != nil {
		t.Fatalf("link: %+v", l)
	}
}

// ---------------------------------------------------------------------------
// (b) our codecs write, restic judges.

type writer struct {
	t       *testing.T
	root    string
	key     *crypto.Key
	version uint
	idx     *index.Index
}

func newRepo(t *testing.T, root string, version uint) *writer {
	t.Helper()
	for _, d := range []string{"index", "keys", "locks", "snapshots"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 256 {
		if err := os.MkdirAll(filepath.Join(root, "data", fmt.Sprintf("%02x", i)), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	master, err := crypto.NewRandomKey()
	if err != nil {
		t.Fatal(err)
	}
	w := &writer{t: t, root: root, key: master, version: version, idx: index.New()}
	kf, err := crypto.CreateKeyFile(password, master, crypto.KeyFileOptions{
		Params: crypto.Params{N: 1024, R: 8, P: 1}, Username: "test", Hostname: "drydock-test"})
	if err != nil {
		t.Fatal(err)
	}
	w.put("keys", format.Hash(kf), kf)
	var rid [32]byte
	_, _ = rand.Read(rid[:])
	cfg, err := format.EncodeConfig(&format.Config{Version: version, ID: hex.EncodeToString(rid[:]), ChunkerPolynomial: 0x3DA3358B4DC173})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := master.SealBox(nil, cfg) // config: sealed, never compressed
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "config"), sealed, 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *writer) put(dir string, id format.ID, data []byte) {
	w.t.Helper()
	p := filepath.Join(w.root, dir, id.String())
	if dir == "data" {
		p = filepath.Join(w.root, dir, id.String()[:2], id.String())
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// putUnpacked stores an index or snapshot document, named by the hash of
// the stored bytes.
func (w *writer) putUnpacked(dir string, doc []byte) format.ID {
	w.t.Helper()
	enc, err := format.EncodeUnpacked(w.version, doc, compress.ModeAuto)
	if err != nil {
		w.t.Fatal(err)
	}
	sealed, err := w.key.SealBox(nil, enc)
	if err != nil {
		w.t.Fatal(err)
	}
	id := format.Hash(sealed)
	w.put(dir, id, sealed)
	return id
}

type blobIn struct {
	data     []byte
	compress bool
}

func (w *writer) writePack(typ format.BlobType, blobs []blobIn) (blobIDs []format.ID, packID format.ID) {
	w.t.Helper()
	var buf bytes.Buffer
	pw, err := pack.NewWriter(&buf, w.key, pack.Options{Version: w.version})
	if err != nil {
		w.t.Fatal(err)
	}
	var ids []format.ID
	for _, b := range blobs {
		id := format.Hash(b.data)
		if _, err := pw.Add(typ, id, b.data, b.compress && w.version >= 2); err != nil {
			w.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	res, err := pw.Finalize()
	if err != nil {
		w.t.Fatal(err)
	}
	w.put("data", res.ID, buf.Bytes())
	ib := make([]format.IndexBlob, len(res.Blobs))
	for i, b := range res.Blobs {
		ib[i] = b.IndexBlob()
	}
	if err := w.idx.AddPack(res.ID, ib); err != nil {
		w.t.Fatal(err)
	}
	return ids, res.ID
}

func TestWeWriteResticReads(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	for _, version := range []uint{2, 1} {
		t.Run(fmt.Sprint("v", version), func(t *testing.T) {
			testWeWrite(t, bin, version)
		})
	}
}

func testWeWrite(t *testing.T, bin string, version uint) {
	dir := t.TempDir()
	root := filepath.Join(dir, "repo")
	w := newRepo(t, root, version)

	random := make([]byte, 300<<10)
	_, _ = rand.Read(random)
	contents := map[string][]byte{
		"hello.txt":        []byte("hello\n"),
		"text.txt":         bytes.Repeat([]byte("drydock compresses this line. "), 2000),
		"random.bin":       random,
		"zero-blob":        {},
		"we\"ird\\name<&>": []byte("odd name\n"),
		"bad\xffname":      []byte("not utf-8\n"),
		"nested.txt":       []byte("in sub\n"),
	}
	// One data pack; "zero-blob" is a file whose content is a single 0-byte
	// blob (legal, and must not be marked compressed).
	order := []string{"hello.txt", "text.txt", "random.bin", "zero-blob", "we\"ird\\name<&>", "bad\xffname", "nested.txt"}
	var in []blobIn
	for _, name := range order {
		in = append(in, blobIn{data: contents[name], compress: name != "random.bin"})
	}
	ids, dataPack := w.writePack(format.DataBlob, in)
	blobOf := map[string]format.ID{}
	for i, name := range order {
		blobOf[name] = ids[i]
	}

	now := time.Now().Truncate(time.Second)
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	file := func(name string) *format.Node {
		return &format.Node{Name: name, Type: format.NodeFile, Mode: 0o644, ModTime: now, AccessTime: now, ChangeTime: now,
			UID: uid, GID: gid, Size: uint64(len(contents[name])), Links: 1, Content: format.IDs{blobOf[name]}}
	}
	dirNode := func(name string, subtree format.ID) *format.Node {
		return &format.Node{Name: name, Type: format.NodeDir, Mode: os.ModeDir | 0o755, ModTime: now, AccessTime: now, ChangeTime: now,
			UID: uid, GID: gid, Content: nil, Subtree: &subtree}
	}
	subTree, err := format.EncodeTree([]*format.Node{file("nested.txt")})
	if err != nil {
		t.Fatal(err)
	}
	empty := &format.Node{Name: "empty", Type: format.NodeFile, Mode: 0o600, ModTime: now, AccessTime: now, ChangeTime: now,
		UID: uid, GID: gid, Links: 1, Content: format.IDs{}}
	link := &format.Node{Name: "link", Type: format.NodeSymlink, Mode: os.ModeSymlink | 0o777, ModTime: now, AccessTime: now,
		ChangeTime: now, UID: uid, GID: gid, Links: 1, LinkTarget: "hello.txt"}
	srcTree, err := format.EncodeTree([]*format.Node{
		file("hello.txt"), file("text.txt"), file("random.bin"), file("zero-blob"), file("we\"ird\\name<&>"), file("bad\xffname"),
		empty, link, dirNode("sub", format.Hash(subTree)),
	})
	if err != nil {
		t.Fatal(err)
	}
	rootTree, err := format.EncodeTree([]*format.Node{dirNode("src", format.Hash(srcTree))})
	if err != nil {
		t.Fatal(err)
	}
	treeIDs, _ := w.writePack(format.TreeBlob, []blobIn{{subTree, true}, {srcTree, true}, {rootTree, true}})

	docs, err := w.idx.EncodeJSON(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range docs {
		w.putUnpacked("index", doc)
	}
	snap, err := format.EncodeSnapshot(&format.Snapshot{Time: now, Tree: &treeIDs[2], Paths: []string{"/src"},
		Hostname: "drydock-test", Username: "test", ProgramVersion: "drydock test"})
	if err != nil {
		t.Fatal(err)
	}
	w.putUnpacked("snapshots", snap)

	out := runRestic(t, bin, root, "check", "--read-data")
	rest := strings.ReplaceAll(out, "no errors were found", "")
	if !strings.Contains(out, "no errors were found") || strings.Contains(strings.ToLower(rest), "error") ||
		strings.Contains(rest, "hint") || strings.Contains(rest, "additional files") {
		t.Fatalf("restic check:\n%s", out)
	}
	target := filepath.Join(dir, "restore")
	runRestic(t, bin, root, "restore", "latest", "--target", target)
	base := filepath.Join(target, "src")
	for name, want := range contents {
		p := filepath.Join(base, name)
		if name == "nested.txt" {
			p = filepath.Join(base, "sub", name)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("restored %q: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("restored %q differs", name)
		}
	}
	if fi, err := os.Stat(filepath.Join(base, "empty")); err != nil || fi.Size() != 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("empty: %v %v", fi, err)
	}
	if tgt, err := os.Readlink(filepath.Join(base, "link")); err != nil || tgt != "hello.txt" {
		t.Fatalf("link: %q %v", tgt, err)
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"bad\xffname", "empty", "hello.txt", "link", "random.bin", "sub", "text.txt", "we\"ird\\name<&>", "zero-blob"}
	if !slices.Equal(names, want) {
		t.Fatalf("restored names %q, want %q", names, want)
	}

	// The oracle must be able to say no: corrupt one byte of the first blob.
	p := filepath.Join(root, "data", dataPack.String()[:2], dataPack.String())
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[20] ^= 0xff
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := resticCmd(t, bin, root, "check", "--read-data"); err == nil {
		t.Fatalf("restic check accepted a corrupted pack:\n%s", out)
	}
}
