// Command probeeval measures compress.Incompressible on real files: it
// cuts every regular file under its arguments into chunks as a backup
// does, compresses each chunk with zstd at the default level, and reports
// how many bytes the probe would have stored uncompressed, how much zstd
// would have saved on those (the space the probe costs), how much zstd
// time it saves, and what the probe itself costs. docs/performance.md
// quotes its output.
//
//	go run ./bench/probeeval [-max-bytes N] DIR...
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/drydock-backup/drydock/pkg/chunker"
	"github.com/drydock-backup/drydock/pkg/repo/compress"
)

// pol is restic/chunker's test polynomial; any irreducible one would do.
const pol = 0x3da3358b4dc173

type totals struct {
	blobs, bytes, zstdBytes    int64
	zstdTime, probeTime, saved time.Duration
	skipped, skippedBytes      int64
	lost                       int64 // what zstd would have saved on skipped blobs
	missed                     int64 // bytes zstd gained < 3% on but the probe let through
	worst                      []string
}

func main() {
	maxBytes := flag.Int64("max-bytes", 2<<30, "stop after this many bytes")
	maxFile := flag.Int64("max-file", 256<<20, "skip files larger than this")
	flag.Parse()
	var t totals
	dst := make([]byte, 0, 16<<20)
	for _, root := range flag.Args() {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil // unreadable entries are not the point here
			}
			if t.bytes >= *maxBytes {
				return filepath.SkipAll
			}
			data, err := os.ReadFile(path)
			if err != nil || len(data) == 0 || int64(len(data)) > *maxFile {
				return nil
			}
			chunks, err := chunker.Split(data, pol, chunker.Params{})
			if err != nil {
				return err
			}
			for _, c := range chunks {
				dst = t.add(path, data[c.Start:c.Start+c.Length], dst)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "probeeval:", err)
			os.Exit(1)
		}
	}
	t.print()
}

func (t *totals) add(path string, b, dst []byte) []byte {
	t0 := time.Now()
	dst = compress.Encode(dst[:0], b, compress.ModeAuto)
	zt := time.Since(t0)
	t0 = time.Now()
	skip := compress.Incompressible(b)
	t.probeTime += time.Since(t0)
	t.blobs++
	t.bytes += int64(len(b))
	t.zstdBytes += int64(min(len(dst), len(b)))
	t.zstdTime += zt
	switch {
	case skip:
		t.skipped++
		t.skippedBytes += int64(len(b))
		t.saved += zt
		if gain := len(b) - len(dst); gain > 0 {
			t.lost += int64(gain)
			if gain > len(b)/50 {
				t.worst = append(t.worst, fmt.Sprintf("%s: a %d-byte chunk zstd shrinks by %d", path, len(b), gain))
			}
		}
	case len(dst) >= len(b)*97/100:
		t.missed += int64(len(b))
	}
	return dst
}

func (t *totals) print() {
	mb := func(n int64) float64 { return float64(n) / 1e6 }
	fmt.Printf("chunks: %d, %.1f MB; zstd: %.1f MB in %v (%.0f MB/s)\n",
		t.blobs, mb(t.bytes), mb(t.zstdBytes), t.zstdTime.Round(time.Millisecond), mb(t.bytes)/t.zstdTime.Seconds())
	fmt.Printf("probe: %v; stored uncompressed: %d chunks, %.1f MB; zstd time saved: %v\n",
		t.probeTime.Round(time.Millisecond), t.skipped, mb(t.skippedBytes), t.saved.Round(time.Millisecond))
	fmt.Printf("space lost: %.3f MB (%.3f%% of the zstd output); chunks zstd gains < 3%% on but still compressed: %.1f MB\n",
		mb(t.lost), 100*float64(t.lost)/float64(t.zstdBytes), mb(t.missed))
	for _, w := range t.worst {
		fmt.Println("  lost >2%:", w)
	}
}
