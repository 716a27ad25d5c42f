package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
)

// historyOps is how many operations the seeded history holds: as many as
// the daemon keeps (and drydock ui), so that the overview's pass over the
// history costs what it costs on a host that has run for months.
const historyOps = 1000

// seedHistory writes the history drydock ui reads (ui-history.jsonl in
// its state directory): a backup a day with the repository's figures and
// a few log lines, and a verification a week. The overview shows the
// newest size and check from it.
func seedHistory(stateDir string) error {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return err
	}
	p := filepath.Join(stateDir, "ui-history.jsonl")
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		return err
	}
	h, err := oplog.Open(p, historyOps)
	if err != nil {
		return err
	}
	for i := range historyOps {
		kind := "backup"
		if i%7 == 6 {
			kind = "verify"
		}
		op, err := h.Start(oplog.Operation{Kind: kind, Job: "nightly", Repository: "default", Trigger: oplog.Scheduled})
		if err != nil {
			return err
		}
		err = h.Finish(op.ID, nil, func(o *oplog.Operation) {
			o.Started = time.Now().Add(-time.Duration(historyOps-i) * time.Hour)
			o.Bytes = uint64(i) << 20
			if kind == "backup" {
				o.After = &oplog.RepositoryFigures{Bytes: int64(i) << 24, Snapshots: 10 + i}
			}
			for j := range 5 {
				oplog.AddLine(o, "info", fmt.Sprintf("app %d: snapshot %08x saved, 1.5 s down", j, i*5+j))
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}
