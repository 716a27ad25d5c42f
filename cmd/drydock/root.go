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
	return &globalOptions{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
}

// newRoot builds the command tree around g. Commands write to g's writers,
// never to os.Stdout directly, so that tests can run them in-process.
func newRoot(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:           "drydock",
		Short:         "Back up Docker volumes into restic-compatible repositories",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.SetIn(g.stdin)
	root.SetUsageTemplate(root.UsageTemplate() + exitCodeHelp)
	g.addFlags(root)

	debug := &cobra.Command{Use: "debug", Short: "Tools for looking inside drydock's algorithms"}
	debug.AddCommand(newDebugChunksCommand())
	bench := &cobra.Command{Use: "bench", Short: "Measure drydock's speed on this machine"}
	bench.AddCommand(newBenchChunkerCommand())
	root.AddCommand(debug, bench,
		&cobra.Command{Use: "version", Short: "Print drydock's version", Args: cobra.NoArgs, Run: func(*cobra.Command, []string) {
			fmt.Fprintf(g.stdout, "drydock %s compiled with %s on %s/%s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		}},
		newInitCommand(g),
		newBackupCommand(g),
		newSnapshotsCommand(g),
		newForgetCommand(g),
		newLsCommand(g),
		newFindCommand(g),
		newDiffCommand(g),
		newDumpCommand(g),
		newStatsCommand(g),
		newKeyCommand(g),
		newRestoreCommand(g),
		newCheckCommand(g),
		newPruneCommand(g),
		newUnlockCommand(g),
		newVerifyCommand(g),
		newVolumesCommand(g),
		newDaemonCommand(g),
		newConfigCommand(g),
		newStatusCommand(g),
		newCatCommand(g),
		newListCommand(g),
	)
	return root
}
