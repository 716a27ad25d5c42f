package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// The shape the issue names.
const (
	bigEntries   = 100_000
	smallDirs    = 90
	smallEntries = 10_000
	snapshots    = 10_000
	hosts        = 20
	downloadSize = 1 << 30
)

// layout is what make wrote, for measure.
type layout struct {
	FilesSnapshot    string `json:"files_snapshot"`    // the 1,000,000 files
	DownloadSnapshot string `json:"download_snapshot"` // /big.bin
}

func layoutPath(repoDir string) string { return filepath.Join(filepath.Dir(repoDir), "layout.json") }

func makeRepository(ctx context.Context, dir, password string) error {
	if _, err := os.Stat(layoutPath(dir)); err == nil {
		log.Printf("%s exists: the repository is made already", layoutPath(dir))
		return nil
	}
	be, err := local.Create(ctx, dir)
	if err != nil {
		return err
	}
	r, err := repo.Init(ctx, be, password, repo.InitOptions{}, repo.Options{})
	if err != nil {
		return err
	}
	t0 := time.Now()
	var root format.ID
	if _, err := r.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		root, err = filesTree(ctx, s)
		return err
	}); err != nil {
		return fmt.Errorf("trees: %w", err)
	}
	log.Printf("trees of %d files in %v", bigEntries+smallDirs*smallEntries, time.Since(t0).Round(time.Millisecond))
	var out layout
	if out.FilesSnapshot, err = manySnapshots(ctx, r, root); err != nil {
		return err
	}
	if out.DownloadSnapshot, err = downloadSnapshot(ctx, r); err != nil {
		return err
	}
	b, _ := json.Marshal(out)
	return os.WriteFile(layoutPath(dir), b, 0o600)
}

// filesTree saves the trees of the synthetic snapshot and returns the
// root's ID.
func filesTree(ctx context.Context, s *repo.BlobSaver) (format.ID, error) {
	mtime := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var root []*format.Node
	big, err := saveFolder(ctx, s, "f", bigEntries, mtime)
	if err != nil {
		return format.ID{}, err
	}
	root = append(root, dirNode("big", big, mtime))
	for i := range smallDirs {
		id, err := saveFolder(ctx, s, fmt.Sprintf("d%02d-", i), smallEntries, mtime)
		if err != nil {
			return format.ID{}, err
		}
		root = append(root, dirNode(fmt.Sprintf("dir%02d", i), id, mtime))
	}
	return saveTree(ctx, s, root)
}

// saveFolder saves a tree of n empty files named prefix000000 on.
func saveFolder(ctx context.Context, s *repo.BlobSaver, prefix string, n int, mtime time.Time) (format.ID, error) {
	nodes := make([]*format.Node, n)
	for i := range nodes {
		nodes[i] = &format.Node{Name: fmt.Sprintf("%s%06d.txt", prefix, i), Type: format.NodeFile, Mode: 0o644,
			ModTime: mtime, AccessTime: mtime, ChangeTime: mtime, UID: 1000, GID: 1000, User: "app", Group: "app",
			Inode: uint64(i + 1), Links: 1, Content: format.IDs{}}
	}
	return saveTree(ctx, s, nodes)
}

func dirNode(name string, sub format.ID, mtime time.Time) *format.Node {
	return &format.Node{Name: name, Type: format.NodeDir, Mode: os.ModeDir | 0o755, ModTime: mtime,
		AccessTime: mtime, ChangeTime: mtime, Content: nil, Subtree: &sub}
}

func saveTree(ctx context.Context, s *repo.BlobSaver, nodes []*format.Node) (format.ID, error) {
	b, err := format.EncodeTree(nodes)
	if err != nil {
		return format.ID{}, err
	}
	id, _, err := s.SaveBlob(ctx, format.TreeBlob, b)
	return id, err
}

// manySnapshots writes the 10,000 snapshots of the files tree: 20 hosts,
// each backing up its own path every 53 minutes or so over a year. It
// returns the newest one's ID.
func manySnapshots(ctx context.Context, r *repo.Repository, tree format.ID) (string, error) {
	end := time.Now().Add(-time.Hour).Truncate(time.Second)
	step := 365 * 24 * time.Hour / snapshots
	var last format.ID
	for i := range snapshots {
		h := i % hosts
		sn := &format.Snapshot{Time: end.Add(-time.Duration(snapshots-1-i) * step), Tree: &tree,
			Paths: []string{fmt.Sprintf("/srv/app%02d", h)}, Hostname: fmt.Sprintf("bench-host-%02d", h),
			Username: "root", Tags: []string{"bench"}, ProgramVersion: "consolebench"}
		id, err := r.SaveSnapshot(ctx, sn)
		if err != nil {
			return "", fmt.Errorf("snapshot %d: %w", i, err)
		}
		last = id
	}
	return last.String(), nil
}

// downloadSnapshot backs up 1 GiB of pseudo-random bytes as /big.bin.
func downloadSnapshot(ctx context.Context, r *repo.Repository) (string, error) {
	t0 := time.Now()
	res, err := backup.Paths(ctx, r, nil, nil, backup.PathOptions{Host: "bench-download", Stdin: &backup.Stream{
		Name: "big.bin",
		Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(io.LimitReader(rand.NewChaCha8([32]byte{7}), downloadSize)), nil
		},
	}})
	if err != nil {
		return "", fmt.Errorf("the download snapshot: %w", err)
	}
	log.Printf("1 GiB snapshot %s in %v", res.ID.Str(), time.Since(t0).Round(time.Millisecond))
	return res.ID.String(), nil
}
