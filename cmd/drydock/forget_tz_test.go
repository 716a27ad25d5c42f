package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// TestForgetTimeZones runs restic and a drydock process side by side with
// TZ set explicitly. Periods follow the offsets recorded in the snapshots,
// but keep-within's cutoff is computed in the newest snapshot's zone as Go
// decodes it: time.Local when the offset is the local one. So across a DST
// change the choice depends on TZ, for restic and for drydock alike.
func TestForgetTimeZones(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	dryd := drydockBinary(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	r, dir := repotest.New(t, 0, repo.Options{})
	var corpus []corpusSnapshot
	for _, ts := range []string{
		"2024-03-20T12:00:00", "2024-03-27T11:30:00", "2024-03-27T12:30:00", "2024-03-30T23:30:00",
		"2024-03-31T01:59:00", "2024-03-31T03:00:00", "2024-04-02T00:10:00", "2024-04-03T12:00:00",
	} {
		when, err := time.ParseInLocation("2006-01-02T15:04:05", ts, berlin)
		if err != nil {
			t.Fatal(err)
		}
		corpus = append(corpus, corpusSnapshot{time: when, host: "h", paths: []string{"/p"}})
	}
	sigs := saveCorpus(t, r, corpus)
	c := newCLI(t, dir)
	c.env["RESTIC_PASSWORD"] = repotest.Password

	keptBy := map[string][]string{} // restic's choice for --keep-within 7d, by TZ
	for _, tz := range []string{"UTC", "Europe/Berlin", "America/New_York"} {
		for _, flags := range [][]string{{"--keep-within", "7d"}, {"--keep-within-daily", "7d"}, {"--keep-within-hourly", "4d"}} {
			t.Run(tz+" "+strings.Join(flags, " "), func(t *testing.T) {
				args := append([]string{"forget", "--dry-run", "--json"}, flags...)
				want := decodeForget(t, runWithTZ(t, c, tz, bin, append([]string{"--no-cache"}, args...)...))
				got := decodeForget(t, runWithTZ(t, c, tz, dryd, args...))
				compareForget(t, want, got, sigs)
				if flags[0] == "--keep-within" && len(want) == 1 {
					keptBy[tz] = want[0].keepSignatures()
				}
			})
		}
	}
	if slices.Equal(keptBy["UTC"], keptBy["Europe/Berlin"]) {
		t.Errorf("restic keeps the same with TZ=UTC and TZ=Europe/Berlin (%d snapshots): the test does not reach the DST case", len(keptBy["UTC"]))
	}
}

// runWithTZ runs a program with the cli's environment and TZ, and returns
// its standard output.
func runWithTZ(t *testing.T, c *cli, tz, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(cmd.Environ(), c.environ()...), "TZ="+tz)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("TZ=%s %s %s: %v\n%s%s", tz, bin, strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}
