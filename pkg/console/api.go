package console

import (
	"context"
	"net/http"
	"path"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/resticjson"
)

// treeJSON is the answer of GET .../tree/{path}: one page of a folder's
// entries as restic's ls --json prints nodes.
type treeJSON struct {
	Snapshot string              `json:"snapshot"`
	Path     string              `json:"path"`
	Total    int                 `json:"total"`
	Offset   int                 `json:"offset"`
	Limit    int                 `json:"limit"`
	Nodes    []resticjson.LsNode `json:"nodes"`
}

// apiSnapshots lists the snapshots as drydock snapshots --json does,
// oldest first.
func (s *Server) apiSnapshots(w http.ResponseWriter, r *http.Request) {
	src, err := s.source(r.PathValue("repo"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	filter, err := parseSnapshotFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var sns []repo.Snapshot
	err = src.read(r.Context(), func(ctx context.Context) (err error) {
		sns, err = src.snapshots(ctx, filter)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resticjson.Snapshots(sns))
}

// apiSnapshot is one snapshot, resolved from its ID, a prefix or latest.
func (s *Server) apiSnapshot(w http.ResponseWriter, r *http.Request) {
	src, err := s.source(r.PathValue("repo"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var sn repo.Snapshot
	err = src.read(r.Context(), func(ctx context.Context) (err error) {
		sn, err = src.snapshot(ctx, r.PathValue("id"))
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resticjson.NewSnapshot(sn))
}

func (s *Server) apiTree(w http.ResponseWriter, r *http.Request) {
	var out treeJSON
	err := s.withFolder(w, r, func(sn repo.Snapshot, f folder) {
		out = treeJSON{Snapshot: sn.ID.String(), Path: f.Path, Total: f.Total, Offset: f.Offset, Limit: f.Limit,
			Nodes: make([]resticjson.LsNode, len(f.Nodes))}
		for i, n := range f.Nodes {
			out.Nodes[i] = resticjson.NewLsNode(path.Join(f.Path, n.Name), n)
		}
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// withFolder resolves the repository, snapshot and folder a tree request
// names and pages it, for the API and the pages alike; show runs under
// the read lock.
func (s *Server) withFolder(w http.ResponseWriter, r *http.Request, show func(repo.Snapshot, folder)) error {
	src, err := s.source(r.PathValue("repo"))
	if err != nil {
		return err
	}
	p, err := cleanPath(r.PathValue("path"))
	if err != nil {
		return err
	}
	offset, limit, err := paging(r)
	if err != nil {
		return err
	}
	return src.read(r.Context(), func(ctx context.Context) error {
		sn, err := src.snapshot(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		n, err := src.lookup(ctx, sn, p)
		if err != nil {
			return err
		}
		f, err := src.list(ctx, n, p, offset, limit)
		if err != nil {
			return err
		}
		show(sn, f)
		return nil
	})
}
