package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/backend/cache"
)

type cacheOptions struct {
	cleanup bool
	maxAge  int // days
	noSize  bool
}

func newCacheCommand(g *globalOptions) *cobra.Command {
	var opts cacheOptions
	cmd := &cobra.Command{
		Use:   "cache [--cleanup [--max-age DAYS]]",
		Short: "List the local caches of remote repositories, or remove old ones",
		Long: `List the local caches of remote repositories: one directory per repository
ID under --cache-dir (default: $RESTIC_CACHE_DIR, else $XDG_CACHE_HOME/drydock
or ~/.cache/drydock), when a command last used it, and its size. With
--cleanup, the caches unused for more than --max-age days are removed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCache(cmd.Context(), opts, g, time.Now())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.cleanup, "cleanup", false, "remove the caches unused for more than --max-age days")
	f.IntVar(&opts.maxAge, "max-age", 30, "a cache unused for more than this many `days` is old")
	f.BoolVar(&opts.noSize, "no-size", false, "do not measure the caches (faster)")
	return cmd
}

func runCache(_ context.Context, opts cacheOptions, g *globalOptions, now time.Time) error {
	base, err := g.cacheBaseDir()
	if err != nil {
		return err
	}
	entries, err := cache.List(base, !opts.noSize && !opts.cleanup)
	if err != nil {
		return err
	}
	maxAge := time.Duration(opts.maxAge) * 24 * time.Hour
	if opts.cleanup {
		return cleanupCaches(g, base, cache.Old(entries, maxAge, now))
	}
	if g.json {
		return printCachesJSON(g.stdout, entries, maxAge, now)
	}
	if len(entries) == 0 {
		fmt.Fprintf(g.stdout, "no caches in %s\n", base)
		return nil
	}
	printCaches(g.stdout, entries, maxAge, now)
	fmt.Fprintf(g.stdout, "%d cache(s) in %s\n", len(entries), base)
	return nil
}

func cleanupCaches(g *globalOptions, base string, old []cache.Entry) error {
	for _, e := range old {
		if err := cache.Remove(e); err != nil {
			return err
		}
	}
	if !g.quiet {
		fmt.Fprintf(g.stdout, "removed %d old cache(s) from %s\n", len(old), base)
	}
	return nil
}

func printCaches(w io.Writer, entries []cache.Entry, maxAge time.Duration, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	measured := entries[0].Size >= 0
	header := "Repository ID\tLast used\tOld"
	if measured {
		header += "\tSize"
	}
	fmt.Fprintln(tw, header)
	for _, e := range entries {
		old := ""
		if now.Sub(e.LastUsed) > maxAge {
			old = "yes"
		}
		line := e.ID[:10] + "\t" + daysAgo(e.LastUsed, now) + "\t" + old
		if measured {
			line += "\t" + humanize.Bytes(uint64(e.Size), 1)
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// daysAgo says when t was, in whole days before now.
func daysAgo(t, now time.Time) string {
	switch d := int(now.Sub(t).Hours() / 24); d {
	case 0:
		return "today"
	case 1:
		return "yesterday"
	default:
		return fmt.Sprintf("%d days ago", d)
	}
}

type cacheJSON struct {
	ID       string    `json:"id"`
	Path     string    `json:"path"`
	LastUsed time.Time `json:"last_used"`
	Old      bool      `json:"old"`
	Size     *int64    `json:"size,omitempty"`
}

func printCachesJSON(w io.Writer, entries []cache.Entry, maxAge time.Duration, now time.Time) error {
	out := make([]cacheJSON, 0, len(entries))
	for _, e := range entries {
		c := cacheJSON{ID: e.ID, Path: e.Path, LastUsed: e.LastUsed, Old: now.Sub(e.LastUsed) > maxAge}
		if e.Size >= 0 {
			c.Size = &e.Size
		}
		out = append(out, c)
	}
	return json.NewEncoder(w).Encode(out)
}
