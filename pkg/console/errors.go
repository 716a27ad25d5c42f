package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

// httpError is an error with the status it is answered with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func notFound(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to its HTTP status: what the request named does
// not exist (404), the request is malformed (400), or the server failed
// (500, and logged).
func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, repo.ErrSnapshotNotFound), errors.Is(err, snaptree.ErrNotFound), errors.Is(err, snaptree.ErrNotDir):
		return http.StatusNotFound
	case errors.Is(err, repo.ErrAmbiguousSnapshot):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// fail answers err in the request's kind (JSON for the API, a page
// otherwise); server errors are logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.Error("console request failed", "path", r.URL.Path, "err", err)
	}
	if isAPI(r) {
		writeJSONError(w, status, err.Error())
		return
	}
	s.render(w, r, status, "error", errorPage{Status: status, Message: err.Error()})
}
