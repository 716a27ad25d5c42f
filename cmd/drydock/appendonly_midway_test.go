package main

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/prune"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// TestAppendOnlyPruneRefusedMidway: a prune whose up-front check was
// skipped, behind rclone serve restic --append-only, writes its new index
// and then stops at the first refused delete, naming the missing
// permission and that no pack was deleted; every pack is still there and
// restic 0.14 finds the repository clean.
func TestAppendOnlyPruneRefusedMidway(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	srv := resttest.Start(t, resttest.Options{AppendOnly: true})
	c := newCLI(t, srv.Location("repo"))
	src := t.TempDir()
	c.must("init")
	writeRandomFiles(t, src, 3, 50_000)
	c.must("backup", src)
	if err := os.WriteFile(filepath.Join(src, "only-in-second"), []byte(strings.Repeat("x", 100_000)), 0o644); err != nil {
		t.Fatal(err)
	}
	c.must("backup", src)
	// The maintenance host forgot the second snapshot on the storage.
	dir := filepath.Join(srv.Dir, "repo")
	snaps, err := os.ReadDir(filepath.Join(dir, "snapshots"))
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots: %v, %v", snaps, err)
	}
	latest := strings.TrimSpace(c.must("snapshots", "--json", "latest"))
	for _, s := range snaps {
		if strings.Contains(latest, s.Name()) {
			if err := os.Remove(filepath.Join(dir, "snapshots", s.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	packsBefore := packFiles(dirFiles(t, dir))

	g := &globalOptions{stdout: os.Stdout, stderr: os.Stderr, getenv: func(k string) string { return c.env[k] }, environ: c.environ}
	err = g.withRepository(t.Context(), func(ctx context.Context, r *repo.Repository) error {
		return r.WithLock(ctx, repo.LockMode{Exclusive: true}, func(ctx context.Context, l *repo.Lock) error {
			plan, err := prune.NewPlan(ctx, r, prune.Options{})
			if err != nil {
				return err
			}
			if plan.Empty() {
				t.Fatal("nothing to prune: the test's setup is wrong")
			}
			_, err = plan.Execute(ctx, l)
			return err
		})
	})
	if !errors.Is(err, backend.ErrDeleteRefused) || !strings.Contains(err.Error(), "no pack was deleted") {
		t.Fatalf("prune: %v, want the refusal, saying no pack was deleted", err)
	}
	t.Logf("prune: %v", err)
	if after := packFiles(dirFiles(t, dir)); !maps.Equal(packsBefore, after) {
		t.Errorf("packs changed: before %d, after %d", len(packsBefore), len(after))
	}
	if locks, _ := os.ReadDir(filepath.Join(dir, "locks")); len(locks) != 0 {
		t.Errorf("%d lock files left", len(locks))
	}
	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check:\n%s", out)
	}
}

func packFiles(files map[string]int64) map[string]int64 {
	maps.DeleteFunc(files, func(name string, _ int64) bool { return !strings.HasPrefix(name, "data/") })
	return files
}
