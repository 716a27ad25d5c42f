package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// printSnapshotTable prints snapshots oldest first, as restic's snapshots
// and forget do: ID, time, host, tags, with reasons (forget's keep list)
// and paths unless compact, and Size (the bytes the backup read, from the
// summary restic 0.17 and drydock record) when any snapshot has one.
func printSnapshotTable(w io.Writer, newestFirst []repo.Snapshot, reasons map[format.ID][]string, withReasons, compact bool) error {
	withSize := slices.ContainsFunc(newestFirst, func(sn repo.Snapshot) bool { return sn.Summary != nil })
	withReasons = withReasons && !compact
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"ID", "Time", "Host", "Tags"}
	if withReasons {
		head = append(head, "Reasons")
	}
	if !compact {
		head = append(head, "Paths")
	}
	if withSize {
		head = append(head, "Size")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, sn := range slices.Backward(newestFirst) {
		row := []string{sn.ID.Str(), sn.Time.Local().Format(time.DateTime), sn.Hostname, strings.Join(sn.Tags, ",")}
		why := reasons[sn.ID]
		if withReasons {
			row = append(row, first(why))
		}
		if !compact {
			row = append(row, strings.Join(sn.Paths, ","))
		}
		if withSize {
			row = append(row, snapshotSize(sn))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
		for i := 1; withReasons && i < len(why); i++ {
			fmt.Fprintf(tw, "\t\t\t\t%s\t\n", why[i])
		}
	}
	return tw.Flush()
}

// snapshotSize is the Size cell: restic's units and precision, empty for a
// snapshot without a summary (written by restic before 0.17).
func snapshotSize(sn repo.Snapshot) string {
	if sn.Summary == nil {
		return ""
	}
	return humanize.Bytes(sn.Summary.TotalBytesProcessed, 3)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
