package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/oplog"
	"github.com/drydock-backup/drydock/pkg/repo"
)

// planJSON is the plan as the API answers it.
type planJSON struct {
	OK bool `json:"ok"`
	*apprestore.Preview
}

// apiAppRestorePlan answers GET .../snapshots/{id}/apprestore?app=|volume=
// with the plan.
func (s *Server) apiAppRestorePlan(w http.ResponseWriter, r *http.Request) {
	pv, err := s.planOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, planJSON{OK: pv.OK(), Preview: pv})
}

// apiAppRestore answers POST .../snapshots/{id}/apprestore?app=|volume=:
// 202 and the operation, or 409 with the checks that fail.
func (s *Server) apiAppRestore(w http.ResponseWriter, r *http.Request) {
	op, err := s.confirmed(r)
	var refused *refusedError
	switch {
	case errors.As(err, &refused):
		writeJSON(w, http.StatusConflict, struct {
			Error  string             `json:"error"`
			Failed []apprestore.Check `json:"failed"`
			Plan   planJSON           `json:"plan"`
		}{err.Error(), refused.plan.Failed(), planJSON{Preview: refused.plan}})
	case err != nil:
		s.fail(w, r, err)
	default:
		w.Header().Set("Location", "/api/v1/operations/"+op.ID)
		writeJSON(w, http.StatusAccepted, op)
	}
}

// pageAppRestore shows the plan, with a Confirm button if it may go on.
func (s *Server) pageAppRestore(w http.ResponseWriter, r *http.Request) {
	pv, err := s.planOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, _ := parseAppRestore(r)
	s.render(w, r, http.StatusOK, "apprestore", s.newPlanPage(r, q, pv, false))
}

// formAppRestore is the plan page's Confirm: on to the operation's page,
// or the plan again (409) if it no longer holds.
func (s *Server) formAppRestore(w http.ResponseWriter, r *http.Request) {
	op, err := s.confirmed(r)
	var refused *refusedError
	switch {
	case errors.As(err, &refused):
		q, _ := parseAppRestore(r)
		s.render(w, r, http.StatusConflict, "apprestore", s.newPlanPage(r, q, refused.plan, true))
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, operationURL(op.ID), http.StatusSeeOther)
	}
}

func (s *Server) planOf(r *http.Request) (*apprestore.Preview, error) {
	q, err := parseAppRestore(r)
	if err != nil {
		return nil, err
	}
	src, err := s.source(r.PathValue("repo"))
	if err != nil {
		return nil, err
	}
	return s.plan(r.Context(), src, r.PathValue("id"), q)
}

func (s *Server) confirmed(r *http.Request) (oplog.Operation, error) {
	q, err := parseAppRestore(r)
	if err != nil {
		return oplog.Operation{}, err
	}
	return s.startAppRestore(r.Context(), r.PathValue("repo"), r.PathValue("id"), q)
}

// planPage is the plan of an app or volume restore.
type planPage struct {
	Repo, SnapshotID, ShortID string
	What                      string // "app NAME", "volume NAME"
	App, Volume               string
	Recreate, SavedImages     bool
	Plan                      *apprestore.Preview
	Bytes                     string
	Volumes                   []planVolume
	Checks                    []planCheck
	Failed                    int
	Refused                   bool   // the confirmed restore was refused
	ConfirmURL                string // empty: it may not go on
	SnapshotURL               string
}

func (p planPage) title() string { return "Restore " + p.What }

type planVolume struct {
	apprestore.VolumePlan
	Size string
}

type planCheck struct {
	apprestore.Check
	What string // what it asks, in words
}

func (s *Server) newPlanPage(r *http.Request, q appRestoreRequest, pv *apprestore.Preview, refused bool) planPage {
	repoName, short := r.PathValue("repo"), pv.SnapshotID
	if len(short) > 8 {
		short = short[:8]
	}
	base := "/repositories/" + repoName + "/snapshots/" + pv.SnapshotID
	p := planPage{Repo: repoName, SnapshotID: pv.SnapshotID, ShortID: short, What: q.what(), App: q.App, Volume: q.Volume,
		Recreate: q.Recreate, SavedImages: q.SavedImages, Plan: pv, Bytes: humanize.Bytes(pv.Bytes, 3), Refused: refused,
		SnapshotURL: base + "/tree/"}
	for _, v := range pv.Volumes {
		p.Volumes = append(p.Volumes, planVolume{VolumePlan: v, Size: humanize.Bytes(v.Bytes, 3)})
	}
	for _, c := range pv.Checks {
		p.Checks = append(p.Checks, planCheck{Check: c, What: checkPhrases[c.Kind]})
	}
	p.Failed = len(pv.Failed())
	if pv.OK() && s.history != nil {
		p.ConfirmURL = base + "/apprestore?" + q.query()
	}
	return p
}

// checkPhrases say what each precondition asks.
var checkPhrases = map[apprestore.CheckKind]string{
	apprestore.KindVolume:           "the volume exists, or may be created",
	apprestore.KindSwappable:        "its data directory is not a mount point",
	apprestore.KindUnused:           "no running container that is not stopped for it uses it",
	apprestore.KindSnapshot:         "the snapshot holds its data, readable",
	apprestore.KindRoom:             "its filesystem has room to stage the restore",
	apprestore.KindStoppable:        "the app can be stopped in dependency order",
	apprestore.KindApp:              "the snapshot holds what restoring it takes",
	apprestore.KindImage:            "its image is on this host or in the snapshot",
	apprestore.KindDefinition:       "it can be created from its saved definition",
	apprestore.KindDefinitionTarget: "the directory holds none of the files to write",
}

// appRestoreLinks are the plans a snapshot offers: each app it holds, and
// each volume it is tagged with.
func appRestoreLinks(repoName string, sn repo.Snapshot) []crumb {
	base := "/repositories/" + repoName + "/snapshots/" + sn.ID.String() + "/apprestore?"
	var out []crumb
	for _, app := range appdef.Apps(sn) {
		out = append(out, crumb{Name: "Restore app " + app + "…", URL: base + appRestoreRequest{App: app}.query()})
	}
	for _, t := range sn.Tags {
		if v, ok := strings.CutPrefix(t, "volume="); ok && v != "" {
			out = append(out, crumb{Name: "Restore volume " + v + "…", URL: base + appRestoreRequest{Volume: v}.query()})
		}
	}
	return out
}
