package console

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
)

func TestNiceCeil(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{1, 1}, {1.2, 2}, {3, 5}, {7, 10}, {12, 20}, {0.03, 0.05}, {4.5e9, 5e9}, {1000, 1000},
	} {
		if got := niceCeil(tc.in); got != tc.want {
			t.Errorf("niceCeil(%g) = %g, want %g", tc.in, got, tc.want)
		}
	}
}

func TestAxisMax(t *testing.T) {
	for _, tc := range []struct {
		v      float64
		binary bool
		top    float64
		ticks  int
	}{
		{3, false, 5, 5}, {1.5, false, 2, 4}, {9, false, 10, 5},
		{1.3 * (1 << 30), true, 2 << 30, 4}, {700 << 20, true, 1000 << 20, 5}, {3000, true, 5 << 10, 5},
	} {
		top, ticks := chart{Binary: tc.binary}.axisMax(tc.v)
		if top != tc.top || ticks != tc.ticks {
			t.Errorf("axisMax(%g, binary %v) = %g, %d; want %g, %d", tc.v, tc.binary, top, ticks, tc.top, tc.ticks)
		}
	}
}

func TestChartSVG(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	unit := func(v float64) string { return seconds(v) }
	line := chart{Title: "a <b>", Unit: unit, Series: []series{
		{Name: "x&y", Points: []point{{t0, 1}, {t0.Add(time.Hour), 3}, {t0.Add(2 * time.Hour), 2}}},
		{Name: "z", Points: []point{{t0, 0}}},
	}}
	svg := string(line.svg())
	if n := strings.Count(svg, "<circle"); n != 4 {
		t.Errorf("%d dots, want one per point (4)", n)
	}
	if n := strings.Count(svg, "<polyline"); n != 1 {
		t.Errorf("%d lines, want one (a series of one point is a dot)", n)
	}
	if strings.Contains(svg, "<b>") || strings.Contains(svg, "x&y") || !strings.Contains(svg, "x&amp;y") {
		t.Errorf("names not escaped: %s", svg)
	}
	// The highest point is on the top grid line's value (5 s for 3 s)
	// and inside the drawing area.
	if !strings.Contains(svg, ">5.0 s</text>") {
		t.Errorf("axis does not end at 5.0 s: %s", svg)
	}
	for _, m := range regexp.MustCompile(`cy="([0-9.-]+)"`).FindAllStringSubmatch(svg, -1) {
		if v, err := strconv.ParseFloat(m[1], 64); err != nil || v < padTop || v > chartH-padBottom {
			t.Errorf("dot at y %s, outside %g..%g", m[1], padTop, chartH-padBottom)
		}
	}
	dots := line
	dots.Dots = true
	if strings.Contains(string(dots.svg()), "<polyline") {
		t.Error("a chart of dots draws lines")
	}
	if (chart{Title: "empty", Unit: unit}).svg() != "" {
		t.Error("a chart without points draws something")
	}
}

// TestPlotsPage: the plots page draws the repository's size and snapshot
// count, each backup's duration and each app's downtime from the history.
func TestPlotsPage(t *testing.T) {
	f := newFixture(t)
	if page := string(readBody(t, f.get(t, "/plots", testToken))); !strings.Contains(page, "No run has finished yet") {
		t.Errorf("plots of an empty history:\n%s", page)
	}
	for i := range 3 {
		op, err := f.ops.Start(oplog.Operation{Kind: "backup", Job: "apps", Repository: "default", Trigger: oplog.Scheduled})
		if err != nil {
			t.Fatal(err)
		}
		err = f.ops.Finish(op.ID, nil, func(o *oplog.Operation) {
			o.After = &oplog.RepositoryFigures{Bytes: int64(i+1) << 30, Snapshots: 10 + i}
			o.Downtime = map[string]float64{"wiki": 2.5, "db": float64(i)}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	res := f.get(t, "/plots", testToken)
	page := string(readBody(t, res))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /plots: %d", res.StatusCode)
	}
	for _, want := range []string{"Repository size", "Snapshots in the repository", "Backup duration per run", "App downtime per backup", ">wiki<", ">db<", "<svg"} {
		if !strings.Contains(page, want) {
			t.Errorf("plots page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 4 {
		t.Errorf("%d charts, want 4", n)
	}
}
