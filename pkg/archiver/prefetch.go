package archiver

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/pkg/pathmatch"
)

// prefetchWorkers bounds the directories read at once: metadata reads from
// a cold cache are latency-bound, so many in flight keep the disk busy.
const prefetchWorkers = 16

// Prefetch reads the directory entries and inodes under paths into the
// kernel's caches, many directories at once, until stop is called or the
// walk is done; it keeps nothing. A backup starts it before opening the
// repository, so that the key derivation and the lock's 200 ms wait hide
// the metadata reads of a cold cache, and stops it when the archiver
// starts walking for real (whatever is left is then read once, by the
// archiver). Errors are ignored: the archiver reports them. Measured on the
// bench dataset (20,000 files, caches dropped, 2 cores): the walk after the
// lock took 0.16-0.18 s instead of 0.25-0.31 s, the whole no-change backup
// 0.55-0.60 s instead of 0.59-0.65 s (prefetching competes with scrypt
// for the two cores).
func Prefetch(ctx context.Context, paths, excludes []string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	p := newPrefetcher(ctx, excludes)
	p.start(paths)
	return func() {
		cancel()
		p.wg.Wait()
	}
}

type prefetcher struct {
	ctx      context.Context
	excludes pathmatch.List
	sem      chan struct{}
	wg       sync.WaitGroup
	visit    func(path string) // tests: called for every path read
}

func newPrefetcher(ctx context.Context, excludes []string) *prefetcher {
	l, _ := pathmatch.Parse(excludes) // a malformed list fails the backup itself
	return &prefetcher{ctx: ctx, excludes: l, sem: make(chan struct{}, prefetchWorkers), visit: func(string) {}}
}

// start walks paths in the background; p.wg.Wait waits for the end.
func (p *prefetcher) start(paths []string) {
	p.wg.Go(func() {
		for _, path := range paths {
			p.spawn(path)
		}
	})
}

// spawn walks dir in a new goroutine if a worker is free, else in this one.
func (p *prefetcher) spawn(dir string) {
	select {
	case p.sem <- struct{}{}:
		p.wg.Go(func() {
			defer func() { <-p.sem }()
			p.walk(dir)
		})
	default:
		p.walk(dir)
	}
}

func (p *prefetcher) walk(dir string) {
	entries, _ := os.ReadDir(dir)
	var st unix.Stat_t
	for _, e := range entries {
		if p.ctx.Err() != nil {
			return
		}
		path := filepath.Join(dir, e.Name())
		if p.excludes.Match(path) {
			continue
		}
		_ = unix.Lstat(path, &st)
		p.visit(path)
		if e.IsDir() {
			p.spawn(path)
		}
	}
}
