package snapedit_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snapedit"
)

// TestRepairUnreadableTree: a directory whose tree is not in the
// repository becomes empty in the repair, which keeps everything else and
// is tagged "repaired"; a rewrite of the same snapshot fails instead.
func TestRepairUnreadableTree(t *testing.T) {
	r, _ := repotest.New(t, 0, repo.Options{})
	missing := format.Hash([]byte("a tree nobody saved"))
	root := repotest.Crafted(t, r, func(c *repotest.Craft) *format.ID {
		return c.Tree(c.File("f", 0o644, "kept"), c.Dir("lost", 0o755, &missing))
	})
	doc := &format.Snapshot{Time: time.Now(), Tree: &root, Paths: []string{"/d"}, Hostname: "h"}
	id, err := r.SaveSnapshot(t.Context(), doc)
	if err != nil {
		t.Fatal(err)
	}
	sns := []repo.Snapshot{{ID: id, Snapshot: doc}}
	if _, err := snapedit.Rewrite(t.Context(), r, sns, snapedit.RewriteOptions{Excludes: []string{"*.none"}}); err == nil {
		t.Error("a rewrite through an unreadable tree succeeded")
	}
	done, err := snapedit.Repair(t.Context(), r, sns, snapedit.RepairOptions{})
	if err != nil || len(done) != 1 || !slices.ContainsFunc(done[0].Changes, func(c string) bool { return strings.HasPrefix(c, "/lost: ") }) {
		t.Fatalf("repair: %+v, %v", done, err)
	}
	sn, err := r.LoadSnapshot(t.Context(), done[0].New)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := r.LoadTree(t.Context(), *sn.Tree)
	if err != nil || len(tree.Nodes) != 2 || tree.Nodes[0].Name != "f" || tree.Nodes[1].Name != "lost" {
		t.Fatalf("repaired root %+v, %v", tree, err)
	}
	sub, err := r.LoadTree(t.Context(), *tree.Nodes[1].Subtree)
	if err != nil || len(sub.Nodes) != 0 {
		t.Errorf("the unreadable directory became %+v, %v; want an empty one", sub, err)
	}
	if !slices.Equal(sn.Tags, []string{"repaired"}) || sn.Original == nil || *sn.Original != id {
		t.Errorf("repaired snapshot tags %q original %v", sn.Tags, sn.Original)
	}
}
