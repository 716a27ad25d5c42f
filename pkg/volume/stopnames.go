package volume

import "github.com/drydock-backup/drydock/pkg/appplan"

// stoppedNames names what the session stopped, froze or scaled to 0, in
// stop order, Swarm services by name.
func (s *session) stoppedNames() []string {
	var out []string
	for _, c := range s.stopped(appplan.ActionStop) {
		out = append(out, c.Name)
	}
	for _, c := range s.stopped(appplan.ActionPause) {
		out = append(out, c.Name)
	}
	for _, sv := range s.scaled() {
		out = append(out, sv.Name)
	}
	return out
}
