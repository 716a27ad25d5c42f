package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/drydock-backup/drydock/pkg/oplog"
)

// historyLimit is how many operations the history page shows.
const historyLimit = 200

// apiOperations answers GET /api/v1/operations, newest first.
func (s *Server) apiOperations(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", historyLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ops := []oplog.Operation{}
	if s.history != nil {
		ops = append(ops, s.history.List(limit)...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"operations": ops})
}

// apiOperation answers GET /api/v1/operations/{id}.
func (s *Server) apiOperation(w http.ResponseWriter, r *http.Request) {
	op, err := s.operation(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, op)
}

func (s *Server) operation(id string) (oplog.Operation, error) {
	if s.history != nil {
		if op, ok := s.history.Get(id); ok {
			return op, nil
		}
	}
	return oplog.Operation{}, notFound("no operation %q in the history", id)
}

// events streams every change of an operation as a server-sent event
// "operation" whose data is the operation's JSON, until the client goes.
// A comment every 25 s keeps proxies from closing an idle stream.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok || s.history == nil {
		s.fail(w, r, notFound("no event stream here"))
		return
	}
	// Subscribed before the first byte goes out: a client that acts once
	// the stream has started must see every change that follows.
	ch := s.history.Subscribe(r.Context())
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": drydock operations\n\n")
	flusher.Flush()
	tick := time.NewTicker(25 * time.Second)
	defer tick.Stop()
	for {
		select {
		case op, open := <-ch:
			if !open {
				return
			}
			b, _ := json.Marshal(op)
			fmt.Fprintf(w, "event: operation\nid: %s\ndata: %s\n\n", op.ID, b)
		case <-tick.C:
			fmt.Fprint(w, ": idle\n\n")
		case <-r.Context().Done():
			return
		}
		flusher.Flush()
	}
}

// queryInt reads a non-negative integer parameter.
func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badRequest("%s=%q: want a number of 0 or more", name, v)
	}
	return n, nil
}
