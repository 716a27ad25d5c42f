package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
)

type statsOptions struct {
	filter retention.Filter
	mode   string
}

var statsModes = []string{"restore-size", "files-by-contents", "raw-data"}

func newStatsCommand(g *globalOptions) *cobra.Command {
	opts := statsOptions{mode: "restore-size"}
	cmd := &cobra.Command{
		Use:   "stats [SNAPSHOT...]",
		Short: "Count the files and bytes of snapshots",
		Long: `Stats counts what the given snapshots (default: all that --host/--tag/--path
select) hold, as restic's stats does, in one of these modes:

  restore-size       files and bytes a restore would write (hardlinks once)
  files-by-contents  files with distinct content, and their bytes
  raw-data           blobs the snapshots need, as stored in the repository
                     (after deduplication and compression) and uncompressed`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !strings.Contains(","+strings.Join(statsModes, ",")+",", ","+opts.mode+",") {
				return fmt.Errorf("--mode %q: must be one of %s", opts.mode, strings.Join(statsModes, ", "))
			}
			return g.withListingLock(cmd.Context(), repo.LockMode{}, func(ctx context.Context, r *repo.Repository) error {
				sns, err := selectTrees(ctx, r, g, args, opts.filter)
				if err != nil {
					return err
				}
				st := newStatsCounter(r, opts.mode)
				for _, sn := range sns {
					if err := st.snapshot(ctx, sn); err != nil {
						return fmt.Errorf("snapshot %s: %w", sn.ID.Str(), err)
					}
				}
				return st.print(g)
			})
		},
	}
	f := cmd.Flags()
	addSnapshotFilterFlags(f, &opts.filter, "H")
	f.StringVar(&opts.mode, "mode", opts.mode, "counting mode: "+strings.Join(statsModes, ", "))
	return cmd
}

// statsJSON is restic's stats --json document.
type statsJSON struct {
	TotalSize             uint64  `json:"total_size"`
	TotalUncompressedSize uint64  `json:"total_uncompressed_size,omitempty"`
	CompressionRatio      float64 `json:"compression_ratio,omitempty"`
	TotalFileCount        uint64  `json:"total_file_count"`
	TotalBlobCount        uint64  `json:"total_blob_count,omitempty"`
	SnapshotsCount        int     `json:"snapshots_count"`
}

type statsCounter struct {
	r      *repo.Repository
	mode   string
	out    statsJSON
	inodes map[[2]uint64]bool         // hardlinked files counted (restore-size)
	files  map[string]bool            // content lists counted (files-by-contents)
	blobs  map[format.BlobHandle]bool // blobs counted (raw-data)
	trees  map[format.ID]bool         // trees walked (raw-data)
}

func newStatsCounter(r *repo.Repository, mode string) *statsCounter {
	return &statsCounter{r: r, mode: mode, inodes: map[[2]uint64]bool{}, files: map[string]bool{},
		blobs: map[format.BlobHandle]bool{}, trees: map[format.ID]bool{}}
}

func (st *statsCounter) snapshot(ctx context.Context, sn repo.Snapshot) error {
	st.out.SnapshotsCount++
	if st.mode == "raw-data" {
		return st.rawTree(ctx, *sn.Tree)
	}
	clear(st.inodes) // restic counts a hardlinked file's size once per snapshot
	return walkTree(ctx, st.r, *sn.Tree, "/", func(p string, n *format.Node) error {
		switch st.mode {
		case "restore-size":
			st.out.TotalFileCount++ // every entry, hardlinks and directories too
			if n.Type == format.NodeFile && n.Links > 1 {
				key := [2]uint64{n.DeviceID, n.Inode}
				if st.inodes[key] {
					return nil
				}
				st.inodes[key] = true
			}
			st.out.TotalSize += n.Size
		case "files-by-contents":
			// Keyed by content alone, as restic: every entry without content
			// (directories, empty files, symlinks) counts once, as one.
			key := fmt.Sprint(n.Content)
			if !st.files[key] {
				st.files[key] = true
				st.out.TotalFileCount++
				st.out.TotalSize += n.Size
			}
		}
		return nil
	})
}

// rawTree counts the tree blob id and every blob below it, once each.
func (st *statsCounter) rawTree(ctx context.Context, id format.ID) error {
	if st.trees[id] {
		return nil
	}
	st.trees[id] = true
	st.countBlob(format.BlobHandle{ID: id, Type: format.TreeBlob})
	t, err := st.r.LoadTree(ctx, id)
	if err != nil {
		return err
	}
	for _, n := range t.Nodes {
		for _, b := range n.Content {
			st.countBlob(format.BlobHandle{ID: b, Type: format.DataBlob})
		}
		if n.Type == format.NodeDir && n.Subtree != nil {
			if err := st.rawTree(ctx, *n.Subtree); err != nil {
				return err
			}
		}
	}
	return nil
}

func (st *statsCounter) countBlob(h format.BlobHandle) {
	if st.blobs[h] {
		return
	}
	st.blobs[h] = true
	loc, ok := st.r.Index().Lookup(h)
	if !ok {
		return // check reports missing blobs; stats counts what is there
	}
	st.out.TotalBlobCount++
	st.out.TotalSize += uint64(loc.Length)
	st.out.TotalUncompressedSize += uint64(loc.PlainLength())
}

func (st *statsCounter) print(g *globalOptions) error {
	if st.mode == "raw-data" && st.out.TotalSize > 0 {
		st.out.CompressionRatio = float64(st.out.TotalUncompressedSize) / float64(st.out.TotalSize)
	}
	if g.json {
		return json.NewEncoder(g.stdout).Encode(st.out)
	}
	w := g.stdout
	fmt.Fprintf(w, "Stats in %s mode:\n", st.mode)
	fmt.Fprintf(w, "     Snapshots processed:  %d\n", st.out.SnapshotsCount)
	if st.mode == "raw-data" {
		fmt.Fprintf(w, "        Total Blob Count:  %d\n", st.out.TotalBlobCount)
		fmt.Fprintf(w, " Total Uncompressed Size:  %s\n", humanize.Bytes(st.out.TotalUncompressedSize, 3))
		fmt.Fprintf(w, "              Total Size:  %s\n", humanize.Bytes(st.out.TotalSize, 3))
		if st.out.CompressionRatio > 0 {
			fmt.Fprintf(w, "       Compression Ratio:  %.2fx\n", st.out.CompressionRatio)
		}
		return nil
	}
	fmt.Fprintf(w, "        Total File Count:  %d\n", st.out.TotalFileCount)
	fmt.Fprintf(w, "              Total Size:  %s\n", humanize.Bytes(st.out.TotalSize, 3))
	return nil
}
