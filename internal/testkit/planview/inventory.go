package planview

import (
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// SwarmInventory is a volume "v", to be backed up, mounted read-write by
// two running tasks (t1, t2) of service svc, each with labels and a
// healthcheck.
func SwarmInventory(svc *appplan.Service, labels map[string]string) *appplan.Inventory {
	inv := &appplan.Inventory{Volumes: []appplan.VolumeInfo{{Name: "v", Settings: appplan.Settings{Backup: appplan.True}}}, Services: []*appplan.Service{svc}}
	for _, id := range []string{"t1", "t2"} {
		ins := container.InspectResponse{
			ContainerJSONBase: &container.ContainerJSONBase{ID: id, Name: "/" + svc.Name + "." + id, State: &container.State{Running: true}},
			Config: &container.Config{Labels: labels, Healthcheck: &container.HealthConfig{
				Test: []string{"CMD", "true"}, Interval: 2 * time.Second, Retries: 5}},
		}
		c := appplan.ContainerFromInspect(ins, svc)
		c.Mounts = []appplan.Mount{{Name: "v", RW: true}}
		inv.Containers = append(inv.Containers, c)
	}
	return inv
}
