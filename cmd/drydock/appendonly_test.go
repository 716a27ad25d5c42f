package main

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// deletingCommands are the commands that delete repository files other
// than locks: on an append-only host each must refuse before it changes
// anything. key remove refuses before it looks the key up.
var deletingCommands = [][]string{
	{"forget", "--keep-last", "1"},
	{"forget", "--keep-last", "1", "--prune"},
	{"prune"},
	{"tag", "--add", "x", "latest"},
	{"rewrite", "--forget", "--exclude", "*.bin", "latest"},
	{"repair", "snapshots", "--forget"},
	{"repair", "index"},
	{"key", "remove", "0123abcd"},
	{"key", "passwd", "--new-password-file", "/dev/null"},
}

// appendOnlyRepo is a repository whose credential cannot delete, and a
// way to see all its files (name and size) with the server's own eyes.
type appendOnlyRepo struct {
	c     *cli
	files func(t *testing.T) map[string]int64
}

// TestAppendOnlyREST: behind rclone serve restic --append-only, backups,
// restores, verify and check work; every deleting command refuses up front
// and leaves the repository as it was; no lock file is left.
func TestAppendOnlyREST(t *testing.T) {
	srv := resttest.Start(t, resttest.Options{AppendOnly: true})
	dir := filepath.Join(srv.Dir, "repo")
	runAppendOnly(t, appendOnlyRepo{c: newCLI(t, srv.Location("repo")), files: func(t *testing.T) map[string]int64 {
		return dirFiles(t, dir)
	}})
}

// TestAppendOnlyS3: the same with a MinIO user whose policy is the
// README's (deletes only under locks/).
func TestAppendOnlyS3(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	c := s3CLI(t, srv, bucket)
	c.env["AWS_ACCESS_KEY_ID"], c.env["AWS_SECRET_ACCESS_KEY"] = srv.AddUser(t, miniotest.AppendOnlyPolicyFor(bucket))
	root := srv.Client(t)
	runAppendOnly(t, appendOnlyRepo{c: c, files: func(t *testing.T) map[string]int64 {
		files := make(map[string]int64)
		for obj := range root.ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Recursive: true}) {
			if obj.Err != nil {
				t.Fatal(obj.Err)
			}
			files[obj.Key] = obj.Size
		}
		return files
	}})
}

func runAppendOnly(t *testing.T, ar appendOnlyRepo) {
	bin := testenv.RequireBinary(t, "restic")
	c := ar.c
	src := t.TempDir()
	fixture.Build(t, src)
	c.must("init")
	c.must("backup", src)
	if err := os.WriteFile(filepath.Join(src, "second.bin"), []byte("a second backup"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.must("backup", src)
	dst := t.TempDir()
	c.must("restore", "latest", "--target", dst)
	fixture.Compare(t, src, filepath.Join(dst, src), fixture.CompareOptions{})
	c.must("verify", "--scratch", t.TempDir())
	if out := c.must("check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("drydock check:\n%s", out)
	}

	before := ar.files(t)
	// Dry runs delete nothing, so they work there.
	c.must("forget", "--keep-last", "1", "--dry-run")
	c.must("prune", "--dry-run")
	for _, args := range deletingCommands {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := c.run(args...)
			if code != 1 || !strings.Contains(errOut, "refuses deletes") || !strings.Contains(errOut, "s3:DeleteObject") {
				t.Errorf("exit %d, want 1 and the refusal\n%s%s", code, out, errOut)
			}
			if after := ar.files(t); !maps.Equal(before, after) {
				t.Errorf("the repository changed:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
			}
		})
	}
	for name := range ar.files(t) {
		if strings.Contains(name, "locks/") {
			t.Errorf("lock file left behind: %s", name)
		}
	}
	if out := c.mustRestic(bin, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check:\n%s", out)
	}
}

// dirFiles returns the files below dir, by slash path, with their sizes.
func dirFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	files := make(map[string]int64)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestREADMEShowsTestedPolicy: the README's append-only S3 policy is the
// one the tests give their MinIO user, verbatim.
func TestREADMEShowsTestedPolicy(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	indented := "  " + strings.ReplaceAll(miniotest.AppendOnlyPolicy, "\n", "\n  ")
	if !strings.Contains(string(readme), "```json\n"+indented+"\n  ```") {
		t.Errorf("README.md does not show miniotest.AppendOnlyPolicy as a json block indented by two spaces:\n%s", indented)
	}
}
