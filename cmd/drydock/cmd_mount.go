package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	loc "github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/mount"
	"github.com/drydock-backup/drydock/pkg/repo"
)

type mountOptions struct {
	mount.Options
	timeTemplate string
}

// mountTreeCache bounds the decoded trees a mount keeps: directories are
// looked into again and again while someone browses.
const mountTreeCache = 32 << 20

func newMountCommand(g *globalOptions) *cobra.Command {
	var opts mountOptions
	cmd := &cobra.Command{
		Use:   "mount DIR",
		Short: "Show the repository's snapshots as a read-only file system at DIR",
		Long: `Mount shows the repository read-only through FUSE at DIR, an empty directory,
as restic's mount does, until SIGINT or SIGTERM (Ctrl-C) or an unmount
(fusermount3 -u DIR):

  snapshots/TIME   each snapshot by its time, and latest, a link to the newest
  hosts/HOST/TIME  the snapshots of each host, each with its latest
  tags/TAG/TIME    the snapshots with each tag, each with its latest
  ids/ID           each snapshot by its short ID

--host, --tag and --path choose the snapshots shown; the list is read again
when a new snapshot is written, at most once a minute. Directories are read
when first looked into and files blob by blob as they are read; every blob is
authenticated, and a damaged one fails the read with an I/O error (EIO)
rather than handing out wrong bytes.

--time-template sets how TIME is written (Go's time layout, default
RFC 3339) and --path-template (repeatable) replaces the layout, with %i and
%I for the short and full ID, %u the user, %h the host, %t each tag and %T
the time. restic's four templates are the default: "ids/%i", "snapshots/%T",
"hosts/%h/%T", "tags/%t/%T".

The repository is locked (shared) for as long as it is mounted, unless
--no-lock. Needs /dev/fuse and fusermount3 (Debian: apt-get install fuse3).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMount(cmd.Context(), opts, g, args[0])
		},
	}
	f := cmd.Flags()
	addSnapshotFilterFlags(f, &opts.Filter, "H")
	f.BoolVar(&opts.OwnerRoot, "owner-root", false, "show every file and directory as root's")
	f.BoolVar(&opts.AllowOther, "allow-other", false, "let other users than this one into the mount")
	f.BoolVar(&opts.NoDefaultPermissions, "no-default-permissions", false, "with --allow-other, let every user read every file, whatever its recorded mode and owner")
	f.StringVar(&opts.timeTemplate, "time-template", time.RFC3339, "Go time `layout` for the names of snapshot directories")
	f.StringVar(&opts.timeTemplate, "snapshot-template", time.RFC3339, "Go time `layout` for the names of snapshot directories")
	_ = f.MarkDeprecated("snapshot-template", "use --time-template")
	f.StringArrayVar(&opts.PathTemplates, "path-template", nil, "`template` of where snapshots appear (repeatable; replaces the default layout)")
	return cmd
}

func runMount(ctx context.Context, opts mountOptions, g *globalOptions, dir string) error {
	opts.TimeTemplate = opts.timeTemplate
	if err := mount.CheckTimeTemplate(opts.TimeTemplate); err != nil {
		return fmt.Errorf("--time-template: %w", err)
	}
	// Before the repository is opened: a wrong DIR is told at once.
	if err := mount.CheckMountpoint(dir); err != nil {
		return err
	}
	if err := checkMountOutsideRepo(g, dir); err != nil {
		return err
	}
	g.treeCache = mountTreeCache
	opts.Logger = g.logger()
	opts.Ready = func() {
		if !g.quiet {
			fmt.Fprintf(g.stdout, "Now serving the repository at %s\nWhen finished, quit with Ctrl-C here or unmount with fusermount3 -u %s\n", dir, dir)
		}
	}
	return g.withReadLock(ctx, false, func(ctx context.Context, r *repo.Repository) error {
		if err := r.LoadIndex(ctx); err != nil {
			return err
		}
		return mount.Serve(ctx, r, dir, opts.Options)
	})
}

// checkMountOutsideRepo refuses DIR inside a local repository, or the
// other way round: the mount would read its own files through itself
// and hang the kernel.
func checkMountOutsideRepo(g *globalOptions, dir string) error {
	repoDir, ok := loc.LocalDir(g.repoLocation())
	if !ok {
		return nil
	}
	r, d := resolved(repoDir), resolved(dir)
	if r == d || within(r, d) || within(d, r) {
		return fmt.Errorf("mountpoint %s and the repository %s overlap: the mount would read itself; mount elsewhere", dir, repoDir)
	}
	return nil
}

func resolved(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// within reports whether p is strictly below parent.
func within(parent, p string) bool {
	rel, err := filepath.Rel(parent, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../")
}
