// Command consolebench measures the console against the targets of its
// issue (#29, Speed): the first page of a folder of 100,000 entries in a
// snapshot of 1,000,000 files (50 ms from a warm console, 1 s cold); the
// overview, hosts and snapshots pages with 10,000 snapshots (100 ms); a
// page's own weight (HTML, JS, CSS; 150 KB); and a 1 GiB file downloaded
// at least as fast as drydock dump writes it.
//
//	consolebench make -dir DIR            # the repository, once
//	consolebench measure -dir DIR -drydock BIN [-runs N] [-pages overview,hosts]
//
// make writes DIR/repo without touching a real file system tree: one
// snapshot of synthetic empty files (a folder "big" of 100,000 entries
// and 90 folders of 10,000), 10,000 snapshots of that tree by 20 hosts
// over a year, and one snapshot holding a 1 GiB pseudo-random file.
// measure starts `drydock ui` on the repository once per run: the first
// request after the start is the cold figure, the next ones the warm.
// Its state directory gets a history of 1,000 operations first (backups
// with the repository's figures, verifications), as a daemon keeps, for
// the overview's repositories to show; drydock ui has no jobs nor apps.
// RESTIC_PASSWORD is the repository's password.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: consolebench make|measure -dir DIR [flags]")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", "", "working directory (the repository is DIR/repo)")
	bin := fs.String("drydock", "drydock", "measure: the drydock binary")
	runs := fs.Int("runs", 5, "measure: console starts (cold figures), each with five warm requests per page")
	only := fs.String("pages", "", "measure: only these pages, comma-separated (tree, tree-api, overview, hosts, snapshots); no weights, no download")
	_ = fs.Parse(os.Args[2:])
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	pw := os.Getenv("RESTIC_PASSWORD")
	if pw == "" {
		log.Fatal("set RESTIC_PASSWORD")
	}
	ctx := context.Background()
	repoDir := filepath.Join(*dir, "repo")
	var err error
	switch os.Args[1] {
	case "make":
		err = makeRepository(ctx, repoDir, pw)
	case "measure":
		o := measureOptions{dir: *dir, repo: repoDir, drydock: *bin, runs: *runs}
		if *only != "" {
			o.pages = strings.Split(*only, ",")
		}
		err = measure(ctx, o)
	default:
		err = fmt.Errorf("unknown step %q: want make or measure", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}
