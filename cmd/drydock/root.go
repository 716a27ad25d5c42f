package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newRootCommand builds the command tree. Commands write to the given
// writers, never to os.Stdout directly, so that tests can run them.
func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "drydock",
		Short:         "Back up Docker volumes into restic-compatible repositories",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetUsageTemplate(root.UsageTemplate() + exitCodeHelp)

	debug := &cobra.Command{Use: "debug", Short: "Tools for looking inside drydock's algorithms"}
	debug.AddCommand(newDebugChunksCommand())
	bench := &cobra.Command{Use: "bench", Short: "Measure drydock's speed on this machine"}
	bench.AddCommand(newBenchChunkerCommand())
	root.AddCommand(debug, bench)
	return root
}
