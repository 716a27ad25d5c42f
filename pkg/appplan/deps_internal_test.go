package appplan

import (
	"reflect"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
)

func TestContainerFromInspectDeps(t *testing.T) {
	ins := container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID:    "c1",
			Name:  "/web",
			State: &container.State{Running: true},
			HostConfig: &container.HostConfig{
				Links:       []string{"/db:/web/db", "cache:c"},
				NetworkMode: "container:0123456789ab",
				IpcMode:     "container:ipcprov",
				PidMode:     "container:/pidprov",
				VolumesFrom: []string{"data:ro", "conf:rw", "plain"},
			},
		},
		Config: &container.Config{
			Labels: map[string]string{
				ComposeProject: "p", ComposeService: "web", ComposeContainerNumber: "2",
				ComposeDependsOn: "db:service_healthy:false,queue",
				LabelDependsOn:   "extra",
			},
			Healthcheck: &container.HealthConfig{Test: []string{"CMD", "true"}},
		},
		Mounts: []container.MountPoint{
			{Type: mount.TypeVolume, Name: "v", Source: "/var/lib/docker/volumes/v/_data", Destination: "/data", RW: true},
			{Type: mount.TypeBind, Source: "/srv", Destination: "/srv", RW: false},
			{Type: mount.TypeTmpfs, Destination: "/tmp"},
		},
	}
	c := ContainerFromInspect(ins, nil)
	want := []RawDep{
		{DepCompose, "db"}, {DepCompose, "queue"},
		{DepLink, "db"}, {DepLink, "cache"},
		{DepNetwork, "0123456789ab"}, {DepIPC, "ipcprov"}, {DepPID, "pidprov"},
		{DepVolumesFrom, "data"}, {DepVolumesFrom, "conf"}, {DepVolumesFrom, "plain"},
		{DepLabel, "extra"},
	}
	if !reflect.DeepEqual(c.Deps, want) {
		t.Errorf("deps\n%v\nwant\n%v", c.Deps, want)
	}
	if c.Name != "web" || c.Project != "p" || c.Service != "web" || c.Number != "2" || !c.Running || !c.Healthcheck {
		t.Errorf("container %+v", c)
	}
	wantMounts := []Mount{
		{Name: "v", Source: "/var/lib/docker/volumes/v/_data", Destination: "/data", RW: true},
		{Bind: true, Name: "/srv", Source: "/srv", Destination: "/srv"},
	}
	if !reflect.DeepEqual(c.Mounts, wantMounts) {
		t.Errorf("mounts %+v", c.Mounts)
	}
}

func TestContainerFromInspectBadComposeLabel(t *testing.T) {
	ins := container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: "c1", Name: "/x"},
		Config:            &container.Config{Labels: map[string]string{ComposeDependsOn: "a:b:c:d"}},
	}
	if c := ContainerFromInspect(ins, nil); c.SettingsErr == nil {
		t.Error("malformed depends_on label accepted")
	}
}

func TestContainerModes(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"container:abc", "abc", true},
		{"container:/abc", "abc", true},
		{"container:", "", false},
		{"host", "", false},
		{"none", "", false},
		{"shareable", "", false},
	}
	for _, tt := range tests {
		got, ok := containerModeTarget(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("containerModeTarget(%q) = %q, %v", tt.in, got, ok)
		}
	}
}
