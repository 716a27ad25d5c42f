package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/chunker"
)

type debugChunksOptions struct {
	polynomial string
}

func newDebugChunksCommand() *cobra.Command {
	var opts debugChunksOptions
	cmd := &cobra.Command{
		Use:   "chunks --polynomial HEX [FILE|-]",
		Short: "Print the chunk boundaries restic would cut FILE (or stdin) into",
		Long: `Print one line per chunk: "<start> <length> <cut>", start and length in
decimal bytes, cut as the 14-digit lowercase hex Rabin fingerprint at the cut.
The polynomial is a repository's chunker_polynomial (see "restic cat config").`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "-"
			if len(args) == 1 {
				name = args[0]
			}
			return runDebugChunks(opts, name, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&opts.polynomial, "polynomial", "", "chunker polynomial in hex (required)")
	_ = cmd.MarkFlagRequired("polynomial")
	return cmd
}

func runDebugChunks(opts debugChunksOptions, name string, stdin io.Reader, stdout io.Writer) error {
	pol, err := chunker.ParsePol(opts.polynomial)
	if err != nil {
		return err
	}
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	c, err := chunker.NewChunker(in, pol, chunker.Params{}, nil)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	for {
		ch, err := c.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("chunk %s: %w", name, err)
		}
		fmt.Fprintf(w, "%d %d %014x\n", ch.Start, ch.Length, ch.Cut)
	}
	return w.Flush()
}
