package main

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// lockedRepo is a repository in a bucket with object locking, used with
// -o s3.object-lock and the README's backup user.
type lockedRepo struct {
	t      *testing.T
	srv    *miniotest.Server
	bucket string
	c      *cli
	opt    []string
}

func newLockedRepo(t *testing.T, lock string) *lockedRepo {
	srv := miniotest.Start(t)
	bucket := srv.NewLockedBucket(t)
	c := s3CLI(t, srv, bucket)
	c.env["AWS_ACCESS_KEY_ID"], c.env["AWS_SECRET_ACCESS_KEY"] = srv.AddUser(t, miniotest.ObjectLockPolicyFor(bucket))
	return &lockedRepo{t: t, srv: srv, bucket: bucket, c: c, opt: []string{"-o", "s3.object-lock=" + lock}}
}

// must runs drydock with the object lock option.
func (l *lockedRepo) must(args ...string) string {
	l.t.Helper()
	return l.c.must(append(l.opt, args...)...)
}

func (l *lockedRepo) keys(prefix string) []string { return l.srv.Keys(l.t, l.bucket, prefix) }

func (l *lockedRepo) unretain(prefix string) {
	for _, k := range l.keys(prefix) {
		l.srv.Unretain(l.t, l.bucket, k)
	}
}

func (l *lockedRepo) resticCheck(bin string) {
	l.t.Helper()
	if out := l.c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		l.t.Fatalf("restic check:\n%s", out)
	}
}

func (l *lockedRepo) snapshotCount() int {
	l.t.Helper()
	var sns []json.RawMessage
	if err := json.Unmarshal([]byte(l.must("snapshots", "--json")), &sns); err != nil {
		l.t.Fatal(err)
	}
	return len(sns)
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// forget and prune keep what is retained, say so, and leave a repository
// that restic checks clean at every step; once retentions have run out
// (lifted here, as they would run out) prune deletes it all, every
// version. The retentions are lifted step by step: snapshots first, then
// packs while the index files that name them are still retained.
func TestObjectLockForgetPrune(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	l := newLockedRepo(t, "governance:1m")
	src := t.TempDir()
	fixture.Build(t, src)
	gone := filepath.Join(src, "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	writeRandomFiles(t, gone, 4, 1<<20)
	l.must("init")
	l.must("backup", src)
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	l.must("backup", src)
	packsBefore := len(l.keys("data/"))

	out := l.must("forget", "--keep-last", "1", "--dry-run")
	wantLines(t, out, "would remove 0 snapshots", "dry run: would have kept 1 snapshot under retention (S3 Object Lock) until ")
	out = l.must("forget", "--keep-last", "1", "--prune")
	wantLines(t, out, "removed 0 snapshots", "kept 1 snapshot under retention (S3 Object Lock) until ")
	if n := l.snapshotCount(); n != 2 {
		t.Fatalf("%d snapshots after forgetting a retained one, want 2", n)
	}
	l.resticCheck(bin)

	l.unretain("snapshots/")
	out = l.must("forget", "--keep-last", "1", "--prune")
	wantLines(t, out, "removed 1 snapshots", "extended the retention of 1 snapshot until ", "packs under retention (S3 Object Lock) until ")
	if n := l.snapshotCount(); n != 1 {
		t.Fatalf("%d snapshots, want 1", n)
	}
	if n := len(l.keys("data/")); n != packsBefore {
		t.Fatalf("%d packs after prune, want all %d kept", n, packsBefore)
	}
	l.resticCheck(bin)

	l.unretain("data/")
	var sum struct {
		Result struct {
			Retained []struct {
				Type  string    `json:"type"`
				Files int       `json:"files"`
				Until time.Time `json:"until"`
			} `json:"retained"`
			Extension struct {
				Files map[string]int `json:"files"`
			} `json:"retention_extended"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(l.must("prune", "--json")), &sum); err != nil {
		t.Fatal(err)
	}
	if r := sum.Result.Retained; len(r) != 2 || r[0].Type != "pack" || r[1].Type != "index" || r[0].Files == 0 || time.Until(r[1].Until) <= 0 {
		t.Errorf("prune --json: retained %+v, want packs and index files with a retention to come", r)
	}
	if sum.Result.Extension.Files["pack"] == 0 {
		t.Errorf("prune --json: extension %+v, want the used packs whose retention was lifted", sum.Result.Extension)
	}
	if n := len(l.keys("data/")); n != packsBefore {
		t.Fatalf("%d packs after prune, want all %d kept: their index file is retained", n, packsBefore)
	}
	l.resticCheck(bin)

	l.unretain("data/")
	l.unretain("index/")
	out = l.must("prune")
	if strings.Contains(out, "under retention") {
		t.Errorf("prune kept files although no retention is left:\n%s", out)
	}
	if n := len(l.keys("data/")); n >= packsBefore {
		t.Fatalf("%d packs after prune, want fewer than %d", n, packsBefore)
	}
	for _, dir := range []string{"data/", "index/"} {
		if v, n := l.srv.Versions(t, l.bucket, dir), len(l.keys(dir)); v != n {
			t.Errorf("%s: %d versions for %d files: deleted files left versions behind", dir, v, n)
		}
	}
	l.resticCheck(bin)
	dst := t.TempDir()
	l.must("restore", "latest", "--target", dst)
	fixture.Compare(t, src, filepath.Join(dst, src), fixture.CompareOptions{})
}

// The maintenance step: a retention about to run out (shortened here)
// shows in check, text and JSON; prune extends it for packs and config
// and writes the index anew, forget for the snapshot it keeps; then check
// is quiet again.
func TestObjectLockExtendAndCheck(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	l := newLockedRepo(t, "governance:1m")
	src := t.TempDir()
	fixture.Build(t, src)
	l.must("init")
	l.must("backup", src)
	if out := l.must("check"); strings.Contains(out, "warning") {
		t.Fatalf("check of a fresh repository warns:\n%s", out)
	}
	soon := time.Now().Add(5 * time.Second)
	pack, snap, idx := l.keys("data/")[0], l.keys("snapshots/")[0], l.keys("index/")[0]
	for _, k := range []string{pack, snap, idx, "config"} {
		l.srv.ShortenRetention(t, l.bucket, k, soon)
	}

	out := l.must("check")
	wantLines(t, out, "warning: 4 files are retained for less than half of the object lock's governance:1m",
		"  1 config file, retained until ", "  1 pack, retained until ", "  1 index file, retained until ", "  1 snapshot, retained until ", "no errors were found")
	var rep struct {
		Retention struct {
			Policy string `json:"policy"`
			Short  []struct {
				Type  string     `json:"type"`
				Name  string     `json:"name"`
				Until *time.Time `json:"until"`
			} `json:"short"`
		} `json:"retention"`
	}
	if err := json.Unmarshal([]byte(l.must("check", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Retention.Policy != "governance:1m0s" && rep.Retention.Policy != "governance:1m" || len(rep.Retention.Short) != 4 {
		t.Fatalf("check --json retention: %+v", rep.Retention)
	}
	for _, s := range rep.Retention.Short {
		if s.Until == nil || s.Until.Sub(soon).Abs() > time.Second {
			t.Errorf("check --json: %s %s until %v, want %v", s.Type, s.Name, s.Until, soon)
		}
	}

	out = l.must("prune")
	wantLines(t, out, "extended the retention of 1 config file until ", "extended the retention of 1 pack until ", "kept 1 index file under retention")
	out = l.must("forget", "--keep-last", "1")
	wantLines(t, out, "extended the retention of 1 snapshot until ")
	for _, k := range []string{pack, snap, "config"} {
		_, until, err := l.srv.Client(t).GetObjectRetention(t.Context(), l.bucket, k, "")
		if err != nil || until == nil || time.Until(*until) < 50*time.Second {
			t.Errorf("%s: retained until %v (%v), want about a minute from now", k, until, err)
		}
	}
	if ids := l.keys("index/"); len(ids) != 2 || !contains(ids, idx) {
		t.Fatalf("index files %v: want the new one and the retained %s", ids, path.Base(idx))
	}
	// The old index file is still due, but the new one names all its
	// packs: another prune does not write the index again.
	l.must("prune")
	if ids := l.keys("index/"); len(ids) != 2 {
		t.Fatalf("index files %v after a second prune: want still the two", ids)
	}
	out = l.must("check")
	wantLines(t, out, "warning: 1 files are retained", "  1 index file, retained until ")

	l.srv.Unretain(t, l.bucket, idx) // as it runs out
	l.must("prune")
	if out := l.must("check"); strings.Contains(out, "warning") {
		t.Fatalf("check warns after prune removed the old index file:\n%s", out)
	}
	l.resticCheck(bin)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Compliance mode: no credential, not even root with a governance
// bypass, deletes a pack; forget keeps the snapshot and exits 0. The
// retention is a minute; MinIO's data directory goes with the test.
func TestObjectLockCompliance(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	l := newLockedRepo(t, "compliance:1m")
	src := t.TempDir()
	fixture.Build(t, src)
	l.must("init")
	l.must("backup", src)
	root := l.srv.Client(t)
	for _, k := range []string{l.keys("data/")[0], l.keys("snapshots/")[0]} {
		var version string
		for obj := range root.ListObjects(t.Context(), l.bucket, minio.ListObjectsOptions{Prefix: k, WithVersions: true}) {
			version = obj.VersionID
		}
		if err := root.RemoveObject(t.Context(), l.bucket, k, minio.RemoveObjectOptions{VersionID: version, GovernanceBypass: true}); err == nil {
			t.Fatalf("root deleted %s under compliance retention", k)
		}
	}
	out := l.must("forget", "latest")
	wantLines(t, out, "kept 1 snapshot under retention")
	if n := l.snapshotCount(); n != 1 {
		t.Fatalf("%d snapshots, want 1", n)
	}
	l.must("prune")
	l.resticCheck(bin)
}

// init with the option: a bucket without object locking is refused with a
// usage hint (exit 1), a missing one is created with it; a bad value is a
// usage error.
func TestObjectLockInit(t *testing.T) {
	srv := miniotest.Start(t)
	c := s3CLI(t, srv, srv.NewBucket(t))
	_, errOut, code := c.run("-o", "s3.object-lock=governance:1m", "init")
	if code != 1 || !strings.Contains(errOut, "does not have object locking enabled") || !strings.Contains(errOut, "mc mb --with-lock") {
		t.Errorf("init on a bucket without object locking: exit %d\n%s", code, errOut)
	}
	bucket := miniotest.BucketName()
	c = s3CLI(t, srv, bucket)
	c.must("-o", "s3.object-lock=governance:1m", "init")
	if enabled, _, _, _, err := srv.Client(t).GetObjectLockConfig(t.Context(), bucket); err != nil || enabled != "Enabled" {
		t.Errorf("the bucket init created: object lock %q, %v", enabled, err)
	}
	_, errOut, code = c.run("-o", "s3.object-lock=forever", "snapshots")
	if code != 1 || !strings.Contains(errOut, "want MODE:DURATION") {
		t.Errorf("a bad -o s3.object-lock: exit %d\n%s", code, errOut)
	}
}

// TestREADMEShowsObjectLockPolicy: the README's policy for the backup user
// of a locked bucket is the one the tests give their MinIO user, verbatim.
func TestREADMEShowsObjectLockPolicy(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```json\n"+miniotest.ObjectLockPolicy+"\n```") {
		t.Errorf("README.md does not show miniotest.ObjectLockPolicy as a json block:\n%s", miniotest.ObjectLockPolicy)
	}
}

// The daemon's configuration carries the option as the repository's
// options (as -o): files written through it are retained, and a bad value
// is refused when the configuration is read.
func TestObjectLockFromConfig(t *testing.T) {
	l := newLockedRepo(t, "governance:1m")
	l.must("init")
	pw := filepath.Join(t.TempDir(), "pw")
	secret := filepath.Join(t.TempDir(), "secret")
	writeFile(t, pw, []byte(l.c.env["RESTIC_PASSWORD"]+"\n"))
	writeFile(t, secret, []byte(l.c.env["AWS_SECRET_ACCESS_KEY"]+"\n"))
	repo := func(lock string) string {
		return "location: " + l.c.env["RESTIC_REPOSITORY"] + "\npassword_file: " + pw +
			"\ns3:\n  access_key_id: " + l.c.env["AWS_ACCESS_KEY_ID"] + "\n  secret_access_key_file: " + secret +
			"\noptions:\n  s3.object-lock: " + lock
	}
	c := bareCLI(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "f"), []byte("retained through the configuration"))
	c.must("backup", "--config", configRepos(t, map[string]string{"locked": repo("governance:1m")}), src)
	snap := l.keys("snapshots/")[0]
	if _, until, err := l.srv.Client(t).GetObjectRetention(t.Context(), l.bucket, snap, ""); err != nil || until == nil || time.Until(*until) < 50*time.Second {
		t.Errorf("snapshot written through the configuration: retained until %v (%v), want about a minute", until, err)
	}
	_, errOut, code := c.run("snapshots", "--config", configRepos(t, map[string]string{"locked": repo("governance:someday")}))
	if code != exitFailure || !strings.Contains(errOut, "s3.object-lock") || !strings.Contains(errOut, "want MODE:DURATION") {
		t.Errorf("a bad s3.object-lock in the configuration: exit %d\n%s", code, errOut)
	}
}
