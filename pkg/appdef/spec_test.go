package appdef

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
)

const oldID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// saved is a container as `docker inspect` described it at backup time:
// web, of compose project shop, with a named volume (-v), a bind mount, an
// image VOLUME (anonymous), volumes_from db, two networks and a port.
func saved() container.InspectResponse {
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID: oldID, Name: "/shop-web-1", Image: "sha256:feed",
			State: &container.State{Running: true},
			HostConfig: &container.HostConfig{
				Binds:         []string{"shop_data:/data:rw", "/etc/shop:/config:ro,rprivate"},
				Mounts:        []mount.Mount{{Type: mount.TypeVolume, Source: "shop_cache", Target: "/cache"}, {Type: mount.TypeTmpfs, Target: "/tmp"}},
				VolumesFrom:   []string{"db0123456789"},
				NetworkMode:   "shop_front",
				Links:         []string{"/shop-db-1:/shop-web-1/database"},
				PortBindings:  nat.PortMap{"80/tcp": {{HostPort: "8080"}}},
				RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped},
				IpcMode:       "container:db0123456789",
			},
		},
		Config: &container.Config{
			Hostname: oldID[:12], Image: "shop:1", Cmd: []string{"serve"},
			Labels: map[string]string{"com.docker.compose.project": "shop", "drydock.verify": "true", "app": "web"},
		},
		Mounts: []container.MountPoint{
			{Type: mount.TypeVolume, Name: "shop_data", Destination: "/data", RW: true},
			{Type: mount.TypeBind, Source: "/etc/shop", Destination: "/config"},
			{Type: mount.TypeVolume, Name: "shop_cache", Destination: "/cache", RW: true},
			{Type: mount.TypeVolume, Name: "3f9e", Destination: "/var/lib/anon", RW: true},
			{Type: mount.TypeVolume, Name: "shop_dbvol", Destination: "/dbdata", RW: true}, // from volumes_from
		},
		NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
			"shop_front": {Aliases: []string{"web", oldID[:12]}, IPAddress: "172.20.0.3", EndpointID: "e1"},
			"shop_back":  {Aliases: []string{"web"}, IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: "10.9.0.9"}},
		}},
	}
}

func TestBuildRecreate(t *testing.T) {
	names := map[string]string{"shop-web-1": "shop-web-1", "shop-db-1": "shop-db-1", "db0123456789": "shop-db-1"}
	s, err := Build(saved(), SpecOptions{Mode: Recreate, Name: "shop-web-1", Image: "shop:1", Containers: names, Inherited: []string{"/dbdata"}})
	if err != nil {
		t.Fatal(err)
	}
	hc := s.HostConfig
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"hostname (Docker's, from the old ID)", s.Config.Hostname, ""},
		{"binds as they were", hc.Binds, []string{"shop_data:/data:rw", "/etc/shop:/config:ro,rprivate"}},
		{"volumes_from by name", hc.VolumesFrom, []string{"shop-db-1"}},
		{"ipc mode", string(hc.IpcMode), "container:shop-db-1"},
		{"links", hc.Links, []string{"shop-db-1:database"}},
		{"ports kept", len(hc.PortBindings), 1},
		{"restart policy kept", string(hc.RestartPolicy.Name), "unless-stopped"},
		{"network mode", string(hc.NetworkMode), "shop_front"},
		{"labels kept", s.Config.Labels["com.docker.compose.project"], "shop"},
	} {
		if !equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	// The anonymous volume is mounted by name, the inherited one is not.
	targets := []string{}
	for _, m := range hc.Mounts {
		targets = append(targets, m.Target+"="+m.Source)
	}
	if !slices.Equal(targets, []string{"/cache=shop_cache", "/tmp=", "/var/lib/anon=3f9e"}) {
		t.Errorf("mounts %v", targets)
	}
	ep := s.Networking.EndpointsConfig["shop_front"]
	if ep == nil || !slices.Equal(ep.Aliases, []string{"web"}) || ep.IPAddress != "" {
		t.Errorf("first network: %+v", s.Networking)
	}
	if len(s.Connect) != 1 || s.Connect[0].Network != "shop_back" || s.Connect[0].Settings.IPAMConfig.IPv4Address != "10.9.0.9" {
		t.Errorf("networks to connect: %+v", s.Connect)
	}
}

func TestBuildDrill(t *testing.T) {
	vols := map[string]string{"shop_data": "d-data", "shop_cache": "d-cache", "3f9e": "d-anon"}
	opts := SpecOptions{Mode: Drill, Name: "drydock-drill-x-shop-web-1", Image: "sha256:feed", Volumes: vols,
		Containers: map[string]string{}, Inherited: []string{"/dbdata"}, Labels: map[string]string{"drydock.drill": "x"}}
	s, err := Build(saved(), opts)
	if err != nil {
		t.Fatal(err)
	}
	hc := s.HostConfig
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"binds: volume copied, other bind read-only", hc.Binds, []string{"d-data:/data", "/etc/shop:/config:rprivate,ro"}},
		{"network", string(hc.NetworkMode), "none"},
		{"ports", len(hc.PortBindings), 0},
		{"links", len(hc.Links), 0},
		{"restart", string(hc.RestartPolicy.Name), "no"},
		{"volumes_from outside the drill", len(hc.VolumesFrom), 0},
		{"ipc mode outside the drill", string(hc.IpcMode), ""},
		{"compose label", s.Config.Labels["com.docker.compose.project"], ""},
		{"drydock label", s.Config.Labels["drydock.verify"], ""},
		{"own label", s.Config.Labels["app"], "web"},
		{"drill label", s.Config.Labels["drydock.drill"], "x"},
		{"networking", s.Networking == nil && len(s.Connect) == 0, true},
	} {
		if !equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if len(s.Warnings) != 2 {
		t.Errorf("warnings %q, want volumes_from and ipc mode", s.Warnings)
	}
	for _, m := range hc.Mounts {
		if m.Type == mount.TypeVolume && !strings.HasPrefix(m.Source, "d-") {
			t.Errorf("a drill mounts a real volume: %+v", m)
		}
	}

	// A bind the snapshot holds becomes its scratch volume.
	opts.Binds = map[string]string{"/etc/shop": "d-etc"}
	if s, err = Build(saved(), opts); err != nil || s.HostConfig.Binds[1] != "d-etc:/config:ro" {
		t.Errorf("bind from the snapshot: %v, %v", s.HostConfig.Binds, err)
	}
	// A volume without a scratch copy is refused, never mounted.
	delete(opts.Volumes, "shop_cache")
	if _, err := Build(saved(), opts); err == nil || !strings.Contains(err.Error(), "shop_cache") {
		t.Errorf("unmapped volume: %v", err)
	}
}

func TestBuildIncomplete(t *testing.T) {
	if _, err := Build(container.InspectResponse{Config: &container.Config{}}, SpecOptions{}); err == nil {
		t.Error("no error for a definition without host config")
	}
}

func equal(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// FuzzBuild: any saved inspect document (they come from the repository)
// gives a spec or an error, never a panic.
func FuzzBuild(f *testing.F) {
	seed, _ := json.Marshal(saved())
	f.Add(seed)
	f.Add([]byte(`{"Id":"x","HostConfig":{"Binds":["a"]},"Config":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c container.InspectResponse
		if json.Unmarshal(data, &c) != nil {
			return
		}
		for _, m := range []Mode{Recreate, Drill} {
			_, _ = Build(c, SpecOptions{Mode: m, Name: "n", Image: "i", Volumes: map[string]string{}, Containers: map[string]string{}})
		}
	})
}

// TestBuildJoined: a container that joins db's network namespace gets
// none of what Docker refuses there (db's hostname, the image's exposed
// ports), and joins db's counterpart: the recreated db, or db's copy in a
// drill, whose other containers stay on network none.
func TestBuildJoined(t *testing.T) {
	c := saved()
	c.HostConfig.NetworkMode = "container:db0123456789"
	c.HostConfig.DNS, c.HostConfig.ExtraHosts = []string{"10.0.0.53"}, []string{"db:10.0.0.2"}
	c.Config.Hostname, c.Config.Domainname = "db0123456789", "example.org"
	c.Config.ExposedPorts = nat.PortSet{"80/tcp": {}}
	for _, tc := range []struct {
		mode Mode
		want string
	}{{Recreate, "container:shop-db-1"}, {Drill, "container:drill-db"}} {
		names := map[string]string{"db0123456789": "shop-db-1"}
		if tc.mode == Drill {
			names = map[string]string{"db0123456789": "drill-db"}
		}
		vols := map[string]string{"shop_data": "s1", "shop_cache": "s2", "3f9e": "s3", "shop_dbvol": "s4"}
		s, err := Build(c, SpecOptions{Mode: tc.mode, Name: "x", Image: "shop:1", Containers: names, Volumes: vols})
		if err != nil {
			t.Fatal(err)
		}
		hc, cfg := s.HostConfig, s.Config
		if string(hc.NetworkMode) != tc.want || cfg.Hostname != "" || cfg.Domainname != "" || len(cfg.ExposedPorts) > 0 ||
			len(hc.PortBindings) > 0 || len(hc.DNS) > 0 || len(hc.ExtraHosts) > 0 || len(hc.Links) > 0 || s.Networking != nil || len(s.Connect) > 0 {
			t.Errorf("mode %d: network %s, hostname %q, domain %q, exposed %v, ports %v, dns %v, hosts %v, links %v, networking %v, connect %v",
				tc.mode, hc.NetworkMode, cfg.Hostname, cfg.Domainname, cfg.ExposedPorts, hc.PortBindings, hc.DNS, hc.ExtraHosts, hc.Links, s.Networking, s.Connect)
		}
	}
}
