package console

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
)

// A chart is drawn on the server as inline SVG: it needs no script, so it
// shows with JavaScript off and under the console's CSP, and weighs a few
// kilobytes.

// series is one line of a chart.
type series struct {
	Name   string
	Points []point // by time
}

type point struct {
	T time.Time
	V float64
}

// chart is a time chart of one or more series sharing a unit.
type chart struct {
	Title  string
	Unit   func(v float64) string // a value as the axis and the tooltips show it
	Series []series
	// Dots draws each point alone (one per run) instead of a line.
	Dots bool
	// Binary rounds the axis to powers of 1024 (bytes).
	Binary bool
}

// Chart geometry, in SVG units; the SVG scales to the page's width.
const (
	chartW, chartH    = 720.0, 220.0
	padLeft, padRight = 70.0, 12.0
	padTop, padBottom = 12.0, 28.0
	maxSeriesColours  = 6
	chartTick         = 3
)

// svg renders the chart, or nothing if it has no point.
func (c chart) svg() template.HTML {
	t0, t1, vmax, n := c.bounds()
	if n == 0 {
		return ""
	}
	if vmax <= 0 {
		vmax = 1
	}
	vmax, ticks := c.axisMax(vmax)
	if !t1.After(t0) {
		t0, t1 = t0.Add(-time.Hour), t1.Add(time.Hour)
	}
	x := func(t time.Time) float64 {
		return padLeft + (chartW-padLeft-padRight)*float64(t.Sub(t0))/float64(t1.Sub(t0))
	}
	y := func(v float64) float64 { return chartH - padBottom - (chartH-padTop-padBottom)*v/vmax }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s">`, chartW, chartH, template.HTMLEscapeString(c.Title))
	for i := 0; i <= ticks; i++ {
		v := vmax * float64(i) / float64(ticks)
		fmt.Fprintf(&b, `<line class="grid" x1="%g" x2="%g" y1="%.1f" y2="%.1f"/>`, padLeft, chartW-padRight, y(v), y(v))
		fmt.Fprintf(&b, `<text class="axis" x="%g" y="%.1f" text-anchor="end">%s</text>`, padLeft-6, y(v)+4, template.HTMLEscapeString(c.Unit(v)))
	}
	for i := 0; i < chartTick; i++ {
		t := t0.Add(time.Duration(float64(t1.Sub(t0)) * float64(i) / float64(chartTick-1)))
		anchor := [...]string{"start", "middle", "end"}[i]
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%g" text-anchor="%s">%s</text>`, x(t), chartH-8, anchor, t.Local().Format(timeLayout(t1.Sub(t0))))
	}
	for i, s := range c.Series {
		cls := fmt.Sprintf("s%d", i%maxSeriesColours)
		if !c.Dots && len(s.Points) > 1 {
			pts := make([]string, len(s.Points))
			for j, p := range s.Points {
				pts[j] = fmt.Sprintf("%.1f,%.1f", x(p.T), y(p.V))
			}
			fmt.Fprintf(&b, `<polyline class="line %s" points="%s"/>`, cls, strings.Join(pts, " "))
		}
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle class="dot %s" cx="%.1f" cy="%.1f" r="3"><title>%s %s: %s</title></circle>`, cls, x(p.T), y(p.V),
				template.HTMLEscapeString(s.Name), p.T.Local().Format("2006-01-02 15:04"), template.HTMLEscapeString(c.Unit(p.V)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text in it is escaped above
}

// bounds are the chart's time range, its largest value and how many
// points it has.
func (c chart) bounds() (t0, t1 time.Time, vmax float64, n int) {
	for _, s := range c.Series {
		for _, p := range s.Points {
			if n == 0 || p.T.Before(t0) {
				t0 = p.T
			}
			if n == 0 || p.T.After(t1) {
				t1 = p.T
			}
			vmax = max(vmax, p.V)
			n++
		}
	}
	return t0, t1, vmax, n
}

// legend lists the series with their colour classes.
func (c chart) legend() []legendItem {
	out := make([]legendItem, len(c.Series))
	for i, s := range c.Series {
		out[i] = legendItem{Name: s.Name, Class: fmt.Sprintf("s%d", i%maxSeriesColours)}
	}
	return out
}

type legendItem struct{ Name, Class string }

// axisMax is the top of the value axis for values up to v, and how many
// steps it has, so that each grid line reads as a round number.
func (c chart) axisMax(v float64) (float64, int) {
	scale := 1.0
	if c.Binary {
		for v/scale >= 1024 {
			scale *= 1024
		}
	}
	top := niceCeil(v / scale)
	ticks := 5 // 1 and 5 times a power of ten split in fifths
	if lead := top / math.Pow(10, math.Floor(math.Log10(top))); lead == 2 {
		ticks = 4
	}
	return top * scale, ticks
}

// timeLayout shows a time as precisely as the chart's span needs.
func timeLayout(span time.Duration) string {
	switch {
	case span < 10*time.Minute:
		return "15:04:05"
	case span < 24*time.Hour:
		return "15:04"
	}
	return "Jan 2 15:04"
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so that the
// axis reads in round numbers.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// seriesBy groups points by name, each group in time order, the groups by
// name.
func seriesBy(points map[string][]point) []series {
	names := make([]string, 0, len(points))
	for n := range points {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]series, len(names))
	for i, n := range names {
		pts := points[n]
		slices.SortFunc(pts, func(a, b point) int { return a.T.Compare(b.T) })
		out[i] = series{Name: n, Points: pts}
	}
	return out
}
