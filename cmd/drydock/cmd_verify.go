package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/drill"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/verify"
)

type verifyOptions struct {
	scratch string
	filter  retention.Filter
	app     string
	boot    bool
	// bootTimeout bounds a drill's boot and checks.
	bootTimeout time.Duration
	savedImages bool
	volumes     volumesOptions // --state-dir, for a drill's journal
}

func newVerifyCommand(g *globalOptions) *cobra.Command {
	var opts verifyOptions
	cmd := &cobra.Command{
		Use:   "verify [SNAPSHOT]",
		Short: "Restore a snapshot into a scratch directory and compare it with the snapshot's content hashes",
		Long: `Prove that a snapshot (an ID, a prefix of one, or latest, the default) can be
restored: restore it into a new directory below --scratch, then compare every
restored entry with the snapshot. Files must have their recorded size, and
each range of a file that one of its data blobs covers must hash to that
blob's ID; types, symlink targets, mode bits, modification times and
hardlinks must be as recorded, and nothing else may be there. The restore is
removed afterwards, whatever happens: --scratch needs room for the snapshot.

--host, --path and --tag narrow the snapshots SNAPSHOT is looked up among,
as in restic: "drydock verify --tag volume=db" checks the latest snapshot of
that volume. Use "drydock check --read-data-subset" for the packs' integrity.

With --app APP, SNAPSHOT defaults to the app's latest snapshot (not the
repository's). With --app APP --boot, verify runs a restore drill instead:
it restores the app's volumes into scratch volumes, creates copies of its
containers on them (named drydock-drill-<id>-<name>, network none, no
published ports, no restart policy, other bind mounts read-only), starts them
in dependency order, and passes when every container with a healthcheck is
healthy and every drydock.verify command (a container label, read from the
snapshot's saved definition) exits 0 inside its copy, within --boot-timeout.
The real app is never stopped or touched. Everything the drill created is
removed afterwards, whatever happens; what a killed drill left is removed at
the next drydock start.

The exit code is 1 when the restore fails or differs from the snapshot, or
the drill fails.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := "latest"
			if len(args) == 1 {
				ref = args[0]
			}
			if opts.boot {
				if opts.app == "" {
					return errors.New("--boot needs --app APP: a drill boots an app")
				}
				return runDrill(cmd.Context(), g, opts, ref)
			}
			return g.withLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				return runVerify(ctx, r, opts, g, ref)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.scratch, "scratch", "", "directory to restore into, in a new subdirectory removed afterwards (default: the system's temporary directory)")
	addSnapshotFilterFlags(f, &opts.filter, "H")
	f.StringVar(&opts.app, "app", "", "verify the snapshot of this app (as drydock volumes ls names it)")
	f.BoolVar(&opts.boot, "boot", false, "with --app: run a restore drill, booting copies of the app's containers on scratch volumes")
	f.DurationVar(&opts.bootTimeout, "boot-timeout", drill.DefaultTimeout, "with --boot: longest time for the copies to boot and pass their checks")
	f.BoolVar(&opts.savedImages, "saved-images", false, "with --boot: boot the images the snapshot saved, even where this host has a rebuilt image under the same tag")
	f.StringVar(&opts.volumes.stateDir, "state-dir", "", "with --boot: directory of the drill journal (as drydock volumes --state-dir)")
	return cmd
}

// verifySummary is the --json output of verify.
type verifySummary struct {
	MessageType string `json:"message_type"`
	SnapshotID  string `json:"snapshot_id"`
	verify.Report
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func runVerify(ctx context.Context, r *repo.Repository, opts verifyOptions, g *globalOptions, ref string) error {
	// Unlike forget, which matches paths exactly as restic does (what it
	// selects decides what is removed), verify only reads: "/data/" may
	// find the snapshots of "/data".
	filter := opts.filter
	filter.Paths = make([]string, len(opts.filter.Paths))
	for i, p := range opts.filter.Paths {
		filter.Paths[i] = filepath.Clean(p)
	}
	sn, err := findSnapshot(ctx, r, g, ref, filter)
	if opts.app != "" {
		sn, err = appSnapshot(ctx, r, g, opts.app, ref)
	}
	if err != nil {
		return err
	}
	scratch := opts.scratch
	if scratch == "" {
		scratch = os.TempDir()
	}
	if !g.quiet && !g.json {
		fmt.Fprintf(g.stdout, "verifying snapshot %s of %v (restore below %s)\n", sn.ID.Str(), sn.Paths, scratch)
	}
	rep, err := verify.RestoreTest(ctx, r, *sn.Tree, scratch, verify.Options{Logger: g.logger()})
	if err != nil {
		err = fmt.Errorf("verify snapshot %s: %w", sn.ID.Str(), err)
	}
	if g.json {
		sum := verifySummary{MessageType: "summary", SnapshotID: sn.ID.String(), Report: rep, OK: err == nil}
		if err != nil {
			sum.Error = err.Error()
		}
		if jerr := json.NewEncoder(g.stdout).Encode(sum); jerr != nil {
			return errors.Join(err, jerr)
		}
		return err
	}
	for _, m := range rep.Mismatches {
		fmt.Fprintf(g.stderr, "mismatch: %v\n", m)
	}
	if n := rep.MismatchCount - len(rep.Mismatches); n > 0 {
		fmt.Fprintf(g.stderr, "... and %d more mismatches\n", n)
	}
	if err == nil && !g.quiet {
		fmt.Fprintf(g.stdout, "snapshot %s verified: %d files (%d bytes in %d blobs), %d dirs, %d symlinks, %d other entries match\n",
			sn.ID.Str(), rep.Files, rep.Bytes, rep.Blobs, rep.Dirs, rep.Symlinks, rep.Other)
	}
	return err
}
