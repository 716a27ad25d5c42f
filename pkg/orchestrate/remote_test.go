package orchestrate_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/internal/testkit/sshtest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

const remoteRepos = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  offsite:
    location: SFTPURL
    password_file: sftp-password
    init: true
    options: {sftp.connections: "3"}
    sftp:
      key_file: KEYFILE
      known_hosts_file: KNOWNHOSTS
  server:
    location: RESTURL
    password_file: rest-password
    init: true
jobs:
  to-sftp:
    repository: offsite
    schedule: "*/2 * * * * *"
    paths: [DATA]
    retention: {keep_last: 2}
  to-rest:
    repository: server
    schedule: "*/2 * * * * *"
    paths: [DATA]
    retention: {keep_last: 2}
`

// TestDaemonRemoteRepositories: the daemon creates and backs up into an
// SFTP repository (key and known_hosts given as files, as in a container)
// and a REST repository with basic auth in its URL; stock restic finds
// both clean; the REST password appears in no log line or status.
func TestDaemonRemoteRepositories(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	ssh := sshtest.Start(t)
	rest := resttest.Start(t, resttest.Options{})
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "file"), strings.Repeat("remote content\n", 1000))
	sftpURL := "sftp://" + ssh.User + "@" + ssh.Addr() + "//" + filepath.Join(ssh.Root, "daemon-repo")
	yaml := fill(remoteRepos, "STATE", state, "SFTPURL", sftpURL, "KEYFILE", ssh.KeyFile, "KNOWNHOSTS", ssh.KnownHostsFile,
		"RESTURL", rest.Location("daemon-repo"), "DATA", data)
	td := startDaemon(t, yaml, nil)
	st := td.waitFor("2 backups into each remote repository", 2*time.Minute, func(st orchestrate.Status) bool {
		for _, j := range []string{"to-sftp", "to-rest"} {
			if b := job(st, j, orchestrate.KindBackup); b.Runs-b.Failures < 2 {
				return false
			}
		}
		return true
	})
	td.stop()
	for _, js := range st.Jobs {
		if js.Failures > 0 {
			t.Errorf("job %s: %d failures, last %+v", js.Job, js.Failures, js.LastRun)
		}
	}
	if strings.Contains(td.logs.String(), rest.Pass) {
		t.Errorf("the daemon logged the REST password:\n%s", td.logs.String())
	}
	for _, r := range []struct {
		repo, pw string
		args     []string
	}{
		{"sftp:" + sshtest.HostAlias + ":" + filepath.Join(ssh.Root, "daemon-repo"), filepath.Join(state, "sftp-password"), []string{"-o", "sftp.command=" + ssh.Command()}},
		{rest.Location("daemon-repo"), filepath.Join(state, "rest-password"), nil},
	} {
		out := restic(t, resticBin, r.repo, r.pw, nil, append(r.args, "check")...)
		if !strings.Contains(out, "no errors were found") {
			t.Errorf("restic check %s:\n%s", r.repo, out)
		}
	}
}
