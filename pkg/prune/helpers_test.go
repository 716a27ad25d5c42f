package prune_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/repo/pack"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// testPackSize makes 40 KiB packs "large" (the small-pack limit is 1/25).
const testPackSize = 64 << 10

// builder writes packs, index files and snapshots directly, so that tests
// decide which blob lands in which pack.
type builder struct {
	t       *testing.T
	r       *repo.Repository
	dir     string
	rnd     *rand.Rand
	pending format.Index // packs not yet in an index file
	now     time.Time
	want    map[format.ID]map[string][]byte // snapshot → file name → content
}

func newBuilder(t *testing.T, version uint) *builder {
	t.Helper()
	r, dir := repotest.New(t, version, repo.Options{PackSize: testPackSize})
	return &builder{t: t, r: r, dir: dir, rnd: rand.New(rand.NewPCG(uint64(version), 42)),
		now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), want: map[format.ID]map[string][]byte{}}
}

// blobs returns n random blobs of size bytes.
func (b *builder) blobs(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, size)
		for j := range out[i] {
			out[i][j] = byte(b.rnd.Uint32())
		}
	}
	return out
}

// pack stores the blobs as one pack and queues its index entry.
func (b *builder) pack(t format.BlobType, compressed bool, blobs ...[]byte) format.ID {
	b.t.Helper()
	var buf bytes.Buffer
	w, err := pack.NewWriter(&buf, b.r.Key(), pack.Options{Version: b.r.Config().Version})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, data := range blobs {
		if _, err := w.Add(t, format.Hash(data), data, compressed); err != nil {
			b.t.Fatal(err)
		}
	}
	res, err := w.Finalize()
	if err != nil {
		b.t.Fatal(err)
	}
	b.store(res.ID, buf.Bytes(), res.Blobs)
	return res.ID
}

// mixedPack stores data and tree blobs in one pack, which our writer
// refuses but older restic versions could produce.
func (b *builder) mixedPack(data, tree []byte) format.ID {
	b.t.Helper()
	var file, hdr []byte
	var entries []pack.Blob
	for i, blob := range [][]byte{data, tree} {
		typ, code := format.DataBlob, byte(0)
		if i == 1 {
			typ, code = format.TreeBlob, 1
		}
		sealed, err := b.r.Key().SealBox(nil, blob)
		if err != nil {
			b.t.Fatal(err)
		}
		entries = append(entries, pack.Blob{Type: typ, ID: format.Hash(blob), Offset: uint32(len(file)), Length: uint32(len(sealed))})
		file = append(file, sealed...)
		hdr = append(hdr, code)
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(sealed)))
		id := format.Hash(blob)
		hdr = append(hdr, id[:]...)
	}
	sealedHdr, err := b.r.Key().SealBox(nil, hdr)
	if err != nil {
		b.t.Fatal(err)
	}
	file = append(file, sealedHdr...)
	file = binary.LittleEndian.AppendUint32(file, uint32(len(sealedHdr)))
	id := format.Hash(file)
	b.store(id, file, entries)
	return id
}

func (b *builder) store(id format.ID, file []byte, blobs []pack.Blob) {
	b.t.Helper()
	h := backend.Handle{Type: backend.PackFile, Name: id.String()}
	if err := b.r.Backend().Save(b.t.Context(), h, backend.NewByteReader(file)); err != nil {
		b.t.Fatal(err)
	}
	ip := format.IndexPack{ID: id}
	for _, bl := range blobs {
		ip.Blobs = append(ip.Blobs, bl.IndexBlob())
	}
	b.pending.Packs = append(b.pending.Packs, ip)
}

// writeIndex stores the queued index entries as one index file.
func (b *builder) writeIndex() format.ID {
	b.t.Helper()
	doc, err := format.EncodeIndex(&b.pending)
	if err != nil {
		b.t.Fatal(err)
	}
	id, err := b.r.SaveUnpacked(b.t.Context(), backend.IndexFile, doc)
	if err != nil {
		b.t.Fatal(err)
	}
	b.pending = format.Index{}
	return id
}

// file is a file of a test snapshot (its chunks in order), or with sub
// set a directory holding the files in.
type file struct {
	name   string
	chunks [][]byte
	sub    []byte // tree blob of a directory
	in     []file // its files
}

// subdir returns a directory entry with the files in, and its tree blob,
// which the caller stores.
func (b *builder) subdir(name string, in ...file) (file, []byte) {
	tree := b.tree(in...)
	return file{name: name, sub: tree, in: in}, tree
}

// tree encodes a directory listing the files; the chunks must be stored
// separately (or not, to make a snapshot with missing data).
func (b *builder) tree(files ...file) []byte {
	b.t.Helper()
	var nodes []*format.Node
	for _, f := range files {
		if f.sub != nil {
			sub := format.Hash(f.sub)
			nodes = append(nodes, &format.Node{Name: f.name, Type: format.NodeDir, Mode: os.ModeDir | 0o755,
				ModTime: b.now, AccessTime: b.now, ChangeTime: b.now, Subtree: &sub})
			continue
		}
		n := &format.Node{Name: f.name, Type: format.NodeFile, Mode: 0o644, ModTime: b.now, AccessTime: b.now,
			ChangeTime: b.now, Content: format.IDs{}}
		for _, c := range f.chunks {
			n.Content = append(n.Content, format.Hash(c))
			n.Size += uint64(len(c))
		}
		nodes = append(nodes, n)
	}
	data, err := format.EncodeTree(nodes)
	if err != nil {
		b.t.Fatal(err)
	}
	return data
}

// snapshot stores a snapshot of the tree (already stored) and remembers
// what restoring it must give.
func (b *builder) snapshot(tree []byte, files ...file) format.ID {
	b.t.Helper()
	root := format.Hash(tree)
	b.now = b.now.Add(time.Minute)
	id, err := b.r.SaveSnapshot(b.t.Context(), &format.Snapshot{Time: b.now, Tree: &root, Paths: []string{"/data"}, Hostname: "test"})
	if err != nil {
		b.t.Fatal(err)
	}
	want := map[string][]byte{}
	addFiles(want, "", files)
	b.want[id] = want
	return id
}

func addFiles(want map[string][]byte, prefix string, files []file) {
	for _, f := range files {
		if f.sub != nil {
			addFiles(want, prefix+f.name+"/", f.in)
			continue
		}
		want[prefix+f.name] = bytes.Join(f.chunks, nil)
	}
}

// forget deletes snapshot files, as restic forget does.
func (b *builder) forget(ids ...format.ID) {
	b.t.Helper()
	for _, id := range ids {
		if err := b.r.Backend().Remove(b.t.Context(), backend.Handle{Type: backend.SnapshotFile, Name: id.String()}); err != nil {
			b.t.Fatal(err)
		}
		delete(b.want, id)
	}
}

// openRepo opens dir afresh, through wrap if not nil.
func openRepo(t *testing.T, dir string, wrap func(backend.Backend) backend.Backend) *repo.Repository {
	t.Helper()
	var be backend.Backend
	be, err := local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		be = wrap(be)
	}
	r, err := repo.Open(t.Context(), be, repotest.Password, repo.Options{PackSize: testPackSize})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// runPrune plans and executes a prune under an exclusive lock.
func runPrune(ctx context.Context, r *repo.Repository, opts prune.Options) (prune.Stats, prune.Result, error) {
	var st prune.Stats
	var res prune.Result
	err := r.WithLock(ctx, repo.LockMode{Exclusive: true}, func(lctx context.Context, l *repo.Lock) error {
		p, err := prune.NewPlan(lctx, r, opts)
		if err != nil {
			return err
		}
		res, err = p.Execute(lctx, l)
		st = p.Stats()
		return err
	})
	return st, res, err
}

func mustPrune(t *testing.T, dir string, opts prune.Options) (prune.Stats, prune.Result) {
	t.Helper()
	st, res, err := runPrune(t.Context(), openRepo(t, dir, nil), opts)
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	return st, res
}

// verifyRestores restores every snapshot the builder expects and compares
// each file, and checks that no other snapshot exists.
func (b *builder) verifyRestores(t *testing.T) {
	t.Helper()
	r := openRepo(t, b.dir, nil)
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	sns, err := r.Snapshots(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(sns) != len(b.want) {
		t.Fatalf("%d snapshots, want %d", len(sns), len(b.want))
	}
	for _, sn := range sns {
		want, ok := b.want[sn.ID]
		if !ok {
			t.Fatalf("unexpected snapshot %v", sn.ID.Str())
		}
		dst := t.TempDir()
		if _, err := restorer.Restore(t.Context(), r, *sn.Tree, dst, restorer.Options{}); err != nil {
			t.Fatalf("restore %v: %v", sn.ID.Str(), err)
		}
		for name, content := range want {
			got, err := os.ReadFile(filepath.Join(dst, name))
			if err != nil || !bytes.Equal(got, content) {
				t.Fatalf("snapshot %v file %s: restored %d bytes (%v), want %d", sn.ID.Str(), name, len(got), err, len(content))
			}
		}
	}
}

// resticCheck runs stock restic check --read-data, which must pass, and
// returns its output.
func resticCheck(t *testing.T, dir string) string {
	t.Helper()
	out, err := restic(t, dir, "check", "--read-data")
	if err != nil || !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check --read-data: %v\n%s", err, out)
	}
	return out
}

func restic(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	bin := testenv.RequireBinary(t, "restic")
	cmd := exec.Command(bin, append([]string{"--no-cache"}, args...)...)
	cmd.Env = append(os.Environ(), "RESTIC_REPOSITORY="+dir, "RESTIC_PASSWORD="+repotest.Password)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// listing returns every file below dir with its size and mode.
func listing(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = fmt.Sprint(fi.Size(), fi.Mode(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// packs lists the pack IDs in dir.
func packs(t *testing.T, dir string) map[format.ID]bool {
	t.Helper()
	r := openRepo(t, dir, nil)
	ids, err := r.List(t.Context(), backend.PackFile)
	if err != nil {
		t.Fatal(err)
	}
	out := map[format.ID]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// loadedIndex opens dir and loads its index.
func loadedIndex(t *testing.T, dir string) *repo.Repository {
	t.Helper()
	r := openRepo(t, dir, nil)
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	return r
}
