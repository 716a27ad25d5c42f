package console

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/oplog"
)

type plotsPage struct {
	History bool
	Charts  []plotView
}

func (plotsPage) title() string { return "Plots" }

type plotView struct {
	Title  string
	SVG    template.HTML
	Legend []legendItem
}

// pagePlots draws, from the history, what is better seen than read: the
// repositories' size and snapshot count over time, and each backup's
// duration and each app's downtime per run.
func (s *Server) pagePlots(w http.ResponseWriter, r *http.Request) {
	p := plotsPage{History: s.history != nil}
	if s.history != nil {
		for _, c := range historyCharts(s.history.List(0)) {
			if svg := c.svg(); svg != "" {
				p.Charts = append(p.Charts, plotView{Title: c.Title, SVG: svg, Legend: c.legend()})
			}
		}
	}
	s.render(w, r, http.StatusOK, "plots", p)
}

// historyCharts are the charts the operations make.
func historyCharts(ops []oplog.Operation) []chart {
	size, snaps := map[string][]point{}, map[string][]point{}
	took, down := map[string][]point{}, map[string][]point{}
	for _, op := range ops {
		if op.Finished == nil {
			continue
		}
		at := *op.Finished
		if a := op.After; a != nil {
			size[op.Repository] = append(size[op.Repository], point{at, float64(a.Bytes)})
			snaps[op.Repository] = append(snaps[op.Repository], point{at, float64(a.Snapshots)})
		}
		if op.Kind == "backup" && op.Status == oplog.Success {
			took[op.Job] = append(took[op.Job], point{op.Started, op.Seconds})
		}
		for app, sec := range op.Downtime {
			down[app] = append(down[app], point{op.Started, sec})
		}
	}
	bytes := func(v float64) string { return humanize.Bytes(uint64(v), 1) }
	count := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	return []chart{
		{Title: "Repository size", Unit: bytes, Series: seriesBy(size), Binary: true},
		{Title: "Snapshots in the repository", Unit: count, Series: seriesBy(snaps)},
		{Title: "Backup duration per run", Unit: seconds, Series: seriesBy(took), Dots: true},
		{Title: "App downtime per backup", Unit: seconds, Series: seriesBy(down), Dots: true},
	}
}

func seconds(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.1f s", v)
	}
	return fmt.Sprintf("%.0f s", v)
}
