package console

import (
	"context"
	"errors"
	"net/http"
)

// ErrNothingToDrill is Apps.Drill's answer for an app that is not on this
// host or that no job backs up (404).
var ErrNothingToDrill = errors.New("nothing to drill")

// ErrNoDocker is Apps.Drill's answer when the Docker engine cannot be
// reached (503).
var ErrNoDocker = errors.New("the Docker engine cannot be reached")

// drillApp starts a restore drill of the app named in the path: POST
// /apps/{app}/drill (the overview's button: to the operation's page) and
// POST /api/v1/apps/{app}/drill (202 and the operation). The drill runs
// on the daemon's context, which the daemon's stop cancels.
func (s *Server) drillApp(w http.ResponseWriter, r *http.Request) {
	if s.apps == nil {
		s.fail(w, r, notFound("no apps here: this console serves a repository, not a daemon"))
		return
	}
	app := r.PathValue("app")
	op, err := s.apps.Drill(context.WithoutCancel(r.Context()), app)
	if err != nil {
		s.fail(w, r, drillError(err))
		return
	}
	s.log.Info("restore drill started from the console", "app", app, "operation", op.ID)
	answerStarted(w, r, op)
}

// drillError gives Apps.Drill's errors their status.
func drillError(err error) error {
	switch {
	case errors.Is(err, ErrRunning):
		return &httpError{status: http.StatusConflict, msg: err.Error()}
	case errors.Is(err, ErrNothingToDrill):
		return notFound("%v", err)
	case errors.Is(err, ErrNoDocker):
		return &httpError{status: http.StatusServiceUnavailable, msg: err.Error()}
	}
	return err
}
