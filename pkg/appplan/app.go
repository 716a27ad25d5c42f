package appplan

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// buildApp assembles one App from targets that are backed up together:
// its volumes and name, then what stops and in which order, then what its
// containers add to the snapshot, then its limits.
func buildApp(g *Graph, targets []*target, tiers map[*target]Tier, reasons map[*target]string, opts PlanOptions) *App {
	a := &App{}
	u := a.addVolumes(targets, tiers, reasons)
	a.name(u.groups)
	a.planStops(g, u.direct, u.kept)
	members := sortedKeysByName(g, mergeKeys(u.mounting, toSet(a.stopIDs)))
	a.addMembers(g, members, opts)
	if err := uniqueDumps(a.Dumps); err != nil && a.Err == nil {
		a.Err = fmt.Errorf("app %s: %w", a.Name, err)
	}
	a.MaxDowntime, a.MaxDowntimeFrom = maxDowntime(g, targets, members)
	return a
}

// usage is what the containers mounting an app's volumes ask for.
type usage struct {
	groups   map[string]bool   // drydock.group names
	direct   map[string]string // container ID -> why it stops
	kept     map[string]string // container ID -> why it keeps running
	mounting map[string]bool   // container IDs mounting a volume
}

// addVolumes adds a Volume per target, sorted by name, and returns what
// their containers ask for.
func (a *App) addVolumes(targets []*target, tiers map[*target]Tier, reasons map[*target]string) usage {
	u := usage{groups: map[string]bool{}, direct: map[string]string{}, kept: map[string]string{}, mounting: map[string]bool{}}
	for _, t := range targets {
		v := Volume{Name: t.name, Bind: t.bind, Mountpoint: t.mountpoint, Tier: tiers[t], Reason: reasons[t]}
		if t.bind {
			v.Tags = []string{"bind=" + t.name}
		} else {
			v.Tags = []string{"volume=" + t.name}
		}
		for _, use := range t.uses {
			v.MountedBy = append(v.MountedBy, use.c.Name)
			u.mounting[use.c.ID] = true
		}
		slices.Sort(v.MountedBy)
		v.MountedBy = slices.Compact(v.MountedBy)
		a.Volumes = append(a.Volumes, v)
		for _, grp := range targetGroups(t) {
			u.groups[grp] = true
		}
		stop, keep := stops(t)
		for id, why := range stop {
			u.direct[id] = appendReason(u.direct[id], why)
		}
		for id, why := range keep {
			u.kept[id] = appendReason(u.kept[id], why)
		}
	}
	slices.SortFunc(a.Volumes, func(x, y Volume) int { return strings.Compare(x.Name, y.Name) })
	return u
}

// name sets the app's groups, their tags, and its name: the groups joined
// by "+", else its first volume.
func (a *App) name(groups map[string]bool) {
	a.Groups = slices.Sorted(maps.Keys(groups))
	for _, grp := range a.Groups {
		a.Tags = append(a.Tags, "group="+grp)
	}
	a.Name = strings.Join(a.Groups, "+")
	if a.Name == "" {
		a.Name = a.Volumes[0].Name
	}
}

// planStops decides what stops for the app (the containers stopping
// directly and their consumers), in which waves, and which of the
// mounting containers keep running.
func (a *App) planStops(g *Graph, direct, kept map[string]string) {
	a.stopIDs = stopClosure(g, slices.Sorted(maps.Keys(direct)))
	for _, id := range a.stopIDs {
		if c := g.Container(id); c.Swarm != nil && c.Swarm.Err != nil && !c.Settings.Pause && a.Err == nil {
			a.Err = fmt.Errorf("app %s: container %s is a task of Swarm service %s, which drydock cannot scale to 0 "+
				"(only a Swarm manager can; %v): nothing is stopped; run drydock on a manager node, or set %s=false or %s=%s on the service",
				a.Name, c.Name, c.Swarm.Name, c.Swarm.Err, LabelStop, LabelStop, StopPause)
		}
	}
	for id := range direct {
		delete(kept, id)
	}
	for _, id := range a.stopIDs {
		delete(kept, id)
	}
	a.Kept = decisions(g, slices.Sorted(maps.Keys(kept)), func(id string) string { return kept[id] }, func(*Container) Action { return "" })
	why := func(id string) string { return stopReason(g, id, direct, a.stopIDs) }
	stopWaves, err := g.Waves(a.stopIDs, StopOrder)
	if err != nil {
		a.Err = fmt.Errorf("app %s: %w", a.Name, err)
		a.Stop = decisions(g, a.stopIDs, why, actionOf)
		return
	}
	startWaves, _ := g.Waves(a.stopIDs, StartOrder)
	a.StopWaves, a.StartWaves = names(g, stopWaves), names(g, startWaves)
	a.Stop = decisions(g, slices.Concat(stopWaves...), why, actionOf)
}

// addMembers adds the app's containers (members, by ID) with what each
// puts into the snapshot: hooks, dumps, a saved image. A Swarm service
// counts once: hooks, dumps and its definition are taken in one of its
// running tasks, never in every replica.
func (a *App) addMembers(g *Graph, members []string, opts PlanOptions) {
	services := map[string]bool{}
	for _, id := range members {
		c := g.Container(id)
		if c.Swarm != nil {
			if services[c.Swarm.ID] {
				continue
			}
			services[c.Swarm.ID] = true
		}
		a.Containers = append(a.Containers, c.Ref())
		a.Hooks = append(a.Hooks, hooksOf(c, opts)...)
		if d, ok := dumpOf(c, opts); ok {
			a.Dumps = append(a.Dumps, d)
		}
		if c.Settings.SaveImage != SaveImageNever {
			a.Images = append(a.Images, ImageSave{Container: c.Ref(), Image: c.Image, ImageID: c.ImageID, When: c.Settings.SaveImage})
		}
	}
}

// maxDowntime returns the smallest drydock.max-downtime of the app's
// volumes and containers, and where it is set: the strictest member wins,
// since stopping the app stops all of them.
func maxDowntime(g *Graph, targets []*target, containers []string) (time.Duration, string) {
	var limit time.Duration
	from := ""
	limitBy := func(d time.Duration, why string) {
		if d > 0 && (limit == 0 || d < limit) {
			limit, from = d, why
		}
	}
	consider := func(d time.Duration, what string) {
		limitBy(d, fmt.Sprintf("%s=%s on %s", LabelMaxDowntime, d, what))
	}
	for _, t := range targets {
		kind := "volume "
		if t.bind {
			kind = "bind mount "
		}
		consider(t.settings.MaxDowntime, kind+t.name)
	}
	for _, id := range containers {
		c := g.Container(id)
		consider(c.Settings.MaxDowntime, "container "+c.Name)
		if c.Swarm != nil && c.Settings.Pause && c.healthBudget > 0 {
			// Frozen longer, its healthcheck fails and Swarm replaces it.
			limitBy(c.healthBudget, fmt.Sprintf("%s, the healthcheck budget (interval x retries) of paused Swarm task %s", c.healthBudget, c.Name))
		}
	}
	return limit, from
}

func appendReason(have, add string) string {
	if have == "" {
		return add
	}
	return have + "; " + add
}

// stopReason explains why a container in the stop set stops: it mounts a
// volume, or it depends on one that stops.
func stopReason(g *Graph, id string, direct map[string]string, set []string) string {
	if why, ok := direct[id]; ok {
		return why
	}
	in := toSet(set)
	var why []string
	for _, p := range g.Providers(id) {
		if !in[p] {
			continue
		}
		for _, d := range g.Why(id, p) {
			why = append(why, fmt.Sprintf("depends on %s (%s)", g.name(p), d.Source))
		}
	}
	return strings.Join(why, "; ")
}

func decisions(g *Graph, ids []string, reason func(string) string, action func(*Container) Action) []Decision {
	out := make([]Decision, 0, len(ids))
	for _, id := range ids {
		c := g.Container(id)
		out = append(out, Decision{Container: c.Ref(), Running: c.Running, Healthcheck: c.Healthcheck, Reason: reason(id), Action: action(c)})
	}
	return out
}

func names(g *Graph, waves [][]string) [][]string {
	out := make([][]string, len(waves))
	for i, w := range waves {
		for _, id := range w {
			out[i] = append(out[i], g.name(id))
		}
		slices.Sort(out[i])
	}
	return out
}

func mergeKeys(a, b map[string]bool) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

func sortedKeysByName(g *Graph, set map[string]bool) []string {
	ids := slices.Sorted(maps.Keys(set))
	slices.SortStableFunc(ids, func(x, y string) int { return strings.Compare(g.name(x), g.name(y)) })
	return ids
}

// hookTimeout is the container's drydock.hook.timeout, else the default.
func hookTimeout(c *Container, opts PlanOptions) time.Duration {
	if c.Settings.HookTimeout > 0 {
		return c.Settings.HookTimeout
	}
	return opts.HookTimeout
}

// dumpOf returns the container's drydock.dump, if it has one.
func dumpOf(c *Container, opts PlanOptions) (Dump, bool) {
	s := c.Settings
	if s.Dump == nil {
		return Dump{}, false
	}
	name := s.DumpName
	if name == "" {
		name = c.Name + ".dump"
		if c.Swarm != nil { // task names change with every task
			name = c.Swarm.Name + ".dump"
		}
	}
	return Dump{Container: c.Ref(), Name: name, Cmd: s.Dump, User: s.HookUser, Timeout: hookTimeout(c, opts), AllowEmpty: s.DumpEmptyOK == True}, true
}

// uniqueDumps rejects two dumps that would be stored at one path.
func uniqueDumps(ds []Dump) error {
	seen := map[string]string{}
	for _, d := range ds {
		if other, ok := seen[d.Name]; ok {
			return fmt.Errorf("containers %s and %s both dump to %q: set %s on one", other, d.Container.Name, d.Name, LabelDumpName)
		}
		seen[d.Name] = d.Container.Name
	}
	return nil
}

func hooksOf(c *Container, opts PlanOptions) []Hook {
	s := c.Settings
	timeout := hookTimeout(c, opts)
	var hs []Hook
	if s.HookPre != nil {
		hs = append(hs, Hook{Container: c.Ref(), Phase: "pre", Cmd: s.HookPre, User: s.HookUser, Timeout: timeout})
	}
	if s.HookPost != nil {
		hs = append(hs, Hook{Container: c.Ref(), Phase: "post", Cmd: s.HookPost, User: s.HookUser, Timeout: timeout})
	}
	return hs
}
