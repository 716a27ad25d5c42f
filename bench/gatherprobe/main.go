//go:build amd64

// Command gatherprobe measures what an AVX-512 chunker kernel built on
// gathers could do on this CPU (#32 item 5): the latency of an 8-lane
// VPGATHERQQ whose indices come from the previous one (the rolling
// hash's table lookup depends on the last step), the same with four
// chains at once, the throughput of independent gathers, and a dependent
// scalar load for comparison.
//
//	go run ./bench/gatherprobe
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"golang.org/x/sys/cpu"
)

// Each runs n steps over a 256-entry table (probe_amd64.s).
func chain(t *uint64, n int) uint64
func chain4(t *uint64, n int) uint64
func indep(t *uint64, n int) uint64
func scalar(t *uint64, n int) uint64

func main() {
	if !cpu.X86.HasAVX512F {
		fmt.Fprintln(os.Stderr, "gatherprobe: this CPU has no AVX-512")
		os.Exit(1)
	}
	var t [256]uint64
	for i := range t {
		t[i] = rand.Uint64() >> 11 // 53 bits, as fingerprints
	}
	const n = 50_000_000
	per := func(f func(*uint64, int) uint64) float64 {
		start := time.Now()
		f(&t[0], n)
		return float64(time.Since(start).Nanoseconds()) / n
	}
	for range 3 {
		fmt.Printf("dependent 8-lane gather %.2f ns/step, four chains %.2f ns/step, "+
			"independent gathers %.2f ns each, dependent scalar load %.2f ns/step\n",
			per(chain), per(chain4), per(indep)/7, per(scalar))
	}
}
