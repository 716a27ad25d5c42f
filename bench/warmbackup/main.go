// Command warmbackup measures no-change backups the way the daemon runs
// them: one Repository kept open, refreshed before each run, so the key
// (scrypt), the index and the parent trees stay in memory. The first run
// opens the repository cold (like a CLI backup), the rest are warm.
//
//	warmbackup -repo DIR -runs 7 PATH...
//
// RESTIC_PASSWORD holds the password. One line per run, tab-separated:
// kind, total ms, then the phases (open; first lock check and lock file;
// index; snapshots; the walk; what was left of the lock protocol's wait
// after it; unlock), and the trees read from the backend and from the
// cache during the run. The snapshot itself is written after the wait.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/pprof"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
)

func main() {
	dir := flag.String("repo", "", "local repository directory")
	runs := flag.Int("runs", 7, "warm runs after the cold one")
	cache := flag.Int64("tree-cache", repo.DefaultTreeCache, "tree cache bytes (0 disables)")
	host := flag.String("host", "", "host recorded in snapshots (parent lookup); default this host")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the warm runs to this file")
	skip := flag.Bool("skip-if-unchanged", false, "write no snapshot when nothing changed (the daemon's skip_if_unchanged)")
	flag.Parse()
	if *dir == "" || flag.NArg() == 0 {
		log.Fatal("usage: warmbackup -repo DIR [-runs N] [-skip-if-unchanged] PATH...")
	}
	opts := backup.PathOptions{Host: *host, SkipIfUnchanged: *skip}
	if err := run(context.Background(), *dir, *runs, *cache, *prof, opts, flag.Args()); err != nil {
		log.Fatal(err)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

func run(ctx context.Context, dir string, runs int, cache int64, prof string, opts backup.PathOptions, targets []string) error {
	fmt.Println("kind\ttotal_ms\topen_ms\tlock_ms\tindex_ms\tsnaps_ms\twalk_ms\tlock_wait_ms\tunlock_ms\ttrees_loaded\ttrees_cached")
	var r *repo.Repository
	for i := 0; i <= runs; i++ {
		start := time.Now()
		kind := "warm"
		if i == 1 && prof != "" {
			f, err := os.Create(prof)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		if r == nil {
			kind = "cold"
			be, err := local.Open(ctx, dir)
			if err != nil {
				return err
			}
			if r, err = repo.Open(ctx, be, os.Getenv("RESTIC_PASSWORD"), repo.Options{TreeCache: cache}); err != nil {
				return err
			}
		}
		opened := time.Now()
		// As the daemon does: the lock is taken early (repo.LockMode.Early);
		// index, snapshots and the walk run in the protocol's wait, the
		// snapshot is written once the lock is confirmed.
		var indexed, listed, walked, confirmed time.Time
		var res backup.PathResult
		loads0, hits0 := r.TreeCounters()
		var locked, committed time.Time
		err := r.WithLock(ctx, repo.LockMode{Early: true}, func(lctx context.Context, l *repo.Lock) error {
			locked = time.Now()
			var err error
			if kind == "cold" {
				err = r.LoadIndex(lctx)
			} else {
				_, err = r.Refresh(lctx)
			}
			indexed = time.Now()
			var sns []repo.Snapshot
			if err == nil {
				sns, err = r.ReadableSnapshots(lctx)
				listed = time.Now()
			}
			if err == nil {
				o := opts
				o.Confirm = func(ctx context.Context) error {
					walked = time.Now()
					err := l.Confirmed(ctx)
					confirmed = time.Now()
					return err
				}
				res, err = backup.Paths(lctx, r, targets, sns, o)
			}
			if walked.IsZero() { // unchanged: nothing to confirm
				walked = time.Now()
				confirmed = walked
			}
			committed = time.Now() // what follows is the unlock
			return err
		})
		if err != nil {
			return err
		}
		total := time.Since(start)
		loads, hits := r.TreeCounters()
		if len(res.Warnings) > 0 {
			fmt.Fprintf(os.Stderr, "%d warnings, first: %v\n", len(res.Warnings), res.Warnings[0])
		}
		fmt.Printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", kind, ms(total), ms(opened.Sub(start)), ms(locked.Sub(opened)),
			ms(indexed.Sub(locked)), ms(listed.Sub(indexed)), ms(walked.Sub(listed)), ms(confirmed.Sub(walked)), ms(time.Since(committed)),
			loads-loads0, hits-hits0)
	}
	return nil
}
