package appplan

import (
	"slices"

	"github.com/docker/docker/api/types/container"
)

// StartWaves orders containers Docker described (`docker inspect`, as an
// app's saved definition holds them) for a start: providers before their
// consumers, each wave's members independent of each other. It returns
// container names; dependencies on containers outside ins are warnings.
func StartWaves(ins []container.InspectResponse) (waves [][]string, warnings []string, err error) {
	cs := make([]*Container, 0, len(ins))
	ids := make([]string, 0, len(ins))
	for _, in := range ins {
		c := ContainerFromInspect(in, nil)
		cs = append(cs, c)
		ids = append(ids, c.ID)
	}
	g, warnings := NewGraph(cs)
	idWaves, err := g.Waves(ids, StartOrder)
	if err != nil {
		return nil, warnings, err
	}
	for _, w := range idWaves {
		names := make([]string, 0, len(w))
		for _, id := range w {
			names = append(names, g.name(id))
		}
		slices.Sort(names)
		waves = append(waves, names)
	}
	return waves, warnings, nil
}

// Narrow returns app reduced to what restoring some of its volumes must
// stop: the containers mounting one of volumes (by name) that the app
// stops, and their consumers; the app's other containers keep running.
func (p *Plan) Narrow(app *App, volumes []string) *App {
	var direct []string
	for _, id := range app.stopIDs {
		c := p.graph.Container(id)
		if slices.ContainsFunc(c.Mounts, func(m Mount) bool { return !m.Bind && slices.Contains(volumes, m.Name) }) {
			direct = append(direct, id)
		}
	}
	in := toSet(stopClosure(p.graph, direct))
	for id := range in {
		if !slices.Contains(app.stopIDs, id) {
			delete(in, id)
		}
	}
	n := *app
	n.stopIDs = slices.DeleteFunc(slices.Clone(app.stopIDs), func(id string) bool { return !in[id] })
	n.Stop = slices.DeleteFunc(slices.Clone(app.Stop), func(d Decision) bool { return !in[d.Container.ID] })
	return &n
}
