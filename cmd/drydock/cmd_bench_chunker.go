package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/chunker"
)

type benchChunkerOptions struct {
	size       int64
	cpus       int
	runs       int
	polynomial string
	json       bool
}

// benchChunkerResult is the --json output; field names are a stable API.
type benchChunkerResult struct {
	Source         string  `json:"source"`
	Bytes          int64   `json:"bytes"`
	CPUs           int     `json:"cpus"`
	Runs           int     `json:"runs"`
	Polynomial     string  `json:"polynomial"`
	ChunkerMBps    float64 `json:"chunker_mb_per_s"`
	SHA256MBps     float64 `json:"sha256_mb_per_s"`
	ChunkSHA256MBs float64 `json:"chunker_sha256_mb_per_s"`
	Ratio          float64 `json:"ratio_chunker_sha256"`
	Chunks         int     `json:"chunks"`
	MeanChunkSize  float64 `json:"mean_chunk_size"`
}

func newBenchChunkerCommand() *cobra.Command {
	var opts benchChunkerOptions
	cmd := &cobra.Command{
		Use:   "chunker [--size BYTES] [--cpus N] [FILE]",
		Short: "Measure chunking throughput against SHA-256 on this machine",
		Long: `Chunk in-memory random data (or FILE, read into memory first) and print the
throughput of the chunker, of SHA-256, and of chunking plus hashing every chunk,
in MB/s (10^6 bytes per second), with the ratio chunker/SHA-256. Each figure is
the best of --runs runs, measured in this process, so that the ratio compares
like with like. --cpus limits the cores used (GOMAXPROCS) by all three.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBenchChunker(opts, args, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.Int64Var(&opts.size, "size", 256<<20, "bytes of random data to chunk")
	f.IntVar(&opts.cpus, "cpus", 1, "cores to use")
	f.IntVar(&opts.runs, "runs", 3, "runs of each measurement; the best is reported")
	f.StringVar(&opts.polynomial, "polynomial", "3da3358b4dc173", "chunker polynomial in hex")
	f.BoolVar(&opts.json, "json", false, "print the result as JSON")
	return cmd
}

func runBenchChunker(opts benchChunkerOptions, args []string, out io.Writer) error {
	if opts.cpus < 1 || opts.runs < 1 || opts.size < 1 {
		return fmt.Errorf("--cpus, --runs and --size must be at least 1")
	}
	pol, err := chunker.ParsePol(opts.polynomial)
	if err != nil {
		return err
	}
	data, source, err := benchData(opts, args)
	if err != nil {
		return err
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(opts.cpus))

	res := benchChunkerResult{Source: source, Bytes: int64(len(data)), CPUs: opts.cpus, Runs: opts.runs, Polynomial: pol.String()}
	var bounds []chunker.Boundary
	for range opts.runs { // interleaved, so that a noisy moment hurts all three alike
		var err error
		res.ChunkerMBps = max(res.ChunkerMBps, throughput(len(data), func() {
			bounds, err = chunker.SplitParallel(data, pol, chunker.Params{}, opts.cpus)
		}))
		if err != nil {
			return err
		}
		res.SHA256MBps = max(res.SHA256MBps, throughput(len(data), func() { hashParts(data, opts.cpus) }))
		res.ChunkSHA256MBs = max(res.ChunkSHA256MBs, throughput(len(data), func() {
			b, _ := chunker.SplitParallel(data, pol, chunker.Params{}, opts.cpus)
			hashChunks(data, b, opts.cpus)
		}))
	}
	res.Ratio = res.ChunkerMBps / res.SHA256MBps
	res.Chunks = len(bounds)
	res.MeanChunkSize = float64(len(data)) / float64(max(1, len(bounds)))
	return printBenchChunker(out, res, opts.json)
}

func benchData(opts benchChunkerOptions, args []string) ([]byte, string, error) {
	if len(args) == 1 {
		data, err := os.ReadFile(args[0])
		return data, args[0], err
	}
	data := make([]byte, opts.size)
	rng := rand.NewChaCha8([32]byte{'d', 'r', 'y', 'd', 'o', 'c', 'k'})
	_, _ = rng.Read(data)
	return data, "random", nil
}

// throughput runs fn once and returns its speed over n bytes in MB/s.
func throughput(n int, fn func()) float64 {
	start := time.Now()
	fn()
	return float64(n) / time.Since(start).Seconds() / 1e6
}

// hashParts hashes data in `workers` contiguous parts at once, the fair
// SHA-256 baseline for a multi-core chunker.
func hashParts(data []byte, workers int) {
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() { sha256.Sum256(data[len(data)*k/workers : len(data)*(k+1)/workers]) })
	}
	wg.Wait()
}

// hashChunks computes every chunk's ID, as a backup does, on `workers` cores.
func hashChunks(data []byte, bounds []chunker.Boundary, workers int) {
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() {
			for i := k; i < len(bounds); i += workers {
				b := bounds[i]
				sha256.Sum256(data[b.Start : b.Start+b.Length])
			}
		})
	}
	wg.Wait()
}

func printBenchChunker(out io.Writer, r benchChunkerResult, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	_, err := fmt.Fprintf(out, `data:             %d bytes (%s), polynomial %s
cpus:             %d (best of %d runs)
chunker:          %8.1f MB/s
sha256:           %8.1f MB/s
chunker+sha256:   %8.1f MB/s
ratio chunker/sha256: %.2f
chunks:           %d (mean size %.0f bytes)
`, r.Bytes, r.Source, r.Polynomial, r.CPUs, r.Runs, r.ChunkerMBps, r.SHA256MBps, r.ChunkSHA256MBs, r.Ratio, r.Chunks, r.MeanChunkSize)
	return err
}
