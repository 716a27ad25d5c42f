// Command drydock backs up Docker hosts into restic-compatible repositories.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile := startProfile()
	err := newRootCommand(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stopProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "drydock:", err)
	}
	os.Exit(exitCode(ctx, err))
}
