package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// startProfile writes a CPU profile to $DRYDOCK_CPUPROFILE and an execution
// trace (go tool trace: where wall time goes, what waits on what) to
// $DRYDOCK_TRACE if they are set: a way to see where a slow command spends
// its time on a user's machine. $DRYDOCK_MEMPROFILE gets the allocation
// profile at the end (go tool pprof -sample_index=alloc_space: what churns
// the heap, which is what drives peak memory). The returned function stops
// all of them.
func startProfile() func() {
	var stops []func()
	start := func(env string, begin func(*os.File) error, end func()) {
		path := os.Getenv(env)
		if path == "" {
			return
		}
		f, err := os.Create(path)
		if err == nil {
			err = begin(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "drydock: %s: %v\n", env, err)
			return
		}
		stops = append(stops, func() { end(); f.Close() })
	}
	start("DRYDOCK_CPUPROFILE", func(f *os.File) error { return pprof.StartCPUProfile(f) }, pprof.StopCPUProfile)
	start("DRYDOCK_TRACE", func(f *os.File) error { return trace.Start(f) }, trace.Stop)
	if path := os.Getenv("DRYDOCK_MEMPROFILE"); path != "" {
		stops = append(stops, func() { writeHeapProfile(path) })
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "drydock: DRYDOCK_MEMPROFILE: %v\n", err)
	}
}
