package volume

import "slices"

// stopNames names what the stop of a is about to stop, freeze or scale:
// its running containers, and its Swarm services by name.
func (a *App) stopNames() []string {
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

// stoppedNames names what the session stopped, froze or scaled to 0, in
// stop order, Swarm services by name.
func (s *session) stoppedNames() []string {
	var out []string
	for _, c := range s.stopped(ActionStop) {
		out = append(out, c.Name)
	}
	for _, c := range s.stopped(ActionPause) {
		out = append(out, c.Name)
	}
	for _, sv := range s.scaled() {
		out = append(out, sv.Name)
	}
	return out
}
