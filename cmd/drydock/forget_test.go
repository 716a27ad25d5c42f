package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// forgetCases are run through `restic forget --dry-run --json` and
// `drydock forget --dry-run --json` on the same corpus: every keep option
// alone, combinations, every grouping, and the filters.
var forgetCases = [][]string{
	{"--keep-last", "1"}, {"--keep-last", "7"},
	{"--keep-hourly", "40"}, {"-H", "500"},
	{"--keep-daily", "10"}, {"-d", "1000"},
	{"--keep-weekly", "12"}, {"-w", "200"},
	{"--keep-monthly", "6"}, {"-m", "30"},
	{"--keep-yearly", "1"}, {"-y", "10"},
	{"--keep-within", "1m"}, {"--keep-within", "1y2m3d4h"}, {"--keep-within", "45d"}, {"--keep-within", "36h"},
	{"--keep-within-hourly", "3d"}, {"--keep-within-daily", "2m"}, {"--keep-within-weekly", "6m"},
	{"--keep-within-monthly", "1y"}, {"--keep-within-yearly", "2y"},
	{"--keep-tag", "manual"}, {"--keep-tag", "weekly,manual", "--keep-tag", "nightly"}, {"--keep-tag", ""},
	{"-l", "3", "-d", "7", "-w", "4", "-m", "12", "-y", "5"},
	{"--keep-hourly", "24", "--keep-within-daily", "7d", "--keep-tag", "manual"},
	{"--keep-within", "10d", "--keep-monthly", "3", "--keep-within-weekly", "2m"},
	{"--group-by", "host", "-d", "5"}, {"--group-by", "paths", "-w", "3"}, {"--group-by", "tags", "-m", "2"},
	{"--group-by", "host,tags", "-l", "2", "--keep-within", "20d"}, {"--group-by", "", "-l", "10", "-y", "2"},
	{"--group-by", "host,paths,tags", "-d", "3", "--keep-tag", "nightly"},
	{"--group-by", "", "--keep-within", "10d"}, {"--group-by", "", "--keep-within-daily", "10d"},
	{"--host", "alpha", "-d", "5"}, {"--host", "alpha", "--host", "gamma", "-w", "2"},
	{"--tag", "manual", "-l", "3"}, {"--tag", "nightly", "--tag", "weekly,manual", "-d", "3"}, {"--tag", "", "-l", "2"},
	{"--path", "/srv/app", "-m", "3"}, {"--path", "/etc/app", "--path", "/var/lib/db", "-y", "1", "--group-by", "host"},
}

// TestForgetMatchesRestic is the compatibility test of retention: on a
// repository of ~430 snapshots over two years, drydock keeps and removes
// exactly what restic 0.14 does, group by group, for the same reasons.
// restic inherits this process's TZ, so both decode snapshot times into
// the same time.Local (which keep-within arithmetic depends on; see
// TestForgetTimeZones for zones set explicitly).
func TestForgetMatchesRestic(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	r, dir := repotest.New(t, 0, repo.Options{})
	sigs := saveCorpus(t, r, forgetCorpus(t))
	c := newCLI(t, dir)
	c.env["RESTIC_PASSWORD"] = repotest.Password
	t.Logf("%d snapshots, %d distinct", sumValues(sigs), len(sigs))

	for _, flags := range forgetCases {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			args := append([]string{"forget", "--dry-run", "--json"}, flags...)
			want := decodeForget(t, resticStdout(t, c, bin, args...))
			got := decodeForget(t, c.must(args...))
			kept, removed := compareForget(t, want, got, sigs)
			if kept == 0 || removed == 0 {
				t.Errorf("restic kept %d and removed %d: the case tells nothing", kept, removed)
			}
		})
	}

	// A real forget leaves exactly what restic would have, and a clean repository.
	policy := []string{"-l", "3", "-d", "7", "-w", "4", "-m", "12", "-y", "1", "--keep-tag", "manual"}
	var wantLeft []string
	for _, g := range decodeForget(t, resticStdout(t, c, bin, append([]string{"forget", "--dry-run", "--json"}, policy...)...)) {
		wantLeft = append(wantLeft, g.keepSignatures()...)
	}
	out := c.must(append([]string{"forget"}, policy...)...)
	if !strings.Contains(out, fmt.Sprintf("removed %d snapshots", sumValues(sigs)-len(wantLeft))) {
		t.Errorf("drydock forget output:\n%s", out)
	}
	var left []forgetSnapshot
	if err := json.Unmarshal([]byte(resticStdout(t, c, bin, "snapshots", "--json")), &left); err != nil {
		t.Fatal(err)
	}
	if got := signaturesOf(left); !slices.Equal(got, sorted(wantLeft)) {
		t.Errorf("after drydock forget restic lists %d snapshots, its own dry run kept %d", len(got), len(wantLeft))
	}
	if out := c.mustRestic(bin, "check"); !strings.Contains(out, "no errors were found") {
		t.Fatalf("restic check after drydock forget:\n%s", out)
	}
}

// forgetGroup is one element of forget's JSON output, restic's or ours.
type forgetGroup struct {
	Tags    []string         `json:"tags"`
	Host    string           `json:"host"`
	Paths   []string         `json:"paths"`
	Keep    []forgetSnapshot `json:"keep"`
	Remove  []forgetSnapshot `json:"remove"`
	Reasons []forgetReason   `json:"reasons"`

	fields map[string]bool // the JSON object's keys, for the shape
}

type forgetSnapshot struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	Hostname string    `json:"hostname"`
	Paths    []string  `json:"paths"`
	Tags     []string  `json:"tags"`
}

func (s forgetSnapshot) signature() string { return signature(s.Time, s.Hostname, s.Paths, s.Tags) }

type forgetReason struct {
	Snapshot forgetSnapshot `json:"snapshot"`
	Matches  []string       `json:"matches"`
	Counters map[string]int `json:"counters"`
}

func (g forgetGroup) key() string {
	k, _ := json.Marshal(struct {
		H string
		P []string
		T []string
	}{g.Host, g.Paths, g.Tags})
	return string(k)
}

func (g forgetGroup) keepSignatures() []string { return signaturesOf(g.Keep) }

// decodeForget parses forget --json output; restic prints nothing at all
// when no snapshot is considered, drydock an empty list.
func decodeForget(t *testing.T, out string) []forgetGroup {
	t.Helper()
	if strings.TrimSpace(out) == "" {
		return nil
	}
	var groups []forgetGroup
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &groups); err != nil {
		t.Fatalf("decode forget output: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for i := range groups {
		groups[i].fields = map[string]bool{}
		for k := range raw[i] {
			groups[i].fields[k] = true
		}
	}
	return groups
}

// compareForget checks drydock's groups against restic's and returns how
// many snapshots restic kept and removed. Snapshots are compared by
// signature, and by ID where the signature is unique in the corpus.
func compareForget(t *testing.T, want, got []forgetGroup, sigs map[string]int) (kept, removed int) {
	t.Helper()
	byKey := map[string]forgetGroup{}
	for _, g := range got {
		byKey[g.key()] = g
	}
	if len(got) != len(want) {
		t.Errorf("%d groups, restic has %d", len(got), len(want))
	}
	for _, w := range want {
		kept, removed = kept+len(w.Keep), removed+len(w.Remove)
		g, ok := byKey[w.key()]
		if !ok {
			t.Errorf("group %s missing", w.key())
			continue
		}
		if !maps.Equal(g.fields, w.fields) || (g.Keep == nil) != (w.Keep == nil) || (g.Remove == nil) != (w.Remove == nil) {
			t.Errorf("group %s: JSON shape %v (keep nil %v, remove nil %v), restic's %v (%v, %v)", w.key(),
				g.fields, g.Keep == nil, g.Remove == nil, w.fields, w.Keep == nil, w.Remove == nil)
		}
		compareSnapshots(t, w.key()+" keep", w.Keep, g.Keep, sigs)
		compareSnapshots(t, w.key()+" remove", w.Remove, g.Remove, sigs)
		if a, b := reasonLines(w.Reasons), reasonLines(g.Reasons); !slices.Equal(a, b) {
			t.Errorf("group %s reasons differ:\n%s", w.key(), lineDiff(a, b))
		}
	}
	return kept, removed
}

func compareSnapshots(t *testing.T, what string, want, got []forgetSnapshot, sigs map[string]int) {
	t.Helper()
	if a, b := signaturesOf(want), signaturesOf(got); !slices.Equal(a, b) {
		t.Errorf("%s differs:\n%s", what, lineDiff(a, b))
		return
	}
	uniqueIDs := func(l []forgetSnapshot) []string {
		var ids []string
		for _, s := range l {
			if sigs[s.signature()] == 1 {
				ids = append(ids, s.ID)
			}
		}
		return sorted(ids)
	}
	if a, b := uniqueIDs(want), uniqueIDs(got); !slices.Equal(a, b) {
		t.Errorf("%s: IDs differ:\n%s", what, lineDiff(a, b))
	}
}

func signaturesOf(l []forgetSnapshot) []string {
	var s []string
	for _, sn := range l {
		s = append(s, sn.signature())
	}
	return sorted(s)
}

// reasonLines renders reasons in their order, one line each.
func reasonLines(rs []forgetReason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %q %v", r.Snapshot.signature(), r.Matches, r.Counters))
	}
	return out
}

// lineDiff lists the lines only in a (restic) or only in b (drydock).
func lineDiff(a, b []string) string {
	var s strings.Builder
	for _, l := range a {
		if !slices.Contains(b, l) {
			s.WriteString("  restic only:  " + l + "\n")
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			s.WriteString("  drydock only: " + l + "\n")
		}
	}
	if s.Len() == 0 {
		return fmt.Sprintf("  same lines, different order or count (%d vs %d)", len(a), len(b))
	}
	return s.String()
}

// resticStdout runs restic and returns its standard output only.
func resticStdout(t *testing.T, c *cli, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--no-cache"}, args...)...)
	cmd.Env = append(cmd.Environ(), c.environ()...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("restic %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
