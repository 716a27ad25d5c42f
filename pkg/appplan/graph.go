package appplan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/drydock-backup/drydock/internal/errjoin"

	"golang.org/x/sync/errgroup"
)

// Graph is the dependency graph of containers: an edge goes from a consumer
// to a provider it needs (compose depends_on, link, shared namespace,
// volumes_from, drydock.depends-on). Nodes are container IDs.
type Graph struct {
	byID      map[string]*Container
	providers map[string]map[string][]RawDep // consumer -> provider -> why
	consumers map[string]map[string]bool     // provider -> consumers
}

// swarmProject keys Swarm services among compose services; no compose
// project name can hold a NUL.
const swarmProject = "\x00swarm"

// NewGraph resolves the recorded dependencies of cs. Targets it cannot
// resolve (a removed container, a service of another project) are returned
// as warnings: they cannot be ordered, but they are no reason to fail.
func NewGraph(cs []*Container) (*Graph, []string) {
	g := &Graph{
		byID:      map[string]*Container{},
		providers: map[string]map[string][]RawDep{},
		consumers: map[string]map[string]bool{},
	}
	byName := map[string]*Container{}
	byService := map[[2]string][]*Container{}
	for _, c := range cs {
		g.byID[c.ID] = c
		byName[c.Name] = c
		if c.Project != "" && c.Service != "" {
			k := [2]string{c.Project, c.Service}
			byService[k] = append(byService[k], c)
		}
		if c.Swarm != nil {
			k := [2]string{swarmProject, c.Swarm.Name}
			byService[k] = append(byService[k], c)
		}
	}
	var warnings []string
	for _, c := range cs {
		for _, d := range c.Deps {
			targets := g.resolve(c, d, byName, byService)
			if len(targets) == 0 {
				warnings = append(warnings, fmt.Sprintf("container %s: %s: no such container", c.Name, d))
				continue
			}
			for _, t := range targets {
				if t.ID != c.ID {
					g.addEdge(c.ID, t.ID, d)
				}
			}
		}
	}
	return g, warnings
}

func (g *Graph) resolve(c *Container, d RawDep, byName map[string]*Container, byService map[[2]string][]*Container) []*Container {
	if d.Source == DepCompose || d.Source == DepLabel {
		if ts := byService[[2]string{c.Project, d.Target}]; c.Project != "" && len(ts) > 0 {
			return ts
		}
		if d.Source == DepCompose {
			return nil
		}
		// drydock.depends-on may name a Swarm service: all its tasks.
		if ts := byService[[2]string{swarmProject, d.Target}]; len(ts) > 0 {
			return ts
		}
	}
	if t, ok := byName[d.Target]; ok {
		return []*Container{t}
	}
	if t, ok := g.byID[d.Target]; ok {
		return []*Container{t}
	}
	// Docker accepts unique ID prefixes in container:X modes.
	var match *Container
	for id, t := range g.byID {
		if len(d.Target) >= 4 && strings.HasPrefix(id, d.Target) {
			if match != nil {
				return nil
			}
			match = t
		}
	}
	if match != nil {
		return []*Container{match}
	}
	return nil
}

func (g *Graph) addEdge(consumer, provider string, why RawDep) {
	if g.providers[consumer] == nil {
		g.providers[consumer] = map[string][]RawDep{}
	}
	g.providers[consumer][provider] = append(g.providers[consumer][provider], why)
	if g.consumers[provider] == nil {
		g.consumers[provider] = map[string]bool{}
	}
	g.consumers[provider][consumer] = true
}

// Container returns the container with the given ID, or nil.
func (g *Graph) Container(id string) *Container { return g.byID[id] }

// Providers returns the IDs of the containers id depends on, sorted.
func (g *Graph) Providers(id string) []string { return slices.Sorted(maps.Keys(g.providers[id])) }

// Consumers returns the IDs of the containers that depend on id, sorted.
func (g *Graph) Consumers(id string) []string { return slices.Sorted(maps.Keys(g.consumers[id])) }

// Why returns the recorded reasons consumer depends on provider.
func (g *Graph) Why(consumer, provider string) []RawDep { return g.providers[consumer][provider] }

func (g *Graph) name(id string) string {
	if c := g.byID[id]; c != nil {
		return c.Name
	}
	return id
}

// CycleError reports a dependency cycle; Path starts and ends at the same
// container.
type CycleError struct {
	Path []string // container names
}

func (e *CycleError) Error() string {
	return "dependency cycle: " + strings.Join(e.Path, " -> ")
}

// CheckCycles returns a *CycleError if the subgraph induced by set has a
// cycle. The search order is sorted, so the reported path is stable.
func (g *Graph) CheckCycles(set []string) error {
	in := toSet(set)
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(id string) error
	visit = func(id string) error {
		color[id] = grey
		stack = append(stack, id)
		for _, p := range g.Providers(id) {
			if !in[p] {
				continue
			}
			switch color[p] {
			case grey:
				i := slices.Index(stack, p)
				path := make([]string, 0, len(stack)-i+1)
				for _, s := range stack[i:] {
					path = append(path, g.name(s))
				}
				return &CycleError{Path: append(path, g.name(p))}
			case white:
				if err := visit(p); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
		return nil
	}
	for _, id := range slices.Sorted(maps.Keys(in)) {
		if color[id] == white {
			if err := visit(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// WithConsumers returns set plus every container that transitively depends
// on a member of set and for which keep returns true, sorted. Those must be
// stopped before and started after the members they depend on.
func (g *Graph) WithConsumers(set []string, keep func(*Container) bool) []string {
	in := toSet(set)
	queue := slices.Clone(set)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, c := range g.Consumers(id) {
			if in[c] || !keep(g.byID[c]) {
				continue
			}
			in[c] = true
			queue = append(queue, c)
		}
	}
	return slices.Sorted(maps.Keys(in))
}

// Direction of a visit.
type Direction int

const (
	// StopOrder visits consumers before the providers they depend on.
	StopOrder Direction = iota
	// StartOrder visits providers before their consumers.
	StartOrder
)

func (d Direction) String() string {
	if d == StartOrder {
		return "start order"
	}
	return "stop order"
}

// edges returns, within set, how many nodes each node waits for and which
// nodes each node releases when it is done.
func (g *Graph) edges(set []string, dir Direction) (waiting map[string]int, next map[string][]string) {
	in := toSet(set)
	waiting = map[string]int{}
	next = map[string][]string{}
	for _, consumer := range slices.Sorted(maps.Keys(in)) {
		for _, provider := range g.Providers(consumer) {
			if !in[provider] {
				continue
			}
			first, then := consumer, provider
			if dir == StartOrder {
				first, then = provider, consumer
			}
			waiting[then]++
			next[first] = append(next[first], then)
		}
	}
	return waiting, next
}

// Waves groups set into steps in dir: every member of a wave only waits for
// members of earlier waves, so a wave's members may run in parallel.
func (g *Graph) Waves(set []string, dir Direction) ([][]string, error) {
	if err := g.CheckCycles(set); err != nil {
		return nil, err
	}
	waiting, next := g.edges(set, dir)
	var waves [][]string
	var cur []string
	for _, id := range slices.Sorted(maps.Keys(toSet(set))) {
		if waiting[id] == 0 {
			cur = append(cur, id)
		}
	}
	for len(cur) > 0 {
		waves = append(waves, cur)
		var nxt []string
		for _, id := range cur {
			for _, m := range next[id] {
				if waiting[m]--; waiting[m] == 0 {
					nxt = append(nxt, m)
				}
			}
		}
		slices.Sort(nxt)
		cur = nxt
	}
	return waves, nil
}

// VisitOptions tune Visit.
type VisitOptions struct {
	// Parallel bounds how many fn calls run at once; 0 means 4.
	Parallel int
	// KeepGoing visits every node even after failures (for restarts);
	// otherwise the first failure or ctx cancellation stops the visit and
	// nodes not yet started are skipped.
	KeepGoing bool
}

// Visit calls fn for every node of set in dir order. A node is visited once
// every node it waits for is done; independent nodes run in parallel. A
// cycle is rejected before anything runs. The failures are joined.
func (g *Graph) Visit(ctx context.Context, set []string, dir Direction, opts VisitOptions, fn func(ctx context.Context, id string) error) error {
	if err := g.CheckCycles(set); err != nil {
		return err
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	waiting, next := g.edges(set, dir)
	sem := make(chan struct{}, opts.Parallel)
	var (
		eg     errgroup.Group
		mu     sync.Mutex
		errs   []error
		failed bool
	)
	var launch func(id string)
	run := func(id string) {
		sem <- struct{}{}
		defer func() { <-sem }()
		mu.Lock()
		if !opts.KeepGoing && !failed && ctx.Err() != nil {
			failed = true
			errs = append(errs, context.Cause(ctx))
		}
		skip := failed && !opts.KeepGoing
		mu.Unlock()
		if skip {
			return
		}
		err := fn(ctx, id)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			failed = true
			if !opts.KeepGoing {
				return
			}
		}
		for _, m := range next[id] {
			if waiting[m]--; waiting[m] == 0 {
				launch(m)
			}
		}
	}
	launch = func(id string) { eg.Go(func() error { run(id); return nil }) }
	mu.Lock()
	for _, id := range slices.Sorted(maps.Keys(toSet(set))) {
		if waiting[id] == 0 {
			launch(id)
		}
	}
	mu.Unlock()
	_ = eg.Wait() // run reports through errs
	return errjoin.Join(errs...)
}

func toSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Containers returns the graph's containers, sorted by ID.
func (g *Graph) Containers() []*Container {
	out := make([]*Container, 0, len(g.byID))
	for _, id := range slices.Sorted(maps.Keys(g.byID)) {
		out = append(out, g.byID[id])
	}
	return out
}
