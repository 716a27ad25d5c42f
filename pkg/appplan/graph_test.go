package appplan_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// ctr builds a container whose ID is its name, depending on deps by name.
func ctr(name string, deps ...string) *appplan.Container {
	c := &appplan.Container{ID: name, Name: name, Running: true}
	for _, d := range deps {
		c.Deps = append(c.Deps, appplan.RawDep{Source: appplan.DepLabel, Target: d})
	}
	return c
}

func TestGraphWaves(t *testing.T) {
	tests := []struct {
		name      string
		cs        []*appplan.Container
		set       []string
		stop      [][]string
		start     [][]string
		wantCycle string
	}{
		{
			name: "chain",
			cs:   []*appplan.Container{ctr("db"), ctr("api", "db"), ctr("web", "api")},
			set:  []string{"db", "api", "web"},
			stop: [][]string{{"web"}, {"api"}, {"db"}}, start: [][]string{{"db"}, {"api"}, {"web"}},
		},
		{
			name: "diamond",
			cs:   []*appplan.Container{ctr("base"), ctr("l", "base"), ctr("r", "base"), ctr("top", "l", "r")},
			set:  []string{"base", "l", "r", "top"},
			stop: [][]string{{"top"}, {"l", "r"}, {"base"}}, start: [][]string{{"base"}, {"l", "r"}, {"top"}},
		},
		{
			name: "independent",
			cs:   []*appplan.Container{ctr("a"), ctr("b"), ctr("c", "a")},
			set:  []string{"a", "b", "c"},
			stop: [][]string{{"b", "c"}, {"a"}}, start: [][]string{{"a", "b"}, {"c"}},
		},
		{
			name: "edge outside the set is ignored",
			cs:   []*appplan.Container{ctr("a"), ctr("b", "a"), ctr("c", "b")},
			set:  []string{"a", "c"},
			stop: [][]string{{"a", "c"}}, start: [][]string{{"a", "c"}},
		},
		{
			name:      "cycle",
			cs:        []*appplan.Container{ctr("a", "c"), ctr("b", "a"), ctr("c", "b"), ctr("d", "a")},
			set:       []string{"a", "b", "c", "d"},
			wantCycle: "dependency cycle: a -> c -> b -> a",
		},
		{
			name:      "self cycle via two labels",
			cs:        []*appplan.Container{ctr("x", "y"), ctr("y", "x")},
			set:       []string{"x", "y"},
			wantCycle: "dependency cycle: x -> y -> x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, warnings := appplan.NewGraph(tt.cs)
			if len(warnings) > 0 {
				t.Fatalf("warnings %v", warnings)
			}
			stop, err := g.Waves(tt.set, appplan.StopOrder)
			if tt.wantCycle != "" {
				var ce *appplan.CycleError
				if !errors.As(err, &ce) || err.Error() != tt.wantCycle {
					t.Fatalf("err %v, want %q", err, tt.wantCycle)
				}
				verr := g.Visit(t.Context(), tt.set, appplan.StartOrder, appplan.VisitOptions{}, func(context.Context, string) error {
					t.Error("visited a node of a cyclic graph")
					return nil
				})
				if !errors.As(verr, &ce) {
					t.Errorf("Visit err %v, want CycleError", verr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			start, _ := g.Waves(tt.set, appplan.StartOrder)
			if !reflect.DeepEqual(stop, tt.stop) || !reflect.DeepEqual(start, tt.start) {
				t.Errorf("stop %v start %v, want %v %v", stop, start, tt.stop, tt.start)
			}
		})
	}
}

func TestGraphResolve(t *testing.T) {
	svc := func(id, project, service string, deps ...appplan.RawDep) *appplan.Container {
		return &appplan.Container{ID: id, Name: id, Project: project, Service: service, Deps: deps}
	}
	cs := []*appplan.Container{
		svc("p-db-1", "p", "db"),
		svc("p-db-2", "p", "db"),
		svc("q-db-1", "q", "db"),
		svc("p-api-1", "p", "api", appplan.RawDep{Source: appplan.DepCompose, Target: "db"}),
		svc("abcdef123456", "", ""),
		svc("side", "", "", appplan.RawDep{Source: appplan.DepNetwork, Target: "abcdef12"}),
		svc("lost", "", "", appplan.RawDep{Source: appplan.DepLink, Target: "gone"}),
	}
	g, warnings := appplan.NewGraph(cs)
	if got, want := g.Providers("p-api-1"), []string{"p-db-1", "p-db-2"}; !slices.Equal(got, want) {
		t.Errorf("compose service resolves to %v, want both replicas of its own project %v", got, want)
	}
	if got := g.Providers("side"); !slices.Equal(got, []string{"abcdef123456"}) {
		t.Errorf("ID prefix resolves to %v", got)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "lost") || !strings.Contains(warnings[0], "gone") {
		t.Errorf("warnings %v, want one about lost -> gone", warnings)
	}
	if got := g.WithConsumers([]string{"p-db-1"}, func(*appplan.Container) bool { return true }); !slices.Equal(got, []string{"p-api-1", "p-db-1"}) {
		t.Errorf("WithConsumers %v", got)
	}
}

func TestGraphVisitOrderAndParallelism(t *testing.T) {
	// Three independents (top, solo, solo2 to stop; base, solo, solo2 to
	// start) could run at once: the bound of 2 must hold them back.
	cs := []*appplan.Container{ctr("base"), ctr("l", "base"), ctr("r", "base"), ctr("top", "l", "r"), ctr("solo"), ctr("solo2")}
	g, _ := appplan.NewGraph(cs)
	set := []string{"base", "l", "r", "top", "solo", "solo2"}
	for _, dir := range []appplan.Direction{appplan.StopOrder, appplan.StartOrder} {
		// In a synctest bubble the sleep below is virtual: each visit takes
		// 20ms, so that two overlap when they may, without a real wait.
		t.Run(dir.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var order []string
				var inflight, peak atomic.Int32
				err := g.Visit(t.Context(), set, dir, appplan.VisitOptions{Parallel: 2}, func(_ context.Context, id string) error {
					n := inflight.Add(1)
					defer inflight.Add(-1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					time.Sleep(20 * time.Millisecond)
					mu.Lock()
					order = append(order, id)
					mu.Unlock()
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				pos := func(id string) int { return slices.Index(order, id) }
				before := func(a, b string) {
					if pos(a) > pos(b) {
						t.Errorf("%s visited after %s: %v", a, b, order)
					}
				}
				if dir == appplan.StopOrder {
					before("top", "l")
					before("top", "r")
					before("l", "base")
					before("r", "base")
				} else {
					before("base", "l")
					before("base", "r")
					before("l", "top")
					before("r", "top")
				}
				if len(order) != 6 || peak.Load() != 2 {
					t.Errorf("visited %v with peak parallelism %d, want all 6 with 2", order, peak.Load())
				}
			})
		})
	}
}

func TestGraphVisitFailures(t *testing.T) {
	cs := []*appplan.Container{ctr("db"), ctr("api", "db"), ctr("web", "api")}
	g, _ := appplan.NewGraph(cs)
	set := []string{"db", "api", "web"}
	boom := errors.New("boom")
	fail := func(bad string, seen *[]string) func(context.Context, string) error {
		var mu sync.Mutex
		return func(_ context.Context, id string) error {
			mu.Lock()
			*seen = append(*seen, id)
			mu.Unlock()
			if id == bad {
				return boom
			}
			return nil
		}
	}
	var seen []string
	err := g.Visit(t.Context(), set, appplan.StopOrder, appplan.VisitOptions{}, fail("api", &seen))
	if !errors.Is(err, boom) || !slices.Equal(seen, []string{"web", "api"}) {
		t.Errorf("fail-fast: err %v, visited %v; want boom and no visit of db", err, seen)
	}
	seen = nil
	err = g.Visit(t.Context(), set, appplan.StartOrder, appplan.VisitOptions{KeepGoing: true}, fail("db", &seen))
	if !errors.Is(err, boom) || !slices.Equal(seen, []string{"db", "api", "web"}) {
		t.Errorf("keep going: err %v, visited %v; want boom and all visited", err, seen)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	seen = nil
	err = g.Visit(ctx, set, appplan.StopOrder, appplan.VisitOptions{}, fail("", &seen))
	if !errors.Is(err, context.Canceled) || len(seen) != 0 {
		t.Errorf("cancelled: err %v, visited %v", err, seen)
	}
}
