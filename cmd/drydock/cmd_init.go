package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
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

func runInit(ctx context.Context, opts initOptions, g *globalOptions) error {
	location := g.repoLocation()
	be, err := g.openBackend(ctx, location, true)
	if err != nil {
		return err
	}
	defer be.Close()
	pw, err := g.password()
	if err != nil {
		return err
	}
	if pw == "" {
		return fmt.Errorf("refusing an empty password")
	}
	r, err := repo.Init(ctx, be, pw, repo.InitOptions{Version: opts.version, KDF: opts.kdf}, g.repoOptions())
	if err != nil {
		return fmt.Errorf("init %s: %w", location, err)
	}
	if !g.quiet {
		fmt.Fprintf(g.stdout, "created repository %s at %s (version %d)\n", r.Config().ID[:10], location, r.Config().Version)
	}
	return nil
}
