// Package planview serves tests of app plans: it prints an appplan.Plan
// for failure messages (the decisions a test asserts on, one per line,
// without the text rendering of drydock volumes ls, which lives in
// cmd/drydock), and builds the inventories such tests plan from.
package planview

import (
	"fmt"
	"strings"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// String lists p's apps with their volumes, stops, kept containers and
// error, then the skipped volumes and the warnings.
func String(p *appplan.Plan) string {
	var b strings.Builder
	for _, a := range p.Apps {
		fmt.Fprintf(&b, "app %s %v err=%v\n", a.Name, a.Tags, a.Err)
		for _, v := range a.Volumes {
			fmt.Fprintf(&b, "  volume %s: %s\n", v.Name, v.Reason)
		}
		for _, d := range a.Stop {
			fmt.Fprintf(&b, "  stop %s (running %v, %s): %s\n", d.Container.Name, d.Running, d.Action, d.Reason)
		}
		for _, d := range a.Kept {
			fmt.Fprintf(&b, "  keep %s: %s\n", d.Container.Name, d.Reason)
		}
		fmt.Fprintf(&b, "  waves stop %v start %v, max downtime %s (%s)\n", a.StopWaves, a.StartWaves, a.MaxDowntime, a.MaxDowntimeFrom)
	}
	for _, s := range p.Skipped {
		fmt.Fprintf(&b, "skipped %s: %s\n", s.Name, s.Reason)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}
