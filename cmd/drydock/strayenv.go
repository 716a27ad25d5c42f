package main

import (
	"fmt"
	"slices"
	"strings"
)

// resticTuning are restic variables that choose no repository and no
// password: set, they do not mean the user wanted another repository.
var resticTuning = []string{
	"RESTIC_CACHE_DIR", "RESTIC_CACERT", "RESTIC_COMPRESSION", "RESTIC_FEATURES", "RESTIC_HOST",
	"RESTIC_KEY_HINT", "RESTIC_PACK_SIZE", "RESTIC_PROGRESS_FPS", "RESTIC_READ_CONCURRENCY", "RESTIC_TLS_CLIENT_CERT",
	// copy's source (sourceNames): they choose no destination.
	"RESTIC_FROM_REPOSITORY", "RESTIC_FROM_REPOSITORY_FILE", "RESTIC_FROM_PASSWORD", "RESTIC_FROM_PASSWORD_FILE",
	"RESTIC_FROM_PASSWORD_COMMAND", "RESTIC_FROM_KEY_HINT",
}

// warnStrayResticVars warns, when the default repository is about to be
// used, about RESTIC_ variables that drydock does not read and that may
// have meant another repository: a typo (RESTIC_REPOSITRY) must not
// silently send a backup to the default.
func (g *globalOptions) warnStrayResticVars(defaultRepo string) {
	if g.environ == nil {
		return
	}
	var stray []string
	for _, kv := range g.environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "RESTIC_") && !slices.Contains(resticTuning, name) {
			stray = append(stray, name)
		}
	}
	if len(stray) == 0 {
		return
	}
	slices.Sort(stray)
	verb := "is"
	if len(stray) > 1 {
		verb = "are"
	}
	fmt.Fprintf(g.stderr, "warning: using the default repository %s although %s %s set; drydock takes the repository from -r or RESTIC_REPOSITORY and the password from --password-file, --password-command or RESTIC_PASSWORD*\n",
		defaultRepo, strings.Join(stray, ", "), verb)
}
