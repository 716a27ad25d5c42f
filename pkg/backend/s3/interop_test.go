package s3_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backend/s3"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// makeSource creates a small directory tree to back up.
func makeSource(t *testing.T, home string) string {
	t.Helper()
	src := filepath.Join(home, "src")
	if err := os.MkdirAll(src, 0o700); err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{0, 100, 3 << 20} {
		data, _ := backendtest.RandomData(t, n)
		if err := os.WriteFile(filepath.Join(src, string(rune('a'+i))), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// resticRunner returns a function that runs restic on repo (a local path or
// an s3: URL on srv) and returns its standard output.
func resticRunner(t *testing.T, bin, home, repo string, srv *miniotest.Server) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), bin, append([]string{"--no-cache", "--quiet"}, args...)...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + home,
			"RESTIC_REPOSITORY=" + repo,
			"RESTIC_PASSWORD=interop-test-password",
			"AWS_ACCESS_KEY_ID=" + srv.AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + srv.SecretKey,
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("restic -r %s %s: %v\n%s", repo, strings.Join(args, " "), err, stderr.String())
		}
		return string(out)
	}
}

// Stock restic initialises a repository under a prefix in a bucket it
// creates itself and backs up a few files; our backend, parsing the same
// URL, lists exactly the keys, packs, indexes and snapshots restic reports,
// and reads its config.
func TestResticInterop(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	srv := miniotest.Start(t)
	bucket := miniotest.BucketName() // restic init must create it
	url := "s3:" + srv.URL() + "/" + bucket + "/pre/fix"

	home := t.TempDir()
	src := makeSource(t, home)
	restic := resticRunner(t, resticBin, home, url, srv)
	restic("init")
	restic("backup", src)

	cfg, err := s3.ParseURL(secret.NewURL(url))
	if err != nil {
		t.Fatal(err)
	}
	cfg.KeyID, cfg.Secret = srv.AccessKey, secret.New(srv.SecretKey)
	be := open(t, cfg)

	for ft, what := range map[backend.FileType]string{
		backend.KeyFile: "keys", backend.PackFile: "packs", backend.IndexFile: "index", backend.SnapshotFile: "snapshots",
	} {
		want := strings.Fields(restic("list", what))
		sort.Strings(want)
		listed := backendtest.ListNames(t, be, ft)
		var got []string
		for name, size := range listed {
			got = append(got, name)
			if st, err := be.Stat(t.Context(), backend.Handle{Type: ft, Name: name}); err != nil || st != size {
				t.Errorf("stat %v %s = %d, %v; listed size %d", ft, name, st, err, size)
			}
		}
		sort.Strings(got)
		if len(want) == 0 || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: we list %v, restic lists %v", what, got, want)
		}
	}
	raw, err := backendtest.LoadAll(t.Context(), be, backend.Handle{Type: backend.ConfigFile}, 0, 0)
	if err != nil || len(raw) < 32 {
		t.Fatalf("load restic's config: %d bytes, %v", len(raw), err)
	}
	// A pack restic wrote reads back whole and by range, and its name is
	// the SHA-256 of its content.
	var pack string
	for name := range backendtest.ListNames(t, be, backend.PackFile) {
		pack = name
		break
	}
	data, err := backendtest.LoadAll(t.Context(), be, backend.Handle{Type: backend.PackFile, Name: pack}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if id := backendtest.ID(data); id != pack {
		t.Fatalf("pack %s hashes to %s", pack, id)
	}
	tail, err := backendtest.LoadAll(t.Context(), be, backend.Handle{Type: backend.PackFile, Name: pack}, 4, int64(len(data)-4))
	if err != nil || !bytes.Equal(tail, data[len(data)-4:]) {
		t.Fatalf("ranged load of the header length: %x, %v", tail, err)
	}
}

// Byte-level round trip through both of our backends: restic writes a local
// repository; we copy it with the local backend into S3 (under a prefix),
// and from S3 into a fresh local directory made by local.Create. restic
// then checks both copies with --read-data and restores from them, which
// proves our layout, object keys and file contents are what restic expects.
func TestResticReadsWhatWeWrite(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	srv := miniotest.Start(t)
	ctx := t.Context()
	home := t.TempDir()
	src := makeSource(t, home)

	orig := filepath.Join(home, "orig")
	resticRunner(t, resticBin, home, orig, srv)("init")
	resticRunner(t, resticBin, home, orig, srv)("backup", src)

	from, err := local.Open(ctx, orig)
	if err != nil {
		t.Fatal(err)
	}
	bucket := miniotest.BucketName()
	cfg := config(srv, bucket, "copied/repo")
	toS3, err := s3.Create(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer toS3.Close()
	n, err := backendtest.Copy(ctx, toS3, from)
	if err != nil {
		t.Fatalf("copy local → S3: %v", err)
	}
	if n < 5 {
		t.Fatalf("copied only %d files", n)
	}

	copyDir := filepath.Join(home, "copy")
	toLocal, err := local.Create(ctx, copyDir)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := backendtest.Copy(ctx, toLocal, toS3); err != nil || m != n {
		t.Fatalf("copy S3 → local: %d of %d files, %v", m, n, err)
	}

	for _, repo := range []string{"s3:" + srv.URL() + "/" + bucket + "/copied/repo", copyDir} {
		restic := resticRunner(t, resticBin, home, repo, srv)
		restic("check", "--read-data")
		target := t.TempDir()
		restic("restore", "latest", "--target", target)
		want, err := os.ReadFile(filepath.Join(src, "c"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(target, src, "c"))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("restore from %s: %d bytes, %v", repo, len(got), err)
		}
	}
}
