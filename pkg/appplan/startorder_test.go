package appplan_test

import (
	"reflect"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// saved builds the inspect of a container as an app's definition holds it.
func saved(name string, labels map[string]string, hc container.HostConfig) container.InspectResponse {
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: "id-" + name, Name: "/" + name, HostConfig: &hc},
		Config:            &container.Config{Labels: labels},
	}
}

func TestStartWaves(t *testing.T) {
	compose := func(svc, deps string) map[string]string {
		l := map[string]string{appplan.ComposeProject: "p", appplan.ComposeService: svc}
		if deps != "" {
			l[appplan.ComposeDependsOn] = deps
		}
		return l
	}
	for _, tc := range []struct {
		name     string
		ins      []container.InspectResponse
		want     [][]string
		warnings int
		err      bool
	}{
		{"compose depends_on", []container.InspectResponse{
			saved("p-web-1", compose("web", "api:service_started:false"), container.HostConfig{}),
			saved("p-api-1", compose("api", "db:service_healthy:false"), container.HostConfig{}),
			saved("p-db-1", compose("db", ""), container.HostConfig{}),
		}, [][]string{{"p-db-1"}, {"p-api-1"}, {"p-web-1"}}, 0, false},
		{"volumes_from by ID, network of another container", []container.InspectResponse{
			saved("a", nil, container.HostConfig{VolumesFrom: []string{"id-b"}}),
			saved("b", nil, container.HostConfig{}),
			saved("c", nil, container.HostConfig{NetworkMode: "container:b"}),
		}, [][]string{{"b"}, {"a", "c"}}, 0, false},
		{"dependency outside the definition", []container.InspectResponse{
			saved("a", map[string]string{appplan.LabelDependsOn: "gone"}, container.HostConfig{}),
		}, [][]string{{"a"}}, 1, false},
		{"cycle", []container.InspectResponse{
			saved("a", map[string]string{appplan.LabelDependsOn: "b"}, container.HostConfig{}),
			saved("b", map[string]string{appplan.LabelDependsOn: "a"}, container.HostConfig{}),
		}, nil, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			waves, warnings, err := appplan.StartWaves(tc.ins)
			if (err != nil) != tc.err || len(warnings) != tc.warnings {
				t.Fatalf("err %v, warnings %v", err, warnings)
			}
			if !tc.err && !reflect.DeepEqual(waves, tc.want) {
				t.Errorf("waves %v, want %v", waves, tc.want)
			}
		})
	}
}
