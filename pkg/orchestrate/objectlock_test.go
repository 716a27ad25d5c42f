package orchestrate_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

const lockedRepo = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  locked:
    location: S3URL
    password_file: PW
    init: true
    s3:
      access_key_id: KEYID
      secret_access_key_file: SECRETFILE
    options:
      s3.object-lock: "governance:10m"
jobs:
  kept:
    repository: locked
    schedule: "0 0 1 1 *"
    paths: [DATA]
    retention: {keep_last: 5}
`

// TestDaemonRetentionRenewsObjectLock: under S3 Object Lock the daemon's
// retention renews the retention of the packs its snapshots need even on
// a run whose forget removed nothing, before it runs out.
func TestDaemonRetentionRenewsObjectLock(t *testing.T) {
	srv := miniotest.Start(t)
	bucket := srv.NewLockedBucket(t)
	state, data := t.TempDir(), t.TempDir()
	secret, pw := filepath.Join(state, "secret"), filepath.Join(state, "pw")
	writeFile(t, secret, srv.SecretKey+"\n")
	writeFile(t, pw, "object lock password\n")
	writeFile(t, filepath.Join(data, "f"), strings.Repeat("retained\n", 1000))
	td := startDaemon(t, fill(lockedRepo, "STATE", state, "S3URL", "s3:"+srv.URL()+"/"+bucket+"/drydock", "PW", pw,
		"KEYID", srv.AccessKey, "SECRETFILE", secret, "DATA", data), nil)
	run := func(n int) {
		t.Helper()
		if _, err := td.d.RunNow("kept", "backup"); err != nil {
			t.Fatal(err)
		}
		st := td.waitFor("the backup", time.Minute, func(st orchestrate.Status) bool { return job(st, "kept", "backup").Runs == n })
		if lr := job(st, "kept", "backup").LastRun; lr.Result != "success" || lr.Forgotten != 0 {
			t.Fatalf("run %d: %+v", n, lr)
		}
	}
	run(1)
	packs := srv.Keys(t, bucket, "drydock/data/")
	if len(packs) == 0 {
		t.Fatal("no pack in the bucket")
	}
	// As if most of the retention had passed: a minute left.
	for _, k := range packs {
		srv.ShortenRetention(t, bucket, k, time.Now().Add(time.Minute))
	}
	run(2) // forgets nothing: keep_last 5
	for _, k := range packs {
		_, until, err := srv.Client(t).GetObjectRetention(t.Context(), bucket, k, "")
		if err != nil || until == nil || time.Until(*until) < 5*time.Minute {
			t.Errorf("pack %s after the second run: retained until %v (%v), want renewed to about 10 minutes", k, until, err)
		}
	}
}
