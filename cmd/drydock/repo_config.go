package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// repoConfigOptions let a repository command use a repository of the
// daemon's configuration (its location, password file, credentials and
// options) instead of restic's flags and variables: inside the agent
// container, `drydock snapshots` then needs no -e.
type repoConfigOptions struct {
	configFile string
	repoName   string
	applied    bool
	// stateDir is the configuration's state_dir once a repository was
	// taken from it: the daemon's, whose lock owners this command joins.
	stateDir string
}

func (o *repoConfigOptions) addFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&o.configFile, "config", "", "the daemon's configuration file, whose repository commands use when no -r/$RESTIC_REPOSITORY is given (default: $DRYDOCK_CONFIG, else "+defaultConfigFile+" if it exists)")
	f.StringVar(&o.repoName, "repo-name", "", "use repository `NAME` of the daemon's configuration (default: its only one)")
}

// useConfiguredRepo sets the repository flags from the configuration, once:
//  1. --repo-name: that repository of the configuration; with -r it is an
//     error, $RESTIC_REPOSITORY and $RESTIC_PASSWORD* are ignored;
//  2. -r or $RESTIC_REPOSITORY: as restic, the configuration is not read;
//  3. a configuration (--config, $DRYDOCK_CONFIG, else the default file if
//     it exists): its only repository;
//  4. else nothing here: drydock's default repository, if any.
func (g *globalOptions) useConfiguredRepo() error {
	o := &g.repoConfig
	if o.applied {
		return nil
	}
	o.applied = true
	if o.repoName != "" && !g.repo.IsZero() {
		return fmt.Errorf("both -r %s and --repo-name %s name a repository: give one", g.repo, o.repoName)
	}
	if o.repoName == "" && !g.repoLocation().IsZero() {
		return nil
	}
	cfg, err := g.repoConfigFile()
	if err != nil || cfg == nil {
		return err
	}
	name, rc, err := pickRepository(cfg, o.repoName)
	if err != nil {
		return err
	}
	if g.passwordFile != "" {
		return fmt.Errorf("--password-file %s: repository %s of %s has its own password file; drop --password-file, or give -r with it", g.passwordFile, name, cfgName(cfg))
	}
	if g.passwordCmd != "" {
		return fmt.Errorf("--password-command: repository %s of %s has its own password file; drop --password-command, or give -r with it", name, cfgName(cfg))
	}
	g.applyRepository(rc)
	o.stateDir = cfg.StateDir
	return nil
}

// repoConfigFile loads the configuration to take a repository from: the
// flag, $DRYDOCK_CONFIG, the default file if it exists, or, for
// --repo-name only, the embedded default. nil when there is none.
func (g *globalOptions) repoConfigFile() (*config.Config, error) {
	o := &g.repoConfig
	file := configFile(o.configFile, g.getenv)
	if file == "" {
		if o.repoName == "" {
			return nil, nil
		}
		return config.Default(g.getenv)
	}
	cfg, err := config.Load(file, g.getenv)
	if err != nil {
		return nil, fmt.Errorf("repository from the configuration %s: %w", file, err)
	}
	return cfg, nil
}

// pickRepository returns repository name of cfg, or its only one.
func pickRepository(cfg *config.Config, name string) (string, *config.Repository, error) {
	names := slices.Sorted(maps.Keys(cfg.Repositories))
	if name != "" {
		rc := cfg.Repositories[name]
		if rc == nil {
			return "", nil, fmt.Errorf("--repo-name %s: %s has no such repository (it has: %s)", name, cfgName(cfg), strings.Join(names, ", "))
		}
		return name, rc, nil
	}
	switch len(names) {
	case 1:
		return names[0], cfg.Repositories[names[0]], nil
	case 0:
		return "", nil, errors.New(cfgName(cfg) + " has no repository: give -r or --repo-name")
	}
	return "", nil, fmt.Errorf("%s has %d repositories (%s): choose one with --repo-name, or give -r", cfgName(cfg), len(names), strings.Join(names, ", "))
}

// applyRepository makes rc the repository of this command: its location,
// password file and credentials; its options unless -o sets them.
func (g *globalOptions) applyRepository(rc *config.Repository) {
	g.repo, g.passwordFile, g.passwordFromConfig = rc.Location, rc.PasswordFile, true
	g.getenv = rc.Env(g.getenv)
	var opts []string
	for _, k := range slices.Sorted(maps.Keys(rc.Options)) {
		opts = append(opts, k+"="+rc.Options[k])
	}
	g.options = append(opts, g.options...) // later -o keys win
	if t := rc.REST; t != nil {
		if len(g.caCerts) == 0 {
			g.caCerts = t.CACert
		}
		if g.clientCert == "" {
			g.clientCert = t.TLSClientCert
		}
	}
	if rc.Compression != "" && g.compression == 0 {
		_ = g.compression.Set(rc.Compression) // validated by config.Load
	}
	if g.retryLock == 0 {
		g.retryLock = time.Duration(rc.LockWait)
	}
	if rc.RetryMax > 0 {
		g.retryMax = time.Duration(rc.RetryMax)
	}
}

// daemonDefaultRepo returns the repository of the daemon's embedded default
// configuration if the daemon created it: a CLI in a container started
// without any configuration finds the daemon's backups.
func daemonDefaultRepo(g *globalOptions) (repoPath, passwordFile string) {
	cfg, err := config.Default(g.getenv)
	if err != nil {
		return "", ""
	}
	for _, rc := range cfg.Repositories {
		// The default configuration's repositories are local directories.
		if _, err := os.Stat(filepath.Join(rc.Location.Reveal(), "config")); err == nil {
			return rc.Location.Reveal(), rc.PasswordFile
		}
	}
	return "", ""
}

func cfgName(cfg *config.Config) string {
	if cfg.File == "" {
		return "the embedded default configuration"
	}
	return cfg.File
}
