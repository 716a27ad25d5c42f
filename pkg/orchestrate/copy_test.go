package orchestrate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

const copyJobs = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: local-password
    init: true
  offsite:
    location: offsite
    password_file: offsite-password
    init: true
  later:
    location: later
    password_file: later-password
    init: true
  appendonly:
    location: RESTURL
    password_file: rest-password
    init: true
jobs:
  j:
    repository: local
    schedule: "*/2 * * * * *"
    paths: [DATA]
    copy:
      - repository: offsite
        retention: {keep_last: 2}
      - {repository: later, schedule: "*/3 * * * * *"}
      - repository: appendonly
        retention: {keep_last: 1}
`

// copyStatus is the status of job j's copy to dest.
func copyStatus(st orchestrate.Status, dest string) orchestrate.JobStatus {
	for _, j := range st.Jobs {
		if j.Job == "j" && j.Kind == orchestrate.KindCopy && j.Destination == dest {
			return j
		}
	}
	return orchestrate.JobStatus{}
}

// TestDaemonCopyJobs: a job's snapshots are copied after each backup to a
// local destination, whose retention keeps the last two and which gets
// only the new snapshot each time (what its retention forgot is not
// copied again); on its own schedule to another; and to an append-only
// REST server, where the copy is stored but the retention is refused each
// run, failing the copy and never the backup. restic checks every
// destination's data and restores the copies exactly.
func TestDaemonCopyJobs(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	rest := resttest.Start(t, resttest.Options{AppendOnly: true})
	state, data := t.TempDir(), t.TempDir()
	fixture.Build(t, data)
	td := startDaemon(t, fill(copyJobs, "STATE", state, "DATA", data, "RESTURL", rest.Location("repo")), nil)
	st := td.waitFor("four copies to offsite and one to later", 3*time.Minute, func(st orchestrate.Status) bool {
		off, later := copyStatus(st, "offsite"), copyStatus(st, "later")
		return off.Runs >= 4 && !off.Running && later.Runs >= 1 && !later.Running && copyStatus(st, "appendonly").Runs >= 2
	})
	_, metrics := td.get("/metrics")
	td.stop()
	// A copy the shutdown interrupted may have left its retention undone.
	offsiteRetained := copyStatus(td.d.Status(), "offsite").LastRun.OK()

	if js := job(st, "j", orchestrate.KindBackup); js.Failures != 0 {
		t.Errorf("backup: %d failures, last %+v", js.Failures, js.LastRun)
	}
	off := copyStatus(st, "offsite")
	// How many one run copies depends on timing (a copy still running
	// when the next backup ends skips that turn): the counts are checked
	// on the destinations below.
	if off.Failures != 0 || off.LastRun == nil || off.Behind || !off.Healthy || !off.AfterBackup {
		t.Errorf("copy to offsite: %d failures, behind %v, last %+v", off.Failures, off.Behind, off.LastRun)
	}
	if later := copyStatus(st, "later"); later.Failures != 0 || later.AfterBackup || later.NextRun == nil {
		t.Errorf("scheduled copy to later: %+v", later)
	}
	ao := copyStatus(st, "appendonly")
	if r := ao.LastRun; r == nil || !strings.Contains(r.Error, "refuses deletes") || ao.Behind || ao.Failures != ao.Runs {
		t.Errorf("copy to the append-only server: behind %v, last %+v; want the snapshot copied, the retention refused", ao.Behind, r)
	}
	for _, want := range []string{`drydock_copy_snapshots_total{destination="offsite",job="j"}`, `drydock_copy_behind{destination="offsite",job="j"} 0`,
		`drydock_copy_last_success_timestamp_seconds{destination="later",job="j"}`, `drydock_copy_failures_total{destination="appendonly",job="j"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grep(metrics, "drydock_copy"))
		}
	}

	srcIDs := resticSnapshots(t, resticBin, filepath.Join(state, "repo"), filepath.Join(state, "local-password"))
	// Each source snapshot is copied to offsite once: what its retention
	// forgot is not copied again.
	if n := metricValue(t, metrics, `drydock_copy_snapshots_total{destination="offsite",job="j"}`); n > float64(len(srcIDs)) || n < 2 {
		t.Errorf("%v snapshots copied to offsite, want one per backup: at least 2, at most the source's %d", n, len(srcIDs))
	}
	if n := metricValue(t, metrics, `drydock_copy_snapshots_total{destination="appendonly",job="j"}`); n < 1 {
		t.Errorf("%v snapshots copied to the append-only server", n)
	}
	for _, d := range []struct{ name, loc, pw string }{
		{"offsite", filepath.Join(state, "offsite"), "offsite-password"},
		{"later", filepath.Join(state, "later"), "later-password"},
		{"appendonly", rest.Location("repo"), "rest-password"},
	} {
		t.Run(d.name, func(t *testing.T) {
			pw := filepath.Join(state, d.pw)
			if out := restic(t, resticBin, d.loc, pw, nil, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
				t.Errorf("restic check --read-data:\n%s", out)
			}
			copies := resticSnapshots(t, resticBin, d.loc, pw)
			if d.name == "offsite" && offsiteRetained && len(copies) != 2 {
				t.Errorf("offsite holds %d snapshots, want the 2 its retention keeps", len(copies))
			}
			for _, c := range copies {
				if c.Original == "" || !srcIDs.has(c.Original) {
					t.Errorf("copy %s names original %q, not a snapshot of the source", c.ID, c.Original)
				}
			}
			dst := t.TempDir()
			restic(t, resticBin, d.loc, pw, nil, "restore", "latest", "--target", dst)
			fixture.Compare(t, data, filepath.Join(dst, data), fixture.CompareOptions{IgnoreRootMeta: true, IgnoreDirMtime: true, MangledLinkTargets: true})
		})
	}
}

// metricValue is the value of series in a /metrics text.
func metricValue(t *testing.T, metrics, series string) float64 {
	t.Helper()
	for _, l := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no series %s", series)
	return 0
}

type resticSnapshot struct {
	ID       string    `json:"id"`
	Original string    `json:"original"`
	Time     time.Time `json:"time"`
}

// copiedBefore checks that dst holds a copy of each snapshot of src taken
// before when.
func copiedBefore(t *testing.T, src, dst snapshotList, when time.Time) {
	t.Helper()
	originals := map[string]bool{}
	for _, c := range dst {
		originals[c.Original] = true
	}
	n := 0
	for _, sn := range src {
		if sn.Time.Before(when) {
			n++
			if !originals[sn.ID] {
				t.Errorf("source snapshot %.8s of %v is not in the destination", sn.ID, sn.Time)
			}
		}
	}
	if n < 2 {
		t.Errorf("only %d source snapshots before %v: want the copy to have caught up with several", n, when)
	}
}

type snapshotList []resticSnapshot

func (l snapshotList) has(id string) bool {
	for _, s := range l {
		if s.ID == id {
			return true
		}
	}
	return false
}

// resticSnapshots lists a repository's snapshots with restic.
func resticSnapshots(t *testing.T, bin, repo, pw string) snapshotList {
	t.Helper()
	var l snapshotList
	if err := json.Unmarshal([]byte(restic(t, bin, repo, pw, nil, "snapshots", "--json")), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

const copyToServer = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: local-password
    init: true
  server:
    location: RESTURL
    password_file: rest-password
    init: true
    retry_max: 1s
jobs:
  j:
    repository: local
    schedule: "*/2 * * * * *"
    paths: [DATA]
    copy: [server]
notify:
  - url: HOOK
`

// TestDaemonCopyBehind: while the destination's server is down, backups
// go on succeeding, the copy fails and is behind (/status, /healthz,
// /metrics, a notification naming the destination); once the server is
// back, the next copy catches up with every snapshot missed, and restic
// restores the latest exactly.
func TestDaemonCopyBehind(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	rest := resttest.Start(t, resttest.Options{})
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "file"), strings.Repeat("copied content\n", 5000))
	hook := newHookServer(t)
	td := startDaemon(t, fill(copyToServer, "STATE", state, "DATA", data, "RESTURL", rest.Location("repo"), "HOOK", hook.url()), nil)
	td.waitFor("a copy", 2*time.Minute, func(st orchestrate.Status) bool {
		return copyStatus(st, "server").LastSuccess != nil
	})

	rest.Stop(t)
	st := td.waitFor("the copy behind", 2*time.Minute, func(st orchestrate.Status) bool {
		return copyStatus(st, "server").Behind
	})
	cs := copyStatus(st, "server")
	if cs.Healthy || cs.LastRun == nil || cs.LastRun.Error == "" {
		t.Errorf("copy behind: %+v", cs)
	}
	td.waitFor("a backup while the copy is behind", time.Minute, func(st orchestrate.Status) bool {
		js := job(st, "j", orchestrate.KindBackup)
		return js.LastRun != nil && js.LastRun.End.After(cs.LastRun.End) && copyStatus(st, "server").Behind
	})
	if code, body := td.get("/healthz"); code != 503 || !strings.Contains(body, "copy of job j to server: behind") {
		t.Errorf("/healthz while behind: %d %q", code, body)
	}
	if _, metrics := td.get("/metrics"); !strings.Contains(metrics, `drydock_copy_behind{destination="server",job="j"} 1`) {
		t.Errorf("/metrics while behind:\n%s", grep(metrics, "drydock_copy"))
	}
	var alert map[string]string
	if !testenv.Eventually(30*time.Second, 100*time.Millisecond, func() bool {
		for _, m := range hook.messages() {
			if m["kind"] == orchestrate.KindCopy && m["event"] == "failure" {
				alert = m
				return true
			}
		}
		return false
	}) {
		t.Fatal("no notification of the failed copy")
	}
	if alert["destination"] != "server" || !strings.Contains(alert["title"], "copy to server of job j") || !strings.Contains(alert["message"], "server is behind") {
		t.Errorf("notification: %v", alert)
	}

	rest.Restart(t)
	st = td.waitFor("the copy caught up", 2*time.Minute, func(st orchestrate.Status) bool {
		c := copyStatus(st, "server")
		return !c.Behind && c.LastRun != nil && c.LastRun.OK()
	})
	td.stop()
	if js := job(st, "j", orchestrate.KindBackup); js.Failures != 0 {
		t.Errorf("backup failed %d times: %+v", js.Failures, js.LastRun)
	}
	src := resticSnapshots(t, resticBin, filepath.Join(state, "repo"), filepath.Join(state, "local-password"))
	pw := filepath.Join(state, "rest-password")
	// Everything the copy that caught up could see: every backup missed.
	copiedBefore(t, src, resticSnapshots(t, resticBin, rest.Location("repo"), pw), copyStatus(st, "server").LastRun.Start)
	if out := restic(t, resticBin, rest.Location("repo"), pw, nil, "check", "--read-data"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check --read-data:\n%s", out)
	}
	dst := t.TempDir()
	restic(t, resticBin, rest.Location("repo"), pw, nil, "restore", "latest", "--target", dst)
	if got, err := os.ReadFile(filepath.Join(dst, data, "file")); err != nil || string(got) != strings.Repeat("copied content\n", 5000) {
		t.Errorf("restored file: %d bytes, %v", len(got), err)
	}
}

const reloadCopies = `state_dir: STATE
listen: off
repositories:
  local: {location: repo, password_file: local-password, init: true}
  a: {location: a, password_file: a-password, init: true}
  b: {location: b, password_file: b-password, init: true}
jobs:
  j:
    repository: local
    schedule: "*/10 * * * * *"
    paths: [DATA]
    copy: [DEST]
`

// TestDaemonReloadCopyDestinations: a reload that replaces a job's copy
// destination drops the old one from the status and the metrics, and the
// new one gets the job's snapshots at the next backup, the earlier ones
// included.
func TestDaemonReloadCopyDestinations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state, data := t.TempDir(), t.TempDir()
		writeFile(t, filepath.Join(data, "f"), "content")
		yaml := fill(reloadCopies, "STATE", state, "DATA", data)
		td := startDaemon(t, strings.Replace(yaml, "DEST", "a", 1), nil)
		td.waitFor("two copies to a", time.Minute, func(st orchestrate.Status) bool {
			c := copyStatus(st, "a")
			return c.Runs >= 2 && !c.Running
		})
		if _, m := td.serve("/metrics"); !strings.Contains(m, `drydock_copy_snapshots_total{destination="a",job="j"} 2`) {
			t.Errorf("/metrics before the reload:\n%s", grep(m, "drydock_copy"))
		}
		cfg, err := config.Parse([]byte(strings.Replace(yaml, "DEST", "b", 1)), "test.yaml", fastSchedules(func(string) string { return "" }))
		must(t, err)
		must(t, td.d.Reload(t.Context(), cfg))
		if st := td.status(); copyStatus(st, "a").Job != "" || copyStatus(st, "b").Job != "j" {
			t.Errorf("after the reload: copy to a %+v, copy to b %+v", copyStatus(st, "a"), copyStatus(st, "b"))
		}
		if _, m := td.serve("/metrics"); strings.Contains(m, `destination="a"`) {
			t.Errorf("/metrics after the reload still has the removed destination:\n%s", grep(m, "drydock_copy"))
		}
		st := td.waitFor("a copy to b", time.Minute, func(st orchestrate.Status) bool {
			c := copyStatus(st, "b")
			return c.Runs >= 1 && !c.Running
		})
		if r := copyStatus(st, "b").LastRun; !r.OK() || r.Copied < 3 {
			t.Errorf("first copy to b: %+v; want every snapshot of the job copied", r)
		}
	})
}

// TestDaemonCopyDestinationDownAtStart: a copy destination that cannot be
// reached when the daemon starts does not stop it, as a job's own
// repository would: backups run, the copy is behind, and once the server
// is up the copy creates the repository (init) and catches up.
func TestDaemonCopyDestinationDownAtStart(t *testing.T) {
	resticBin := testenv.RequireBinary(t, "restic")
	rest := resttest.Start(t, resttest.Options{})
	rest.Stop(t)
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "file"), "content\n")
	td := startDaemon(t, fill(copyToServer, "STATE", state, "DATA", data, "RESTURL", rest.Location("repo"), "HOOK", newHookServer(t).url()), nil)
	td.waitFor("two backups, the copy behind", 2*time.Minute, func(st orchestrate.Status) bool {
		js := job(st, "j", orchestrate.KindBackup)
		return js.Runs >= 2 && js.Failures == 0 && copyStatus(st, "server").Behind
	})
	rest.Restart(t)
	st := td.waitFor("the copy caught up", 2*time.Minute, func(st orchestrate.Status) bool {
		c := copyStatus(st, "server")
		return !c.Behind && c.LastRun != nil && c.LastRun.OK()
	})
	td.stop()
	pw := filepath.Join(state, "rest-password")
	src := resticSnapshots(t, resticBin, filepath.Join(state, "repo"), filepath.Join(state, "local-password"))
	copiedBefore(t, src, resticSnapshots(t, resticBin, rest.Location("repo"), pw), copyStatus(st, "server").LastRun.Start)
	if out := restic(t, resticBin, rest.Location("repo"), pw, nil, "check"); !strings.Contains(out, "no errors were found") {
		t.Errorf("restic check:\n%s", out)
	}
}

// TestDaemonCopyBehindAfterRestart: a daemon that starts finds, before
// any copy runs, which destinations lack the job's latest snapshot: one
// the copies never reached is behind at once (/status, /healthz), one
// that holds it is not.
func TestDaemonCopyBehindAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state, data := t.TempDir(), t.TempDir()
		writeFile(t, filepath.Join(data, "f"), "content")
		yaml := fill(reloadCopies, "STATE", state, "DATA", data)
		td := startDaemon(t, strings.Replace(yaml, "DEST", "b", 1), nil)
		td.waitFor("a backup copied to b", time.Minute, func(st orchestrate.Status) bool {
			c := copyStatus(st, "b")
			return c.Runs >= 1 && !c.Running && c.Runs == job(st, "j", orchestrate.KindBackup).Runs
		})
		td.stop()

		daily := strings.Replace(strings.Replace(yaml, "DEST", "b, a", 1), `"*/10 * * * * *"`, `"0 0 3 * * *"`, 1)
		td = startDaemon(t, daily, nil)
		st := td.waitFor("the copy to a behind", time.Minute, func(st orchestrate.Status) bool {
			return copyStatus(st, "a").Behind
		})
		if b := copyStatus(st, "b"); b.Behind || !b.Healthy || b.Runs != 0 {
			t.Errorf("copy to b, which holds the latest snapshot: %+v", b)
		}
		if a := copyStatus(st, "a"); a.Healthy || a.Runs != 0 {
			t.Errorf("copy to a: %+v", a)
		}
		if code, body := td.serve("/healthz"); code != 503 || !strings.Contains(body, "copy of job j to a: behind") || strings.Contains(body, "to b") {
			t.Errorf("/healthz: %d %q", code, body)
		}
		if _, m := td.serve("/metrics"); !strings.Contains(m, `drydock_copy_behind{destination="a",job="j"} 1`) || !strings.Contains(m, `drydock_copy_behind{destination="b",job="j"} 0`) {
			t.Errorf("/metrics:\n%s", grep(m, "drydock_copy_behind"))
		}
	})
}
