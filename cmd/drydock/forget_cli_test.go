package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// forgetRepo makes a repository with four snapshots a day apart, hosts
// alpha, beta, alpha, beta, and returns a cli on it with their IDs, oldest
// first.
func forgetRepo(t *testing.T) (*cli, *repo.Repository, []string) {
	t.Helper()
	r, dir := repotest.New(t, 0, repo.Options{})
	var corpus []corpusSnapshot
	for i := range 4 {
		corpus = append(corpus, corpusSnapshot{time: time.Date(2024, 5, 1+i, 12, 0, 0, 0, time.UTC),
			host: []string{"alpha", "beta"}[i%2], paths: []string{"/p"}})
	}
	saveCorpus(t, r, corpus)
	c := newCLI(t, dir)
	c.env["RESTIC_PASSWORD"] = repotest.Password
	return c, r, snapshotIDs(t, c)
}

// snapshotIDs lists the repository's snapshots as drydock sees them.
func snapshotIDs(t *testing.T, c *cli) []string {
	t.Helper()
	var sns []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(c.must("snapshots", "--json")), &sns); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sn := range sns {
		ids = append(ids, sn.ID)
	}
	return ids
}

// TestForgetBadInput: mistakes fail with exit 1 and a message that says
// what is wrong, before anything is removed.
func TestForgetBadInput(t *testing.T) {
	c, _, ids := forgetRepo(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"forget"}, "nothing to forget"},
		{[]string{"forget", "--dry-run", "--json"}, "nothing to forget"},
		{[]string{"forget", "--keep-within", "0d"}, "nothing to forget"},
		{[]string{"forget", "--keep-within", "2h3"}, `invalid duration "2h3": no unit after 3`},
		{[]string{"forget", "--keep-within", "1w"}, `unknown unit "w"`},
		{[]string{"forget", "--keep-within-monthly", "1.5m"}, `unknown unit "."`},
		{[]string{"forget", "--keep-last", "-1"}, "--keep-last -1: negative counts are not allowed"},
		{[]string{"forget", "-d", "3", "--keep-weekly", "-2"}, "--keep-weekly -2: negative"},
		{[]string{"forget", "--keep-within-daily", "1y-1d"}, "--keep-within-daily: invalid duration \"1y-1d\": negative"},
		{[]string{"forget", "--keep-last", "unlimited"}, `invalid argument "unlimited"`},
		{[]string{"forget", "--group-by", "host, paths", "-l", "1"}, `unknown --group-by field " paths"`},
		{[]string{"forget", "deadbeef"}, `snapshot "deadbeef": no matching snapshot found`},
		{[]string{"forget", "--host", "nobody", "latest"}, `snapshot "latest": no matching snapshot found`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := c.run(tc.args...)
			if code != exitFailure || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q (stdout %q); want exit %d and %q", code, errOut, out, exitFailure, tc.want)
			}
		})
	}
	if left := snapshotIDs(t, c); !slices.Equal(left, ids) {
		t.Errorf("bad input removed snapshots: %d left of %d", len(left), len(ids))
	}
	missing := newCLI(t, filepath.Join(t.TempDir(), "nothing"))
	if _, errOut, code := missing.run("forget", "-l", "1"); code != exitNoRepo {
		t.Errorf("missing repository: exit %d, want %d\n%s", code, exitNoRepo, errOut)
	}
}

// TestForgetByID removes snapshots named by prefix, full ID and "latest"
// of a filter, as restic does; a name that matches nothing fails the
// command after the others are removed. restic sees the result.
func TestForgetByID(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	c, _, ids := forgetRepo(t)
	if out := c.must("forget", "--dry-run", ids[0][:10]); !strings.Contains(out, "would remove snapshot "+ids[0][:8]) {
		t.Errorf("dry run output: %q", out)
	}
	if left := snapshotIDs(t, c); len(left) != 4 {
		t.Fatalf("dry run removed snapshots: %d left", len(left))
	}
	// latest of alpha is ids[2]; ids[0] is given twice.
	out := c.must("forget", "--host", "alpha", ids[0][:8], ids[1], "latest", ids[0])
	if strings.Count(out, "removed snapshot") != 3 {
		t.Errorf("output: %q", out)
	}
	var left []forgetSnapshot
	if err := json.Unmarshal([]byte(resticStdout(t, c, bin, "snapshots", "--json")), &left); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID != ids[3] {
		t.Fatalf("restic sees %+v, want only %s", left, ids[3])
	}
	_, errOut, code := c.run("forget", "0000000000", ids[3][:8])
	if code != exitFailure || !strings.Contains(errOut, `snapshot "0000000000"`) || len(snapshotIDs(t, c)) != 0 {
		t.Errorf("unknown ID beside a known one: exit %d, %q, %d left", code, errOut, len(snapshotIDs(t, c)))
	}
}

// TestForgetLocksExclusively: forget, even a dry run, does not run beside
// another process's lock, and says so with restic's exit code 11.
func TestForgetLocksExclusively(t *testing.T) {
	c, r, _ := forgetRepo(t)
	unlock := repotest.HoldLock(t, r, false)
	for _, args := range [][]string{{"forget", "-l", "1"}, {"forget", "-n", "-l", "1"}} {
		if _, errOut, code := c.run(args...); code != exitLocked {
			t.Errorf("%v beside a shared lock: exit %d, want %d\n%s", args, code, exitLocked, errOut)
		}
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	out := c.must("forget", "-l", "1")
	if !strings.Contains(out, "removed 2 snapshots") || len(snapshotIDs(t, c)) != 2 {
		t.Errorf("after unlock: %q, %d left", out, len(snapshotIDs(t, c)))
	}
}

// TestForgetTextOutput: per group, what is kept and why, what goes, and
// the total; --quiet prints nothing, --compact drops reasons and paths.
func TestForgetTextOutput(t *testing.T) {
	c, _, ids := forgetRepo(t)
	out := c.must("forget", "-n", "-l", "1", "--keep-within", "2d")
	for _, want := range []string{
		"Applying policy: keep last 1, all within 2d of the newest\n",
		"snapshots for (host [alpha], paths [/p]):\nkeep 1 snapshots:\n",
		"snapshots for (host [beta], paths [/p]):\nkeep 1 snapshots:\n",
		ids[3][:8] + "  2024-05-04 ", "within 2d", "last snapshot",
		"remove 1 snapshots:\n" + "ID        Time                 Host  Tags  Paths\n" + ids[1][:8],
		"would remove 2 snapshots\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if out := c.must("forget", "-n", "-q", "-l", "1"); out != "" {
		t.Errorf("--quiet printed %q", out)
	}
	if out := c.must("forget", "-n", "-c", "-l", "1"); strings.Contains(out, "last snapshot") || strings.Contains(out, "Paths") {
		t.Errorf("--compact printed reasons or paths:\n%s", out)
	}
}
