package checker_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/checker"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

const password = "checker test password"

// fixture is a repository written by our code, and what is in it.
type fixture struct {
	dir        string
	dataPacks  []format.ID
	treePacks  []format.ID
	indexFiles []format.ID
	snapshots  []format.ID
}

var base struct {
	once sync.Once
	fix  fixture
	err  error
	tmp  string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if base.tmp != "" {
		_ = os.RemoveAll(base.tmp)
	}
	os.Exit(code)
}

// baseRepo builds, once per test binary, a repository with three snapshots
// (three index files, ~15 data packs of 64 KiB, three tree packs) and
// returns a fresh copy of it for the caller to damage.
func baseRepo(t *testing.T) fixture {
	t.Helper()
	base.once.Do(func() {
		base.tmp, base.err = os.MkdirTemp("", "checker-base-")
		if base.err == nil {
			base.fix, base.err = buildRepo(filepath.Join(base.tmp, "repo"))
		}
	})
	if base.err != nil {
		t.Fatal(base.err)
	}
	f := base.fix
	f.dir = filepath.Join(t.TempDir(), "repo")
	if err := os.CopyFS(f.dir, os.DirFS(base.fix.dir)); err != nil {
		t.Fatal(err)
	}
	return f
}

func buildRepo(dir string) (fixture, error) {
	ctx := context.Background()
	fix := fixture{dir: dir}
	be, err := local.Create(ctx, dir)
	if err != nil {
		return fix, err
	}
	r, err := repo.Init(ctx, be, password, repo.InitOptions{KDF: crypto.Params{N: 1024, R: 8, P: 1}}, repo.Options{PackSize: 64 << 10})
	if err != nil {
		return fix, err
	}
	rnd := rand.New(rand.NewPCG(7, 8))
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for s := range 3 {
		var root format.ID
		_, err := r.WithBlobSaver(ctx, func(ctx context.Context, bs *repo.BlobSaver) error {
			var files []*format.Node
			for f := range 5 {
				n := &format.Node{Name: fmt.Sprintf("file%d", f), Type: format.NodeFile, Mode: 0o644,
					ModTime: now, AccessTime: now, ChangeTime: now, Content: format.IDs{}}
				for range 3 {
					chunk := make([]byte, 20<<10)
					for i := range chunk {
						chunk[i] = byte(rnd.Uint32())
					}
					id, _, err := bs.SaveBlob(ctx, format.DataBlob, chunk)
					if err != nil {
						return err
					}
					n.Content = append(n.Content, id)
					n.Size += uint64(len(chunk))
				}
				files = append(files, n)
			}
			sub, err := saveTree(ctx, bs, files)
			if err != nil {
				return err
			}
			root, err = saveTree(ctx, bs, []*format.Node{{Name: "src", Type: format.NodeDir, Mode: os.ModeDir | 0o755,
				ModTime: now, AccessTime: now, ChangeTime: now, Subtree: &sub}})
			return err
		})
		if err != nil {
			return fix, err
		}
		id, err := r.SaveSnapshot(ctx, &format.Snapshot{Time: now.Add(time.Duration(s) * time.Hour), Tree: &root,
			Paths: []string{"/src"}, Hostname: "test"})
		if err != nil {
			return fix, err
		}
		fix.snapshots = append(fix.snapshots, id)
	}
	if err := r.LoadIndex(ctx); err != nil {
		return fix, err
	}
	blobs := map[format.ID]int{}
	r.Index().EachPack(func(id format.ID, bs []format.IndexBlob) bool {
		blobs[id] = len(bs)
		if bs[0].Type == format.TreeBlob {
			fix.treePacks = append(fix.treePacks, id)
		} else {
			fix.dataPacks = append(fix.dataPacks, id)
		}
		return true
	})
	// Fullest packs first, in a fixed order: cases that damage one entry
	// of dataPacks[i] need a pack with more than one blob (the last pack of
	// a saver session may hold only one, and which pack that is varies).
	slices.SortFunc(fix.dataPacks, func(a, b format.ID) int {
		return cmp.Or(cmp.Compare(blobs[b], blobs[a]), bytes.Compare(a[:], b[:]))
	})
	fix.indexFiles, err = r.List(ctx, backend.IndexFile)
	return fix, err
}

func saveTree(ctx context.Context, bs *repo.BlobSaver, nodes []*format.Node) (format.ID, error) {
	data, err := format.EncodeTree(nodes)
	if err != nil {
		return format.ID{}, err
	}
	id, _, err := bs.SaveBlob(ctx, format.TreeBlob, data)
	return id, err
}

func openRepo(t *testing.T, dir string) *repo.Repository {
	t.Helper()
	be, err := local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), be, password, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func check(t *testing.T, dir string, opts checker.Options) *checker.Report {
	t.Helper()
	rep, err := checker.Check(t.Context(), openRepo(t, dir), opts)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return rep
}

func packPath(dir string, id format.ID) string {
	return filepath.Join(dir, "data", id.String()[:2], id.String())
}

// restic runs stock restic on dir; it never uses a cache, so each run sees
// the repository as it is on disk.
func restic(ctx context.Context, bin, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"--no-cache"}, args...)...)
	cmd.Env = append(os.Environ(), "RESTIC_REPOSITORY="+dir, "RESTIC_PASSWORD="+password)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
