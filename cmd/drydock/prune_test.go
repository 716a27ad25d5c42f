package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	mathrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// pruneState changes dir into its i-th state: a few files stay, a new one
// comes, an old one goes, and a large file is rewritten in part, so that
// forgetting old snapshots leaves partly used packs.
func pruneState(t *testing.T, dir string, i int) {
	t.Helper()
	if err := writePruneState(dir, i); err != nil {
		t.Fatal(err)
	}
}

func writePruneState(dir string, i int) error {
	rng := mathrand.NewChaCha8([32]byte{'p', 'r', 'u', 'n', 'e', byte(i)})
	random := func(n int) []byte {
		b := make([]byte, n)
		_, _ = rng.Read(b)
		return b
	}
	files := map[string][]byte{
		fmt.Sprintf("v/v%02d.bin", i):        random(200<<10 + i*37<<10),
		fmt.Sprintf("sub/d%02d/note.txt", i): []byte(fmt.Sprintf("state %d\n", i)),
	}
	if i == 0 {
		for k := range 3 {
			files[fmt.Sprintf("keep/k%d.bin", k)] = random(700 << 10)
		}
		files["rolling.bin"] = random(3 << 20)
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	_ = os.Remove(filepath.Join(dir, fmt.Sprintf("v/v%02d.bin", i-3)))
	f, err := os.OpenFile(filepath.Join(dir, "rolling.bin"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(random(600<<10), int64(i%5)*(600<<10)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// treeManifest maps every entry below dir to its content hash ("dir" for
// directories).
func treeManifest(t *testing.T, dir string) map[string]string {
	t.Helper()
	m, err := manifestOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func manifestOf(dir string) (map[string]string, error) {
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			m[rel] = "dir"
			return nil
		}
		data, err := os.ReadFile(p)
		m[rel] = sha256Hex(data)
		return err
	})
	return m, err
}

func sameManifest(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// pruneJSON is drydock prune --json's output.
type pruneJSON struct {
	DryRun bool `json:"dry_run"`
	Stats  struct {
		Used   struct{ Blobs int } `json:"used"`
		Unused struct{ Blobs int } `json:"unused"`
		Packs  struct {
			Keep, Repack, Remove int
		} `json:"packs"`
	} `json:"stats"`
	Result *struct {
		PacksDeleted int `json:"packs_deleted"`
		PacksWritten int `json:"packs_written"`
	} `json:"result"`
}

func decodePrune(t *testing.T, out string) pruneJSON {
	t.Helper()
	var p pruneJSON
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("prune --json output: %v\n%s", err, out)
	}
	return p
}

// backupID runs drydock backup --json and returns the snapshot ID.
func (c *cli) backupID(src string) string {
	c.t.Helper()
	var sum struct {
		SnapshotID string `json:"snapshot_id"`
	}
	if err := json.Unmarshal([]byte(c.must("--json", "backup", src)), &sum); err != nil || sum.SnapshotID == "" {
		c.t.Fatalf("backup --json: %v", err)
	}
	return sum.SnapshotID
}

// resticRestoreMatches restores snapshot id with stock restic and compares
// it with the manifest of the state that was backed up.
func (c *cli) resticRestoreMatches(bin, id, src string, want map[string]string) {
	c.t.Helper()
	dst := c.t.TempDir()
	c.mustRestic(bin, "restore", id, "--target", dst)
	if got := treeManifest(c.t, filepath.Join(dst, src)); !sameManifest(got, want) {
		c.t.Fatalf("restic restore of %s differs from what was backed up:\ngot  %v\nwant %v", id[:8], got, want)
	}
}

// TestPruneCommand: dry run changes nothing, prune frees space, restic
// judges the result, a second prune has nothing to do, and a held lock
// gives exit code 11 (also after --retry-lock runs out).
func TestPruneCommand(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, repoDir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	var ids []string
	states := map[string]map[string]string{}
	for i := range 4 {
		pruneState(t, src, i)
		id := c.backupID(src)
		ids = append(ids, id)
		states[id] = treeManifest(t, src)
	}
	c.mustRestic(bin, "forget", ids[0], ids[2])

	before := treeManifest(t, repoDir)
	dry := decodePrune(t, c.must("--json", "prune", "--dry-run", "--max-unused", "0"))
	if !dry.DryRun || dry.Result != nil || dry.Stats.Packs.Repack+dry.Stats.Packs.Remove == 0 || dry.Stats.Unused.Blobs == 0 {
		t.Fatalf("dry run: %+v", dry)
	}
	if after := treeManifest(t, repoDir); !sameManifest(before, after) {
		t.Fatal("prune --dry-run changed the repository")
	}
	text := c.must("prune", "--max-unused", "0")
	for _, want := range []string{"unused:", "to repack:", "rebuilding index", "done"} {
		if !strings.Contains(text, want) {
			t.Errorf("prune output lacks %q:\n%s", want, text)
		}
	}
	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") || strings.Contains(out, "additional files") {
		t.Fatalf("restic check after drydock prune:\n%s", out)
	}
	for _, id := range []string{ids[1], ids[3]} {
		c.resticRestoreMatches(bin, id, src, states[id])
	}
	// Nothing is unused any more. The backups and the first prune's
	// repacking may have left ten or more small packs (new blobs go to one
	// of several open packs at random), which prune then merges, as
	// restic's does; after that a prune has nothing at all to do.
	again := decodePrune(t, c.must("--json", "prune", "--max-unused", "0"))
	if again.Stats.Unused.Blobs != 0 || again.Stats.Packs.Remove != 0 || again.Result == nil {
		t.Fatalf("second prune: %+v", again)
	}
	if again.Stats.Packs.Repack > 0 {
		again = decodePrune(t, c.must("--json", "prune", "--max-unused", "0"))
	}
	if again.Stats.Packs.Repack != 0 || again.Result == nil || again.Result.PacksDeleted != 0 {
		t.Fatalf("prune after the small packs were merged: %+v", again)
	}

	holder := openCLIRepo(t, c, repoDir, 0)
	repotest.HoldLock(t, holder, false)
	for _, args := range [][]string{{"prune"}, {"prune", "--retry-lock", "700ms"}} {
		start := time.Now()
		if _, errOut, code := c.run(args...); code != exitLocked || !strings.Contains(errOut, "locked") {
			t.Fatalf("drydock %v under a lock: exit %d, want %d\n%s", args, code, exitLocked, errOut)
		}
		if len(args) > 1 && time.Since(start) < 700*time.Millisecond {
			t.Fatalf("--retry-lock 700ms gave up after %v", time.Since(start))
		}
	}
}

// TestResticPrunesDrydockRepo: after restic's prune of a repository that
// drydock wrote, drydock checks, restores and backs up as before.
func TestResticPrunesDrydockRepo(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, repoDir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	var ids []string
	for i := range 3 {
		pruneState(t, src, i)
		ids = append(ids, c.backupID(src))
	}
	want := treeManifest(t, src)
	c.mustRestic(bin, "forget", ids[0], ids[1])
	c.mustRestic(bin, "prune", "--max-unused", "0")
	c.must("check", "--read-data")
	dst := t.TempDir()
	c.must("restore", ids[2], "--target", dst)
	if got := treeManifest(t, filepath.Join(dst, src)); !sameManifest(got, want) {
		t.Fatal("drydock restore after restic prune differs from the source")
	}
	pruneState(t, src, 3)
	id := c.backupID(src)
	c.must("check", "--read-data")
	c.resticRestoreMatches(bin, id, src, treeManifest(t, src))
}

// TestDrydockPrunesResticRepo: drydock prunes what restic wrote and
// forgot; restic check --read-data is clean and restic restores every
// remaining snapshot as it was backed up.
func TestDrydockPrunesResticRepo(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, repoDir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.mustRestic(bin, "init")
	states := map[string]map[string]string{}
	var ids []string
	for i := range 4 {
		pruneState(t, src, i)
		c.mustRestic(bin, "backup", src)
		var sns []struct{ ID string }
		if err := json.Unmarshal([]byte(c.mustRestic(bin, "snapshots", "--json", "--latest", "1")), &sns); err != nil || len(sns) != 1 {
			t.Fatalf("restic snapshots: %v", err)
		}
		ids = append(ids, sns[0].ID)
		states[sns[0].ID] = treeManifest(t, src)
	}
	c.mustRestic(bin, "forget", ids[0], ids[2])
	res := decodePrune(t, c.must("--json", "prune", "--max-unused", "0"))
	if res.Result == nil || res.Result.PacksDeleted == 0 {
		t.Fatalf("drydock prune of restic's repository deleted nothing: %+v", res)
	}
	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") || strings.Contains(out, "additional files") {
		t.Fatalf("restic check after drydock prune:\n%s", out)
	}
	for _, id := range []string{ids[1], ids[3]} {
		c.resticRestoreMatches(bin, id, src, states[id])
	}
	c.mustRestic(bin, "backup", src) // restic goes on writing
	c.mustRestic(bin, "check")
}

// openCLIRepo opens the cli's repository in-process.
func openCLIRepo(t *testing.T, c *cli, dir string, lockRetry time.Duration) *repo.Repository {
	t.Helper()
	be, err := local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), be, c.env["RESTIC_PASSWORD"], repo.Options{LockRetry: lockRetry})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// forgetIDs removes snapshot files under an exclusive lock, as drydock
// forget does. It reports whether the repository was locked.
func forgetIDs(t *testing.T, c *cli, dir string, ids []string) (locked bool, err error) {
	r := openCLIRepo(t, c, dir, 2*time.Second)
	err = r.WithLock(t.Context(), repo.LockMode{Exclusive: true}, func(lctx context.Context, _ *repo.Lock) error {
		for _, id := range ids {
			if err := r.Backend().Remove(lctx, backend.Handle{Type: backend.SnapshotFile, Name: id}); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, repo.ErrLocked) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, nil
}

// untilUnlocked repeats attempt, which waits briefly for the lock itself,
// while it finds the repository locked: a backup every second or so
// leaves short gaps, which long retry waits would keep missing.
func untilUnlocked(t *testing.T, what string, attempt func() (locked bool)) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for attempt() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the repository stayed locked for 3 minutes", what)
		}
	}
}

// stateLog is what the backup process saved: snapshot ID → manifest.
type stateLog struct {
	locked atomic.Int32 // backups refused because prune held the lock

	mu     sync.Mutex
	states map[string]map[string]string
	order  []string
}

func (s *stateLog) add(id string, m map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states[id] = m
	s.order = append(s.order, id)
}

// forgettable returns every other saved snapshot but the newest, not yet
// forgotten, and forgets them in the log.
func (s *stateLog) forgettable() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for i, id := range s.order {
		if _, ok := s.states[id]; ok && i%2 == 0 && i < len(s.order)-1 {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *stateLog) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order)
}

func (s *stateLog) forget(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.states, id)
	}
}

// backupLoop is the other host: it backs up a changing directory with the
// drydock binary, retrying while prune holds the lock (exit code 11).
func backupLoop(ctx context.Context, bin string, c *cli, src string, n int, log *stateLog) error {
	for i := range n {
		if err := writePruneState(src, i); err != nil {
			return err
		}
		want, err := manifestOf(src)
		if err != nil {
			return err
		}
		for {
			cmd := exec.CommandContext(ctx, bin, "--json", "backup", "--host", "other", src)
			cmd.Env = c.environ()
			out, err := cmd.Output()
			if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitLocked {
				log.locked.Add(1)
				// The workload's own backoff, as a scheduler's retry.
				time.Sleep(time.Duration(50+mathrand.IntN(150)) * time.Millisecond)
				continue
			}
			if err != nil {
				return fmt.Errorf("backup %d: %v\n%s", i, err, out)
			}
			var sum struct {
				SnapshotID string `json:"snapshot_id"`
			}
			if err := json.Unmarshal(out, &sum); err != nil {
				return fmt.Errorf("backup %d output: %v\n%s", i, err, out)
			}
			log.add(sum.SnapshotID, want)
			break
		}
		// A pause between backups, as between a host's jobs, in which
		// prune can get its exclusive lock.
		time.Sleep(time.Duration(300+mathrand.IntN(400)) * time.Millisecond)
	}
	return nil
}

// TestPruneConcurrentBackup: while another process backs up a changing
// directory in a loop, this test forgets snapshots and prunes again and
// again. Afterwards restic check --read-data is clean and every snapshot
// restores exactly as its state was backed up.
func TestPruneConcurrentBackup(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	src, repoDir := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	log := &stateLog{states: map[string]map[string]string{}}
	const backups = 12
	done := make(chan error, 1)
	bin2 := drydockBinary(t)
	go func() { done <- backupLoop(t.Context(), bin2, c, src, backups, log) }()

	prunes, deleted, pruneLocked := 0, 0, 0
	pruneOnce := func() {
		if ids := log.forgettable(); len(ids) > 0 {
			untilUnlocked(t, "forget", func() bool {
				locked, err := forgetIDs(t, c, repoDir, ids)
				if err != nil {
					t.Fatalf("forget: %v", err)
				}
				return locked
			})
			log.forget(ids)
		}
		untilUnlocked(t, "prune", func() bool {
			out, errOut, code := c.run("--json", "prune", "--retry-lock", "2s", "--max-unused", "0")
			switch code {
			case exitLocked:
				pruneLocked++
				return true
			case exitOK:
				prunes++
				deleted += decodePrune(t, out).Result.PacksDeleted
				return false
			}
			t.Fatalf("prune: exit %d\n%s", code, errOut)
			return false
		})
	}
	// Prune after every third backup while the backups go on, and once
	// more at the end.
	for round := 1; ; round++ {
		if !testenv.Eventually(10*time.Minute, 50*time.Millisecond, func() bool { return log.count() >= 3*round || len(done) > 0 }) {
			t.Fatalf("no 3 more backups within 10 minutes (%d so far)", log.count())
		}
		if len(done) > 0 {
			break
		}
		pruneOnce()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	pruneOnce()
	if prunes < 4 || deleted == 0 {
		t.Fatalf("%d prunes deleted %d packs; the test should prune during the backups", prunes, deleted)
	}
	t.Logf("%d prunes deleted %d packs while %d backups ran; prune found the repository locked %d times, backups %d times",
		prunes, deleted, backups, pruneLocked, log.locked.Load())

	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check:\n%s", out)
	}
	r := openCLIRepo(t, c, repoDir, 0)
	ids, err := r.List(t.Context(), backend.SnapshotFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(log.states) {
		t.Fatalf("%d snapshots in the repository, the log expects %d", len(ids), len(log.states))
	}
	for _, id := range ids {
		want, ok := log.states[id.String()]
		if !ok {
			t.Fatalf("snapshot %v is not in the log", id.Str())
		}
		c.resticRestoreMatches(bin, id.String(), src, want)
	}
	// drydock's own restore of the newest state, for good measure.
	dst := t.TempDir()
	c.must("restore", log.order[len(log.order)-1], "--target", dst)
	if got := treeManifest(t, filepath.Join(dst, src)); !sameManifest(got, log.states[log.order[len(log.order)-1]]) {
		t.Fatal("drydock restore of the newest snapshot differs")
	}
}
