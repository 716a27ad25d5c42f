package main

import (
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/spf13/cobra"
)

// newRootCommand builds the command tree for a process: stdin and the
// environment are the real ones, output goes to the given writers.
func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	return newRoot(newGlobals(stdout, stderr))
}

// newGlobals are the options of a process with the real stdin and
// environment.
func newGlobals(stdout, stderr io.Writer) *globalOptions {
	return &globalOptions{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, environ: os.Environ}
}

// newRoot builds the command tree around g. Commands write to g's writers,
// never to os.Stdout directly, so that tests can run them in-process.
func newRoot(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:           "drydock",
		Short:         "Back up Docker volumes into restic-compatible repositories",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Flags before the command are parsed as the root's: an unknown one
		// is named as such, instead of taken for a flag with a value that
		// hides the command ("drydock -x backup /etc" said unknown
		// command "/etc").
		TraverseChildren: true,
		Version:          version,
	}
	root.SetVersionTemplate(versionLine() + "\n")
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.SetIn(g.stdin)
	root.SetUsageTemplate(root.UsageTemplate() + exitCodeHelp)
	g.addFlags(root)
	// restic's -v; given before Version, so that cobra's --version keeps
	// no -v of its own.
	root.PersistentFlags().CountVarP(&g.verbose, "verbose", "v", "say more: -v what drydock does, -vv also why (debug)")

	debug := &cobra.Command{Use: "debug", Short: "Tools for looking inside drydock's algorithms"}
	debug.AddCommand(newDebugChunksCommand())
	bench := &cobra.Command{Use: "bench", Short: "Measure drydock's speed on this machine"}
	bench.AddCommand(newBenchChunkerCommand())
	root.AddCommand(debug, bench,
		&cobra.Command{Use: "version", Short: "Print drydock's version (also: drydock --version)", Args: cobra.NoArgs, Run: func(*cobra.Command, []string) {
			fmt.Fprintln(g.stdout, versionLine())
		}},
		newInitCommand(g),
		newBackupCommand(g),
		readsWithoutLock(newSnapshotsCommand(g)),
		readsWithoutLockOnDryRun(newForgetCommand(g)),
		readsWithoutLock(newLsCommand(g)),
		readsWithoutLock(newFindCommand(g)),
		readsWithoutLock(newDiffCommand(g)),
		readsWithoutLock(newDumpCommand(g)),
		readsWithoutLock(newStatsCommand(g)),
		newKeyCommand(g),
		readsWithoutLock(newRestoreCommand(g)),
		readsWithoutLock(newCheckCommand(g)),
		readsWithoutLockOnDryRun(newPruneCommand(g)),
		newUnlockCommand(g),
		newVerifyCommand(g),
		newVolumesCommand(g),
		newDaemonCommand(g),
		newConfigCommand(g),
		newStatusCommand(g),
		newUICommand(g),
		readsWithoutLock(newCatCommand(g)),
		readsWithoutLock(newListCommand(g)),
		newTagCommand(g),
		newRewriteCommand(g),
		newRepairCommand(g),
		newCopyCommand(g),
		readsWithoutLock(newMountCommand(g)),
		newCacheCommand(g),
	)
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		g.warnIgnoredNoLock(cmd)
		return g.checkTransfer()
	}
	explainArgErrors(root)
	return root
}

// versionLine is what version and --version print.
func versionLine() string {
	return fmt.Sprintf("drydock %s compiled with %s on %s/%s", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
