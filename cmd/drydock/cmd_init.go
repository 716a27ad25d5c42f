package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

type initOptions struct {
	version uint
	kdf     crypto.Params // tests use cheap parameters; zero means the default
}

func newInitCommand(g *globalOptions) *cobra.Command {
	var opts initOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a new repository",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInit(cmd.Context(), opts, g)
		},
	}
	cmd.Flags().UintVar(&opts.version, "repository-version", 2, "repository format version (1 or 2)")
	return cmd
}

// runInit checks everything it can before it creates the location, so that
// a refused init leaves no directory skeleton or bucket behind.
func runInit(ctx context.Context, opts initOptions, g *globalOptions) error {
	if opts.version != format.Version1 && opts.version != format.Version2 {
		return fmt.Errorf("--repository-version %d: want 1 or 2", opts.version)
	}
	if err := g.useConfiguredRepo(); err != nil {
		return err
	}
	loc := g.repoLocation()
	if loc.IsZero() {
		return fmt.Errorf("%w: no repository given: use -r/--repo or RESTIC_REPOSITORY", repo.ErrNoRepository)
	}
	if err := location.Check(loc); err != nil {
		return err
	}
	pw, err := g.password(ctx)
	if err != nil {
		return err
	}
	be, err := g.openBackend(ctx, loc, true)
	if err != nil {
		return err
	}
	defer be.Close()
	r, err := repo.Init(ctx, be, pw.Reveal(), repo.InitOptions{Version: opts.version, KDF: opts.kdf}, g.repoOptions())
	if err != nil {
		return fmt.Errorf("init %s: %w", loc, err)
	}
	if !g.quiet {
		fmt.Fprintf(g.stdout, "created repository %s at %s (version %d)\n", r.Config().ID[:10], loc, r.Config().Version)
	}
	return nil
}
