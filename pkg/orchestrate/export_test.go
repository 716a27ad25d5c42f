package orchestrate

// RepositoryHandles returns how many handles of repository name the
// daemon opened and closed, for the external tests.
func RepositoryHandles(d *Daemon, name string) (opens, closes int) {
	return d.pool.counts(name)
}
