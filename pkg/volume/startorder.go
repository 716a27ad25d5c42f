package volume

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// StartContainers starts the containers of p named in names that do not
// run, in start order: independents in parallel, and a provider of another
// named container waited for until healthy first. It is for containers a
// restore created or left stopped; Stop's undo restarts what Stop stopped.
func (m *Manager) StartContainers(ctx context.Context, p *appplan.Plan, names []string) error {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var ids []string
	refs := map[string]appplan.ContainerRef{}
	for _, c := range p.Graph().Containers() {
		if want[c.Name] {
			ids = append(ids, c.ID)
			refs[c.ID] = c.Ref()
			delete(want, c.Name)
		}
	}
	if len(want) > 0 {
		return fmt.Errorf("start containers: not found: %v", slices.Sorted(maps.Keys(want)))
	}
	set := toSet(ids)
	return p.Graph().Visit(ctx, ids, appplan.StartOrder, appplan.VisitOptions{Parallel: m.opts.Parallel}, func(ctx context.Context, id string) error {
		wait := slices.ContainsFunc(p.Graph().Consumers(id), func(c string) bool { return set[c] })
		_, err := m.startRef(ctx, refs[id], wait)
		return err
	})
}
