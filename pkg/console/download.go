package console

import (
	"context"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

// download streams a file's bytes, or a folder as a tar archive, as
// drydock dump writes them: every blob is authenticated as it is read. An
// error after the answer has started aborts the connection, so that the
// client sees a broken transfer, never a complete-looking wrong file.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	src, err := s.source(r.PathValue("repo"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := cleanPath(r.PathValue("path"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	started := false
	err = src.read(r.Context(), func(ctx context.Context) error {
		sn, err := src.snapshot(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		n, err := src.lookup(ctx, sn, p)
		if err != nil {
			return err
		}
		name := path.Base(p)
		if p == "/" {
			name = "snapshot-" + sn.ID.Str()
		}
		h := w.Header()
		switch n.Type {
		case format.NodeFile:
			h.Set("Content-Type", "application/octet-stream")
			h.Set("Content-Length", strconv.FormatUint(n.Size, 10))
		case format.NodeDir:
			h.Set("Content-Type", "application/x-tar")
			name += ".tar"
		default:
			return badRequest("%s is a %s: only files and folders can be downloaded", p, n.Type)
		}
		disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
		if disp == "" {
			disp = "attachment"
		}
		h.Set("Content-Disposition", disp)
		started = true
		if r.Method == http.MethodHead {
			return nil
		}
		if n.Type == format.NodeFile {
			return snaptree.WriteContent(ctx, src.r, n, w)
		}
		return snaptree.WriteTar(ctx, src.r, n, strings.TrimSuffix(name, ".tar"), w)
	})
	if err == nil {
		return
	}
	if !started {
		s.fail(w, r, err)
		return
	}
	s.log.Error("console download broken off", "repository", src.name, "path", p, "err", err)
	panic(http.ErrAbortHandler)
}
