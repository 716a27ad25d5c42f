package appplan

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Plan says what would be backed up, in which order, with which hooks, and
// why. BuildPlan makes it from an Inventory without touching Docker.
type Plan struct {
	Apps     []*App
	Skipped  []Skip   // volumes and bind mounts not backed up, with why
	Warnings []string // malformed labels, unresolvable dependencies
	graph    *Graph
}

// Skip is a volume or bind mount that is not backed up.
type Skip struct {
	Name   string
	Bind   bool
	Reason string
	// Tier is set when the volume is skipped for its tier (cache,
	// rebuildable): opted in, but not worth a backup.
	Tier Tier
	// Malformed: skipped for labels drydock could not read (a value not
	// documented, a mistyped drydock.* key), not by the user's choice.
	Malformed bool
}

// App is a set of volumes backed up together: those sharing a drydock.group
// or a container that must be stopped for them. It is what a BackupFunc
// receives.
type App struct {
	Name    string
	Groups  []string // explicit drydock.group names
	Tags    []string // "group=<name>" per group
	Volumes []Volume
	// Stop lists the containers stopped for the app, in a valid stop order
	// (reverse it for a start order). Containers not running when the
	// backup starts are left alone.
	Stop []Decision
	// Kept lists containers mounting the app's volumes that keep running.
	Kept       []Decision
	StopWaves  [][]string // container names; each wave may run in parallel
	StartWaves [][]string
	Hooks      []Hook
	// MaxDowntime is the smallest drydock.max-downtime set on the app's
	// volumes and containers (those mounting its volumes or stopped for
	// it); 0 when none sets it, and Options.MaxDowntime applies.
	MaxDowntime time.Duration
	// MaxDowntimeFrom names the volume or container MaxDowntime is from.
	MaxDowntimeFrom string
	// Containers are the app's containers (mounting its volumes or
	// stopped for it), by name: those whose definition the snapshot holds.
	Containers []ContainerRef
	// Dumps are the drydock.dump commands of the app's containers, by
	// container name; only those of running containers run.
	Dumps []Dump
	// Stopped, in the App a BackupFunc gets for PassFinal, names the
	// containers stopped or frozen for it and the Swarm services scaled to
	// 0, in stop order.
	Stopped []string
	// SkippedDumps, in the App a BackupFunc gets, are the dumps not taken
	// because their container did not run: the snapshot lacks them.
	SkippedDumps []Dump
	// Images are the app's containers whose image drydock.save-image asks
	// to save.
	Images []ImageSave
	// Err is why the app cannot be backed up (a dependency cycle, two
	// dumps of one name).
	Err error

	stopIDs []string
}

// Volume is one volume (or bind mount) of an App.
type Volume struct {
	Name       string // volume name; host path for a bind mount
	Bind       bool
	Mountpoint string // host path of the data
	Tier       Tier
	Tags       []string // "volume=<name>" ("bind=<path>" for a bind mount)
	Reason     string   // why it is backed up
	MountedBy  []string // container names
}

// Decision says whether and why a container is stopped.
type Decision struct {
	Container   ContainerRef
	Running     bool
	Healthcheck bool
	Reason      string
	// Action is what happens to the container for the final pass; ""
	// for a kept container.
	Action Action
}

// Action is what drydock does to a container for the final pass.
type Action string

// Actions.
const (
	// ActionStop stops the container and starts it again.
	ActionStop Action = "stop"
	// ActionPause freezes it (docker pause) and thaws it (drydock.stop=pause).
	ActionPause Action = "pause"
	// ActionScale scales its Swarm service to 0 and back: a task is never
	// stopped or started itself.
	ActionScale Action = "scale"
)

// Graph is the dependency graph the plan was built from, for visiting
// the app's containers in order.
func (p *Plan) Graph() *Graph { return p.graph }

// StopIDs are the IDs of the containers stopped (or paused, or scaled) for
// the app, sorted: the nodes of the plan's graph a stop visits.
func (a *App) StopIDs() []string { return a.stopIDs }

// StopNames names what the stop of a is about to stop, freeze or scale:
// its running containers, and its Swarm services by name.
func (a *App) StopNames() []string {
	var out []string
	for _, d := range a.Stop {
		switch {
		case d.Action == ActionScale:
			if !slices.Contains(out, d.Container.SwarmServiceName) {
				out = append(out, d.Container.SwarmServiceName)
			}
		case d.Running:
			out = append(out, d.Container.Name)
		}
	}
	return out
}

func actionOf(c *Container) Action {
	switch {
	case c.Settings.Pause:
		return ActionPause
	case c.Swarm != nil:
		return ActionScale
	}
	return ActionStop
}

// Hook is a command drydock execs inside a container around the backup.
type Hook struct {
	Container ContainerRef
	Phase     string // "pre" or "post"
	Cmd       []string
	User      string
	Timeout   time.Duration
}

// Dump is a command whose stdout becomes a file of the app's snapshot.
type Dump struct {
	Container  ContainerRef
	Name       string // file name in the snapshot
	Cmd        []string
	User       string
	Timeout    time.Duration
	AllowEmpty bool // drydock.dump.allow-empty: no output is no error
}

// ImageSave is a container image to save into the app's snapshot.
type ImageSave struct {
	Container ContainerRef
	Image     string // as the container was created with, e.g. shop:dev
	ImageID   string
	When      SaveImage
}

// PlanOptions tune BuildPlan.
type PlanOptions struct {
	IncludeBinds bool
	HookTimeout  time.Duration // default for drydock.hook.timeout; 5m when 0
}

// target is a volume or bind mount being decided on.
type target struct {
	name       string
	bind       bool
	mountpoint string
	settings   Settings
	err        error
	uses       []use
}

type use struct {
	c *Container
	m Mount
}

// BuildPlan decides what to back up from inv. It never fails: problems are
// reported as skipped volumes, app errors and warnings, so that the plan
// can explain them.
func BuildPlan(inv *Inventory, opts PlanOptions) *Plan {
	if opts.HookTimeout <= 0 {
		opts.HookTimeout = 5 * time.Minute
	}
	g, warnings := NewGraph(inv.Containers)
	p := &Plan{graph: g, Warnings: warnings}
	for _, c := range inv.Containers {
		if c.SettingsErr != nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("container %s: %v", c.Name, c.SettingsErr))
		}
	}
	targets := collectTargets(inv, opts.IncludeBinds)
	var chosen []*target
	tiers := map[*target]Tier{}
	reasons := map[*target]string{}
	for _, t := range targets {
		ok, tier, why := decide(t)
		if !ok {
			p.Skipped = append(p.Skipped, Skip{Name: t.name, Bind: t.bind, Reason: why, Tier: tier, Malformed: t.malformed()})
			continue
		}
		chosen = append(chosen, t)
		tiers[t], reasons[t] = tier, why
	}
	for _, members := range groupTargets(g, chosen) {
		p.Apps = append(p.Apps, buildApp(g, members, tiers, reasons, opts))
	}
	slices.SortFunc(p.Apps, func(a, b *App) int { return strings.Compare(a.Name, b.Name) })
	return p
}

func collectTargets(inv *Inventory, binds bool) []*target {
	byKey := map[string]*target{}
	var out []*target
	for _, v := range inv.Volumes {
		t := &target{name: v.Name, mountpoint: v.Mountpoint, settings: v.Settings, err: v.SettingsErr}
		byKey["v:"+v.Name] = t
		out = append(out, t)
	}
	for _, c := range inv.Containers {
		for _, m := range c.Mounts {
			key := "v:" + m.Name
			if m.Bind {
				key = "b:" + m.Name
				if byKey[key] == nil && binds && c.Settings.Backup == True {
					t := &target{name: m.Name, bind: true, mountpoint: m.Source}
					byKey[key] = t
					out = append(out, t)
				}
			}
			if t := byKey[key]; t != nil {
				t.uses = append(t.uses, use{c, m})
			}
		}
	}
	return out
}

// malformed reports whether t or a container mounting it has labels that
// could not be read.
func (t *target) malformed() bool {
	return t.err != nil || slices.ContainsFunc(t.uses, func(u use) bool { return u.c.SettingsErr != nil })
}

// decide applies the selection rules documented in LABELS.md.
func decide(t *target) (bool, Tier, string) {
	if t.err != nil {
		return false, "", fmt.Sprintf("malformed labels: %v", t.err)
	}
	for _, u := range t.uses {
		if u.c.SettingsErr != nil {
			return false, "", fmt.Sprintf("container %s has malformed labels: %v", u.c.Name, u.c.SettingsErr)
		}
	}
	why := ""
	switch t.settings.Backup {
	case False:
		return false, "", LabelBackup + "=false on the volume"
	case True:
		why = LabelBackup + "=true on the volume"
	default:
		var yes, no []string
		for _, u := range t.uses {
			switch u.c.Settings.Backup {
			case True:
				yes = append(yes, u.c.Name)
			case False:
				no = append(no, u.c.Name)
			}
		}
		switch {
		case len(no) > 0:
			return false, "", fmt.Sprintf("%s=false on container %s", LabelBackup, strings.Join(no, ", "))
		case len(yes) == 0:
			return false, "", "not opted in (no " + LabelBackup + "=true on it or a container mounting it)"
		}
		why = fmt.Sprintf("%s=true on container %s", LabelBackup, strings.Join(yes, ", "))
	}
	tier := t.settings.Tier
	if tier == "" {
		for _, u := range t.uses {
			if u.c.Settings.Tier.rank() > tier.rank() {
				tier = u.c.Settings.Tier
			}
		}
	}
	if tier == "" {
		tier = TierData
	}
	if tier != TierData {
		return false, tier, fmt.Sprintf("%s=%s (only data is backed up)", LabelTier, tier)
	}
	return true, tier, why
}

// stops returns the containers that must stop (or pause) for t, with why,
// and those that keep running.
func stops(t *target) (stop, kept map[string]string) {
	stop, kept = map[string]string{}, map[string]string{}
	mode := func(m Mount) string {
		if m.RW {
			return "read-write"
		}
		return "read-only"
	}
	for _, u := range t.uses {
		s := u.c.Settings.Stop
		switch {
		case s == True && u.c.Settings.Pause:
			stop[u.c.ID] = fmt.Sprintf("%s=%s, mounts %s %s", LabelStop, StopPause, t.name, mode(u.m))
		case s == True:
			stop[u.c.ID] = fmt.Sprintf("%s=true, mounts %s %s", LabelStop, t.name, mode(u.m))
		case s == False:
			kept[u.c.ID] = fmt.Sprintf("%s=false, mounts %s %s", LabelStop, t.name, mode(u.m))
		case u.m.RW:
			stop[u.c.ID] = fmt.Sprintf("mounts %s read-write", t.name)
		default:
			kept[u.c.ID] = fmt.Sprintf("mounts %s read-only", t.name)
		}
		if why, ok := stop[u.c.ID]; ok && unscalable(u.c) {
			delete(stop, u.c.ID)
			kept[u.c.ID] = why + "; " + unscalableReason(u.c.Swarm)
		}
	}
	return stop, kept
}

// unscalable tells whether c is a task of a service Swarm cannot scale to
// 0 (global, or a job), which is then backed up live unless it pauses.
func unscalable(c *Container) bool {
	return c.Swarm != nil && c.Swarm.Err == nil && !c.Swarm.scalable() && !c.Settings.Pause
}

func unscalableReason(svc *Service) string {
	return fmt.Sprintf("task of %s Swarm service %s, which cannot be scaled to 0: backed up live, never stopped "+
		"(%s=false says so; %s=%s freezes it instead)", svc.Mode, svc.Name, LabelStop, LabelStop, StopPause)
}

// stopClosure returns the containers stopped or paused for the directly
// affected ones: those plus, transitively, the consumers of those that
// stop. A paused container keeps its namespaces and comes back as it was,
// so its consumers are left alone.
func stopClosure(g *Graph, direct []string) []string {
	var seeds, paused []string
	for _, id := range direct {
		if g.Container(id).Settings.Pause {
			paused = append(paused, id)
		} else {
			seeds = append(seeds, id)
		}
	}
	return slices.Sorted(maps.Keys(mergeKeys(toSet(g.WithConsumers(seeds, stoppable)), toSet(paused))))
}

// groupTargets unites targets sharing a group or a container to stop (the
// closure over consumers included), so that each container is stopped at
// most once per backup.
func groupTargets(g *Graph, ts []*target) [][]*target {
	parent := make([]int, len(ts))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	union := func(a, b int) { parent[find(a)] = find(b) }
	owner := map[string]int{}
	claim := func(key string, i int) {
		if j, ok := owner[key]; ok {
			union(i, j)
		} else {
			owner[key] = i
		}
	}
	for i, t := range ts {
		for _, grp := range targetGroups(t) {
			claim("group:"+grp, i)
		}
		stop, _ := stops(t)
		for _, id := range stopClosure(g, slices.Sorted(maps.Keys(stop))) {
			claim("container:"+id, i)
		}
	}
	sets := map[int][]*target{}
	for i, t := range ts {
		r := find(i)
		sets[r] = append(sets[r], t)
	}
	var out [][]*target
	for i := range ts {
		if s, ok := sets[i]; ok {
			out = append(out, s)
		}
	}
	return out
}

func stoppable(c *Container) bool { return c.Settings.Stop != False && !unscalable(c) }

// targetGroups returns the volume's own drydock.group, else those of the
// containers mounting it.
func targetGroups(t *target) []string {
	if t.settings.Group != "" {
		return []string{t.settings.Group}
	}
	set := map[string]bool{}
	for _, u := range t.uses {
		if u.c.Settings.Group != "" {
			set[u.c.Settings.Group] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// ComposeProjects are the compose projects of the app's containers.
func (a *App) ComposeProjects() []string {
	set := map[string]bool{}
	for _, c := range a.Containers {
		if c.Project != "" {
			set[c.Project] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
