package appplan

import (
	"fmt"
	"strings"
)

// DepSource says where Docker recorded a dependency between two containers.
type DepSource string

// Dependency sources, in the order the planner reports them.
const (
	DepCompose     DepSource = "compose depends_on"
	DepLink        DepSource = "link"
	DepNetwork     DepSource = "network_mode container:"
	DepIPC         DepSource = "ipc container:"
	DepPID         DepSource = "pid container:"
	DepVolumesFrom DepSource = "volumes_from"
	DepLabel       DepSource = LabelDependsOn
)

// RawDep is a dependency as recorded on the consumer container, before the
// target is resolved to a container. Target is a compose service name for
// DepCompose, a container ID or name otherwise; DepLabel may be either.
type RawDep struct {
	Source DepSource
	Target string
}

func (d RawDep) String() string { return fmt.Sprintf("%s %s", d.Source, d.Target) }

// ComposeDep is one entry of com.docker.compose.depends_on.
type ComposeDep struct {
	Service   string
	Condition string // service_started, service_healthy, ...; "" when absent
	Restart   bool   // compose restarts the dependent when the service restarts
}

// ParseComposeDependsOn parses the com.docker.compose.depends_on label.
// Compose has written it as "svc", "svc:condition" and
// "svc:condition:restart", comma-separated; an empty value means none.
func ParseComposeDependsOn(v string) ([]ComposeDep, error) {
	var deps []ComposeDep
	for _, entry := range splitList(v) {
		parts := strings.Split(entry, ":")
		if len(parts) > 3 || strings.TrimSpace(parts[0]) == "" {
			return nil, fmt.Errorf("compose depends_on entry %q: want service[:condition[:restart]]", Clip(entry))
		}
		d := ComposeDep{Service: strings.TrimSpace(parts[0])}
		if len(parts) > 1 {
			d.Condition = strings.TrimSpace(parts[1])
		}
		if len(parts) > 2 {
			r := strings.TrimSpace(parts[2])
			switch r {
			case "true":
				d.Restart = true
			case "false", "":
			default:
				return nil, fmt.Errorf("compose depends_on entry %q: restart flag %q is not true or false", Clip(entry), Clip(r))
			}
		}
		deps = append(deps, d)
	}
	return deps, nil
}

// parseLink returns the provider name of a HostConfig.Links entry. Docker
// records links as "/provider:/consumer/alias"; the CLI form "provider:alias"
// is accepted too.
func parseLink(link string) string {
	name, _, _ := strings.Cut(link, ":")
	return strings.TrimPrefix(name, "/")
}

// parseVolumesFrom returns the container of a HostConfig.VolumesFrom entry
// ("name", "name:ro" or "name:rw").
func parseVolumesFrom(v string) string {
	name, mode, ok := strings.Cut(v, ":")
	if ok && mode != "ro" && mode != "rw" {
		// Not a mode suffix: keep the entry whole.
		return strings.TrimPrefix(v, "/")
	}
	return strings.TrimPrefix(name, "/")
}

// containerModeTarget returns X for a namespace mode "container:X".
func containerModeTarget(mode string) (string, bool) {
	x, ok := strings.CutPrefix(mode, "container:")
	if !ok || x == "" {
		return "", false
	}
	return strings.TrimPrefix(x, "/"), true
}
