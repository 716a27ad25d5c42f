package appplan

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Labels Docker sets on the containers of Swarm tasks.
const (
	SwarmServiceID   = "com.docker.swarm.service.id"
	SwarmServiceName = "com.docker.swarm.service.name"
	SwarmTaskID      = "com.docker.swarm.task.id"
)

// Service is a Swarm service that has running tasks on this node.
type Service struct {
	ID   string
	Name string
	// Global is true for a service that runs one task per node: Swarm
	// cannot scale it to 0, so drydock never stops its tasks.
	Global bool
	// Mode is "replicated", "global", "replicated-job" or "global-job".
	Mode     string
	Replicas uint64 // desired replicas of a replicated service
	// Labels are the service's own (docker service create --label), not
	// its containers' (--container-label).
	Labels map[string]string
	// Err is why the service could not be inspected: on a node that is
	// not a Swarm manager, for instance. drydock cannot scale it then.
	Err error
}

// scalable tells whether drydock can scale s to 0 and back.
func (s *Service) scalable() bool { return s.Err == nil && s.Mode == "replicated" }

// mergeLabels combines a task's labels with its service's. drydock labels
// may sit on either; one set on both with different values is an error
// (neither wins: which one the user meant cannot be known). drydock's own
// scaled-from marker is not a setting and is left out.
func mergeLabels(svc *Service, own map[string]string) (map[string]string, error) {
	merged := maps.Clone(own)
	if merged == nil {
		merged = map[string]string{}
	}
	var errs []string
	for _, k := range slices.Sorted(maps.Keys(svc.Labels)) {
		if k == LabelScaledFrom || !strings.HasPrefix(strings.ToLower(k), "drydock.") {
			continue
		}
		v := svc.Labels[k]
		if have, ok := merged[k]; ok && have != v {
			errs = append(errs, fmt.Sprintf("label %s is %q on Swarm service %s and %q on its container: set it in one place", k, Clip(v), svc.Name, Clip(have)))
			continue
		}
		merged[k] = v
	}
	if len(errs) > 0 {
		return merged, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return merged, nil
}

// healthBudget is how long a container may fail its healthcheck before
// Docker calls it unhealthy: interval x retries (Docker's defaults 30s
// and 3 when unset).
func healthBudget(h *container.HealthConfig) time.Duration {
	interval, retries := h.Interval, h.Retries
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if retries <= 0 {
		retries = 3
	}
	return interval * time.Duration(retries)
}
