package volume

import (
	"testing"

	"github.com/docker/docker/api/types/container"
)

func TestKilledOnStop(t *testing.T) {
	exited := func(code int, oom bool, signal string) container.InspectResponse {
		return container.InspectResponse{
			ContainerJSONBase: &container.ContainerJSONBase{State: &container.State{ExitCode: code, OOMKilled: oom}},
			Config:            &container.Config{StopSignal: signal},
		}
	}
	running := exited(0, false, "")
	running.State.Running = true
	cases := []struct {
		name string
		ins  container.InspectResponse
		want bool
	}{
		{"killed at the timeout", exited(137, false, ""), true},
		{"killed, SIGINT as stop signal", exited(137, false, "SIGINT"), true},
		{"clean exit", exited(0, false, ""), false},
		{"exit on SIGTERM by the default action", exited(143, false, ""), false},
		{"out of memory", exited(137, true, ""), false},
		{"stop signal is SIGKILL", exited(137, false, "SIGKILL"), false},
		{"stop signal is 9", exited(137, false, "9"), false},
		{"still running", running, false},
	}
	for _, tc := range cases {
		if got := killedOnStop(tc.ins); got != tc.want {
			t.Errorf("%s: killedOnStop = %v, want %v", tc.name, got, tc.want)
		}
	}
}
