package main

import (
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin wherever the test runs

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// corpusSnapshot is a snapshot of the forget test corpus before saving.
type corpusSnapshot struct {
	time  time.Time
	host  string
	paths []string
	tags  []string
}

// signature identifies a snapshot by everything forget looks at. The
// corpus repeats a snapshot only by copying it whole, so two snapshots with
// the same signature are interchangeable for every policy, filter and
// grouping: restic orders such ties by the order it happened to load them
// in, so comparisons with it go by signature.
func signature(t time.Time, host string, paths, tags []string) string {
	return fmt.Sprintf("%s|%s|%s|%s", t.Format(time.RFC3339Nano), host,
		strings.Join(sorted(paths), ","), strings.Join(sorted(tags), ","))
}

var (
	corpusHosts    = []string{"alpha", "alpha", "beta", "gamma"} // alpha twice as often
	corpusPathSets = [][]string{{"/srv/app"}, {"/var/lib/db", "/etc/app"}}
	corpusTagSets  = [][]string{nil, nil, {"nightly"}, {"weekly", "manual"}, {"manual"}}
)

// forgetCorpus makes about 430 snapshots from 2023 to the end of 2024 at
// irregular intervals (minutes to days, some identical copies), written
// in several UTC offsets and in Berlin time, plus hand-placed snapshots on
// the boundaries of hours, days, ISO weeks (week 53 included), months,
// years and DST changes, a few from 2020/21, and one in the far future.
func forgetCorpus(t *testing.T) []corpusSnapshot {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	zones := []*time.Location{time.UTC, time.FixedZone("", 9*3600), time.FixedZone("", -5*3600), berlin, berlin}
	rng := mathrand.New(mathrand.NewPCG(2023, 2024))
	pick := func(n int) int { return rng.IntN(n) }
	var out []corpusSnapshot
	at := time.Date(2023, 1, 1, 3, 17, 0, 0, time.UTC)
	end := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	for at.Before(end) {
		switch r := rng.Float64(); {
		case r < 0.10 && len(out) > 0: // an identical copy
			out = append(out, out[len(out)-1])
			continue
		case r < 0.35:
			at = at.Add(time.Duration(1+pick(59)) * time.Minute)
		default:
			at = at.Add(2*time.Hour + time.Duration(rng.Int64N(int64(118*time.Hour))))
		}
		out = append(out, corpusSnapshot{
			time: at.In(zones[pick(len(zones))]).Truncate(time.Second), host: corpusHosts[pick(len(corpusHosts))],
			paths: corpusPathSets[pick(len(corpusPathSets))], tags: corpusTagSets[pick(len(corpusTagSets))],
		})
	}
	for i, ts := range []string{
		"2023-12-31T23:59:59Z", "2024-01-01T00:00:00Z", // hour, day, week, month, year
		"2023-01-01T10:00:00Z",                         // a Sunday in ISO week 2022-W52
		"2024-12-29T12:00:00Z", "2024-12-30T08:00:00Z", // 2024-W52 and 2025-W01
		"2024-06-10T10:59:59Z", "2024-06-10T11:00:00Z", "2024-06-10T11:00:59Z", "2024-06-10T11:01:00Z",
		"2024-02-29T23:59:59+09:00", "2024-03-01T00:00:00+09:00",
		"2024-10-27T02:30:00+02:00", "2024-10-27T02:30:00+01:00", // Berlin's repeated hour
		"2024-03-31T01:59:00+01:00", "2024-03-31T03:00:00+02:00", // and its skipped one
		"2020-12-31T12:00:00Z", "2021-01-02T12:00:00Z", "2021-01-04T12:00:00Z", // 2020-W53, 2021-W01
		"2099-01-01T00:00:00Z", // in the future: never the newest for keep-within
	} {
		when, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			t.Fatal(err)
		}
		// beta's copy is 1 ms later: the same second, so the same periods,
		// but not a tie with alpha's when everything is one group.
		for j, host := range []string{"alpha", "beta"} {
			out = append(out, corpusSnapshot{time: when.Add(time.Duration(j) * time.Millisecond), host: host,
				paths: corpusPathSets[(i+j)%2], tags: corpusTagSets[(i+j)%len(corpusTagSets)]})
		}
	}
	return dropInstantClashes(append(out, atCutoff(out, 10)))
}

// atCutoff makes a snapshot exactly days before the newest one that is not
// in the future: keep-within's cutoff, which it does not keep.
func atCutoff(corpus []corpusSnapshot, days int) corpusSnapshot {
	var newest time.Time
	for _, s := range corpus {
		if s.time.After(newest) && s.time.Year() < 2099 {
			newest = s.time
		}
	}
	return corpusSnapshot{time: newest.AddDate(0, 0, -days), host: "gamma", paths: corpusPathSets[0]}
}

// dropInstantClashes removes snapshots that share an instant with a
// different one: restic's order between them would be arbitrary.
func dropInstantClashes(in []corpusSnapshot) []corpusSnapshot {
	sigAt := map[int64]string{}
	var out []corpusSnapshot
	for _, s := range in {
		sig := signature(s.time, s.host, s.paths, s.tags)
		if prev, ok := sigAt[s.time.UnixNano()]; ok && prev != sig {
			continue
		}
		sigAt[s.time.UnixNano()] = sig
		out = append(out, s)
	}
	return out
}

// saveCorpus writes the corpus into r, all snapshots sharing one empty
// tree, and returns the number of snapshots per signature.
func saveCorpus(t *testing.T, r *repo.Repository, corpus []corpusSnapshot) map[string]int {
	t.Helper()
	ctx := t.Context()
	var tree format.ID
	_, err := r.WithBlobSaver(ctx, func(ctx context.Context, s *repo.BlobSaver) error {
		doc, err := format.EncodeTree(nil)
		if err != nil {
			return err
		}
		tree, _, err = s.SaveBlob(ctx, format.TreeBlob, doc)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sigs := map[string]int{}
	for i, s := range corpus {
		// Copies differ only in a field forget ignores, so that each has its
		// own file and ID.
		sn := &format.Snapshot{Time: s.time, Tree: &tree, Hostname: s.host, Paths: s.paths, Tags: s.tags,
			Username: "u", UID: uint32(i + 1)}
		if _, err := r.SaveSnapshot(ctx, sn); err != nil {
			t.Fatal(err)
		}
		sigs[signature(s.time, s.host, s.paths, s.tags)]++
	}
	return sigs
}
