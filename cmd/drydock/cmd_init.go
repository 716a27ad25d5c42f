package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/chunker"
	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/secret"
)

type initOptions struct {
	version uint
	kdf     crypto.Params // tests use cheap parameters; zero means the default
	// copyChunker takes the chunker polynomial of the source (from), so
	// that snapshots copied from it and later backups share data.
	copyChunker bool
	from        repoAccess
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
	cmd.Flags().BoolVar(&opts.copyChunker, "copy-chunker-params", false, "take the chunker polynomial of the source repository (--from-repo), so that deduplication carries over to what copy brings from it")
	addSourceFlags(cmd.Flags(), &opts.from, "to copy the chunker parameters from")
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
	pol, err := sourcePolynomial(ctx, opts, g, loc)
	if err != nil {
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
	r, err := repo.Init(ctx, be, pw.Reveal(), repo.InitOptions{Version: opts.version, KDF: opts.kdf, Polynomial: pol}, g.repoOptions())
	if err != nil {
		return fmt.Errorf("init %s: %w", loc, err)
	}
	if !g.quiet {
		fmt.Fprintf(g.stdout, "created repository %s at %s (version %d)\n", r.Config().ID[:10], loc, r.Config().Version)
		if pol != 0 {
			fmt.Fprintf(g.stdout, "with the chunker polynomial of the source repository, so that copies from it deduplicate with backups\n")
		}
	}
	return nil
}

// sourcePolynomial is the chunker polynomial of the source with
// --copy-chunker-params, else 0 (a random one). A source given without
// the flag (by RESTIC_FROM_REPOSITORY too) is refused, as restic does: it
// would be ignored.
func sourcePolynomial(ctx context.Context, opts initOptions, g *globalOptions, dst secret.URL) (chunker.Pol, error) {
	if opts.from.legacy != "" {
		_, err := g.sourceLocation(&opts.from)
		return 0, err
	}
	if !opts.copyChunker {
		if from, err := g.locationOf(&opts.from); err != nil || !from.IsZero() {
			return 0, errors.New("a source repository (--from-repo, --from-repository-file, RESTIC_FROM_REPOSITORY or RESTIC_FROM_REPOSITORY_FILE) is for --copy-chunker-params: add it, or leave the source out")
		}
		return 0, nil
	}
	from, err := g.sourceLocation(&opts.from)
	if err != nil {
		return 0, err
	}
	src, err := g.openSource(ctx, &opts.from, from, dst)
	if err != nil {
		return 0, err
	}
	defer src.Backend().Close()
	return src.Polynomial(), nil
}
