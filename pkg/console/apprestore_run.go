package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// startAppRestore takes the host lock, plans again under it and, if every
// precondition holds, starts the restore in the background as an
// operation that holds the lock until it ends: nothing can change what
// was checked in between, and no backup or other restore runs meanwhile.
func (s *Server) startAppRestore(ctx context.Context, repoName, ref string, q appRestoreRequest) (oplog.Operation, error) {
	src, err := s.source(repoName)
	if err != nil {
		return oplog.Operation{}, err
	}
	if s.history == nil {
		return oplog.Operation{}, notFound("this console keeps no history, so it runs no restore")
	}
	if s.bg.ctx.Err() != nil {
		return oplog.Operation{}, errStopping
	}
	d, err := s.openDocker(ctx)
	if err != nil {
		return oplog.Operation{}, err
	}
	unlock, err := d.m.LockHost(ctx, hostLockWait)
	if err != nil {
		d.close()
		return oplog.Operation{}, &httpError{status: http.StatusConflict, msg: err.Error()}
	}
	handed := false
	defer func() {
		if !handed {
			unlock()
			d.close()
		}
	}()
	s.recover(ctx, d)
	var sn repo.Snapshot
	var pv *apprestore.Preview
	err = src.read(ctx, func(ctx context.Context) error {
		if sn, err = src.snapshot(ctx, ref); err != nil {
			return err
		}
		pv, err = preview(ctx, s.restoreEnv(d, src.r), sn, q)
		return err
	})
	if err != nil {
		return oplog.Operation{}, err
	}
	if !pv.OK() {
		return oplog.Operation{}, &refusedError{plan: pv}
	}
	op, err := s.history.Start(oplog.Operation{Kind: "restore", Repository: src.name, Trigger: oplog.Manual})
	if err != nil {
		return op, err
	}
	s.history.Update(op.ID, func(o *oplog.Operation) { oplog.AddLine(o, "info", planLine(q, sn, pv)) })
	s.log.Info("app restore started from the console", "repository", src.name, "snapshot", sn.ID.Str(), "app", q.App, "volume", q.Volume, "operation", op.ID)
	err = s.bg.start(func(ctx context.Context) {
		defer d.close()
		defer unlock()
		s.runAppRestore(ctx, src, d, sn, q, op.ID)
	})
	if err != nil {
		_ = s.history.Finish(op.ID, err, nil)
		return oplog.Operation{}, err
	}
	handed = true
	return op, nil
}

// recover does what drydock volumes does once it holds the host lock:
// it starts containers an interrupted run left stopped and removes what
// interrupted restores left beside volumes' data.
func (s *Server) recover(ctx context.Context, d *docker) {
	if swept, err := apprestore.Sweep(s.stateDir, s.log); err != nil || len(swept) > 0 {
		s.log.Warn("removed what interrupted restores left beside volumes' data", "removed", swept, "err", err)
	}
	if started, err := d.m.Recover(ctx); err != nil || len(started) > 0 {
		s.log.Warn("started containers an earlier drydock run left stopped", "started", started, "err", err)
	}
}

// planLine is the operation's first log line: what it restores and stops.
func planLine(q appRestoreRequest, sn repo.Snapshot, pv *apprestore.Preview) string {
	var stops []string
	for _, st := range pv.Stop {
		stops = append(stops, st.Container)
	}
	stopped := "stopping nothing"
	if len(stops) > 0 {
		stopped = "stopping " + strings.Join(stops, ", ")
	}
	return fmt.Sprintf("restoring %s from snapshot %s: %d files, %d bytes; %s", q.what(), sn.ID.Str(), pv.Files, pv.Bytes, stopped)
}

func (q appRestoreRequest) what() string {
	if q.App != "" {
		return "app " + q.App
	}
	return "volume " + q.Volume
}

// runAppRestore restores and records how it went.
func (s *Server) runAppRestore(ctx context.Context, src *source, d *docker, sn repo.Snapshot, q appRestoreRequest, id string) {
	var rep *apprestore.Report
	err := src.read(ctx, func(ctx context.Context) error {
		env := s.restoreEnv(d, src.r)
		env.Progress = s.appRestoreProgress(id)
		var err error
		if q.App != "" {
			def, err := loadApp(ctx, src.r, sn, q.App)
			if err != nil {
				return err
			}
			rep, err = apprestore.RestoreApp(ctx, env, def, q.appOptions())
			return err
		}
		t, err := volumeTarget(ctx, env, sn, q.Volume)
		if err != nil {
			return err
		}
		rep, err = apprestore.RestoreVolumes(ctx, env, sn, []apprestore.Target{t})
		return err
	})
	stopped, err := s.bg.interrupted(err)
	_ = s.history.Finish(id, err, func(o *oplog.Operation) {
		if rep != nil {
			reportLines(o, rep)
		}
		if stopped {
			oplog.AddLine(o, "warning", "drydock stopped during the restore: see the lines above for what was restored")
		}
	})
}

// reportLines adds what a restore did to its operation.
func reportLines(o *oplog.Operation, rep *apprestore.Report) {
	o.Bytes = 0
	for _, v := range rep.Volumes {
		state := "restored"
		if !v.Restored {
			state = "NOT restored"
		}
		if v.Created {
			state += " (volume created)"
		}
		oplog.AddLine(o, "info", fmt.Sprintf("volume %s %s: %d files, %d bytes from %s", v.Name, state, v.Files, v.Bytes, v.SnapshotPath))
		o.Bytes += v.Bytes
	}
	for _, c := range rep.Containers {
		oplog.AddLine(o, "info", "container "+c.Name+": "+c.Action)
	}
	if len(rep.Stopped) > 0 {
		oplog.AddLine(o, "info", "stopped "+strings.Join(rep.Stopped, ", "))
	}
	if len(rep.Started) > 0 {
		oplog.AddLine(o, "info", "running again: "+strings.Join(rep.Started, ", "))
	}
	for _, w := range rep.Warnings {
		oplog.AddLine(o, "warning", w)
	}
	oplog.AddLine(o, "info", fmt.Sprintf("downtime %.2fs", rep.DowntimeSeconds))
}

// appRestoreProgress records the restore's bytes at most twice a second,
// and a line as each phase begins.
func (s *Server) appRestoreProgress(id string) func(apprestore.Progress) {
	var mu sync.Mutex
	var last time.Time
	var phase apprestore.Phase
	var vol string
	staged := map[string]uint64{} // bytes by volume
	return func(p apprestore.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Phase == apprestore.PhaseStaging {
			staged[p.Volume] = p.Stats.Bytes
		}
		begins := p.Phase != phase || p.Volume != vol
		phase, vol = p.Phase, p.Volume
		if !begins && time.Since(last) < 500*time.Millisecond {
			return
		}
		last = time.Now()
		var total uint64
		for _, b := range staged {
			total += b
		}
		s.history.Update(id, func(o *oplog.Operation) {
			o.Bytes = total
			if begins {
				oplog.AddLine(o, "info", phaseLine(p))
			}
		})
	}
}

func phaseLine(p apprestore.Progress) string {
	switch p.Phase {
	case apprestore.PhaseStaging:
		return fmt.Sprintf("staging volume %s (%d of %d) beside its data; the app still runs", p.Volume, p.Index, p.Volumes)
	case apprestore.PhaseSwap:
		return "stopping the app and swapping the staged data in"
	default:
		return "starting the app again"
	}
}
