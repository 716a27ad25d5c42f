package orchestrate_test

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

// TestDaemonCachesRemoteRepository: the daemon keeps the index and
// snapshot files of a remote repository in the local cache under its
// state directory, as the CLI does, so that a restart reads only what
// changed.
func TestDaemonCachesRemoteRepository(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.NewBucket(t)
	state, data := t.TempDir(), t.TempDir()
	secret, pw := filepath.Join(state, "secret"), filepath.Join(state, "pw")
	writeFile(t, secret, srv.SecretKey+"\n")
	writeFile(t, pw, "cache password\n")
	writeFile(t, filepath.Join(data, "f"), "cached")
	yaml := strings.Replace(fill(lockedRepo, "STATE", state, "S3URL", "s3:"+srv.URL()+"/"+bucket+"/drydock", "PW", pw,
		"KEYID", srv.AccessKey, "SECRETFILE", secret, "DATA", data), "    options:\n      s3.object-lock: \"governance:10m\"\n", "", 1)
	td := startDaemon(t, yaml, nil)
	if _, err := td.d.RunNow("kept", "backup"); err != nil {
		t.Fatal(err)
	}
	st := td.waitFor("the backup", time.Minute, func(st orchestrate.Status) bool { return job(st, "kept", "backup").Runs == 1 })
	if lr := job(st, "kept", "backup").LastRun; lr.Result != "success" {
		t.Fatalf("backup: %+v", lr)
	}
	td.stop()
	kinds := map[string]int{}
	err := filepath.WalkDir(filepath.Join(state, "cache"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Join(state, "cache"), p)
			if parts := strings.Split(rel, string(filepath.Separator)); len(parts) > 2 {
				kinds[parts[1]]++
			}
		}
		return err
	})
	if err != nil || kinds["snapshots"] != 1 || kinds["index"] == 0 {
		t.Errorf("cache under the state directory: %v (%v), want the snapshot and the index files", kinds, err)
	}
}
