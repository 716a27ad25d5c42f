package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/restorer"
)

// restoreRequest is what POST .../restore takes: what to restore (paths
// in the snapshot, all of it if none) and where to.
type restoreRequest struct {
	Snapshot string   `json:"snapshot"`
	Paths    []string `json:"paths"`
	Target   string   `json:"target"`
}

// apiRestore answers POST /api/v1/repositories/{repo}/restore with a JSON
// restoreRequest: 202 and the restore's operation.
func (s *Server) apiRestore(w http.ResponseWriter, r *http.Request) {
	var req restoreRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		s.fail(w, r, badRequest("restore: want JSON {\"snapshot\", \"paths\", \"target\"}: %v", err))
		return
	}
	op, err := s.startRestore(r.Context(), r.PathValue("repo"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/operations/"+op.ID)
	writeJSON(w, http.StatusAccepted, op)
}

// formRestore is the tree page's form: the entries ticked (path, repeated)
// restored to target; it goes on to the operation's page.
func (s *Server) formRestore(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, badRequest("restore form: %v", err))
		return
	}
	req := restoreRequest{Snapshot: r.PathValue("id"), Paths: r.PostForm["path"], Target: strings.TrimSpace(r.PostFormValue("target"))}
	if len(req.Paths) == 0 && r.PostFormValue("folder") != "" {
		req.Paths = []string{r.PostFormValue("folder")} // nothing ticked: the folder shown
	}
	op, err := s.startRestore(r.Context(), r.PathValue("repo"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, operationURL(op.ID), http.StatusSeeOther)
}

// startRestore checks the request and starts the restore in the
// background, as an operation of the history.
func (s *Server) startRestore(ctx context.Context, repoName string, req restoreRequest) (oplog.Operation, error) {
	src, err := s.source(repoName)
	if err != nil {
		return oplog.Operation{}, err
	}
	if s.history == nil {
		return oplog.Operation{}, notFound("this console keeps no history, so it runs no restore")
	}
	if err := checkTarget(req.Target); err != nil {
		return oplog.Operation{}, err
	}
	var paths, include []string
	for _, p := range req.Paths {
		clean, err := cleanPath(strings.TrimPrefix(p, "/"))
		if err != nil {
			return oplog.Operation{}, err
		}
		paths = append(paths, clean)
		if clean != "/" {
			include = append(include, literalPattern(clean))
		}
	}
	if req.Snapshot == "" {
		return oplog.Operation{}, badRequest("restore: which snapshot? (an ID, a unique prefix or latest)")
	}
	var sn snapshotRef
	err = src.read(ctx, func(ctx context.Context) error {
		found, err := src.snapshot(ctx, req.Snapshot)
		if err != nil {
			return err
		}
		for _, p := range paths { // each named entry exists
			if _, err := src.lookup(ctx, found, p); err != nil {
				return err
			}
		}
		sn = snapshotRef{id: found.ID.String(), short: found.ID.Str(), tree: *found.Tree}
		return nil
	})
	if err != nil {
		return oplog.Operation{}, err
	}
	// Refused now, not after the history has a running operation that no
	// one would finish.
	if s.bg.ctx.Err() != nil {
		return oplog.Operation{}, errStopping
	}
	op, err := s.history.Start(oplog.Operation{Kind: "restore", Repository: src.name, Trigger: oplog.Manual})
	if err != nil {
		return op, err
	}
	what := "all of it"
	if len(req.Paths) > 0 {
		what = strings.Join(req.Paths, ", ")
	}
	s.history.Update(op.ID, func(o *oplog.Operation) {
		oplog.AddLine(o, "info", fmt.Sprintf("restoring %s of snapshot %s to %s", what, sn.short, req.Target))
	})
	s.log.Info("restore started from the console", "repository", src.name, "snapshot", sn.short, "target", req.Target, "operation", op.ID)
	if err := s.bg.start(func(ctx context.Context) { s.runRestore(ctx, src, sn, req.Target, include, op.ID) }); err != nil {
		_ = s.history.Finish(op.ID, err, nil)
		return oplog.Operation{}, err
	}
	return op, nil
}

type snapshotRef struct {
	id, short string
	tree      format.ID
}

// runRestore restores and records how it went; progress reaches the
// history (and its subscribers) at most twice a second.
func (s *Server) runRestore(ctx context.Context, src *source, sn snapshotRef, target string, include []string, id string) {
	var mu sync.Mutex
	last := time.Time{}
	opts := restorer.Options{Include: include, Logger: s.log,
		Progress: func(st restorer.Stats) {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(last) < 500*time.Millisecond {
				return
			}
			last = time.Now()
			s.history.Update(id, func(o *oplog.Operation) { o.Bytes = st.Bytes })
		},
		Failed: func(f restorer.Failure) {
			s.history.Update(id, func(o *oplog.Operation) { oplog.AddLine(o, "error", f.Error()) })
		},
	}
	var st restorer.Stats
	err := src.read(ctx, func(ctx context.Context) error {
		var err error
		st, err = restorer.Restore(ctx, src.r, sn.tree, target, opts)
		return err
	})
	stopped, err := s.bg.interrupted(err)
	_ = s.history.Finish(id, err, func(o *oplog.Operation) {
		o.Bytes = st.Bytes
		oplog.AddLine(o, "info", fmt.Sprintf("restored %d files, %d dirs, %d other entries", st.Files, st.Dirs, st.Other+st.Links))
		if stopped {
			oplog.AddLine(o, "warning", "drydock stopped during the restore: the target holds part of it; restore again")
		}
	})
}

// checkTarget accepts a restore target that is an absolute, clean path
// of an existing directory with no symlink on the way: what the console's
// user names is where root writes.
func checkTarget(target string) error {
	switch {
	case target == "":
		return badRequest("restore: give the target directory")
	case !filepath.IsAbs(target) || filepath.Clean(target) != target:
		return badRequest("restore target %q: want an absolute, clean path", target)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return badRequest("restore target %s: %v (create it first)", target, err)
	}
	if !fi.IsDir() {
		return badRequest("restore target %s is not a directory", target)
	}
	real, err := filepath.EvalSymlinks(target)
	if err != nil || real != target {
		return badRequest("restore target %s has a symlink on the way (to %s): give the real path", target, real)
	}
	return nil
}

// literalPattern makes a snapshot path an include pattern that matches
// only itself (and what is below it): restic's patterns are globs.
func literalPattern(p string) string {
	var b strings.Builder
	for _, r := range path.Clean(p) {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
