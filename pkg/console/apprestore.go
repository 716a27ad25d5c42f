package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/apprestore"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// hostLockWait is how long a confirmed restore waits for the host lock a
// backup, drill or other restore holds, before it is refused.
const hostLockWait = 10 * time.Second

// appRestoreRequest names what an app or volume restore brings back, from
// a form or the query: an app, or one volume, of the snapshot.
type appRestoreRequest struct {
	App, Volume           string
	Recreate, SavedImages bool
}

func parseAppRestore(r *http.Request) (appRestoreRequest, error) {
	if err := r.ParseForm(); err != nil {
		return appRestoreRequest{}, badRequest("restore plan: %v", err)
	}
	q := appRestoreRequest{App: strings.TrimSpace(r.Form.Get("app")), Volume: strings.TrimSpace(r.Form.Get("volume")),
		Recreate: r.Form.Get("recreate") != "", SavedImages: r.Form.Get("saved_images") != ""}
	if (q.App == "") == (q.Volume == "") {
		return q, badRequest("restore plan: name an app (?app=NAME) or a volume (?volume=NAME), not both")
	}
	if q.Volume != "" && (q.Recreate || q.SavedImages) {
		return q, badRequest("restore plan: recreate and saved_images are for an app")
	}
	if q.SavedImages && !q.Recreate {
		return q, badRequest("restore plan: saved_images needs recreate")
	}
	return q, nil
}

// query is the request as the plan page's URL carries it.
func (q appRestoreRequest) query() string {
	v := url.Values{}
	if q.App != "" {
		v.Set("app", q.App)
	} else {
		v.Set("volume", q.Volume)
	}
	if q.Recreate {
		v.Set("recreate", "on")
	}
	if q.SavedImages {
		v.Set("saved_images", "on")
	}
	return v.Encode()
}

// errNoDocker answers an app or volume restore where no Docker engine is
// reachable (drydock ui on a laptop).
func errNoDocker(err error) error {
	return &httpError{status: http.StatusServiceUnavailable,
		msg: fmt.Sprintf("no Docker engine is reachable from this drydock (%v): restoring apps and volumes needs one on this host (check DOCKER_HOST)", err)}
}

// docker is the Docker side of an app or volume restore.
type docker struct {
	cli *client.Client
	m   *volume.Manager
}

// openDocker connects to the engine the environment names (DOCKER_HOST),
// as drydock volumes does.
func (s *Server) openDocker(ctx context.Context) (*docker, error) {
	if s.stateDir == "" {
		return nil, notFound("this console has no state directory, so it restores no app or volume")
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, errNoDocker(err)
	}
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		return nil, errNoDocker(err)
	}
	m := volume.NewWithClient(cli, volume.Options{StateDir: s.stateDir, Logger: s.log})
	return &docker{cli: cli, m: m}, nil
}

func (d *docker) close() {
	_ = d.m.Close()
	_ = d.cli.Close()
}

func (s *Server) restoreEnv(d *docker, r *repo.Repository) apprestore.Env {
	return apprestore.Env{Docker: d.cli, Volumes: d.m, Repo: r, Logger: s.log, StateDir: s.stateDir}
}

// preview makes the plan of q from snapshot sn, by the restore's own
// decisions.
func preview(ctx context.Context, env apprestore.Env, sn repo.Snapshot, q appRestoreRequest) (*apprestore.Preview, error) {
	if q.App != "" {
		def, err := loadApp(ctx, env.Repo, sn, q.App)
		if err != nil {
			return nil, err
		}
		return apprestore.PreviewApp(ctx, env, def, q.appOptions())
	}
	t, err := volumeTarget(ctx, env, sn, q.Volume)
	if err != nil {
		return nil, err
	}
	return apprestore.PreviewVolumes(ctx, env, sn, []apprestore.Target{t})
}

func (q appRestoreRequest) appOptions() apprestore.AppOptions {
	return apprestore.AppOptions{Recreate: q.Recreate, SavedImages: q.SavedImages}
}

func loadApp(ctx context.Context, r *repo.Repository, sn repo.Snapshot, app string) (*appdef.Definition, error) {
	if !appdef.HoldsApp(sn, app) {
		return nil, notFound("snapshot %s holds no app %s (its apps: %v)", sn.ID.Str(), app, appdef.Apps(sn))
	}
	return appdef.Load(ctx, r, sn, app)
}

// volumeTarget is the restore of volume name, which must exist, from sn.
func volumeTarget(ctx context.Context, env apprestore.Env, sn repo.Snapshot, name string) (apprestore.Target, error) {
	v, err := env.Docker.VolumeInspect(ctx, name)
	if err != nil {
		return apprestore.Target{}, notFound("volume %s (create it first with docker volume create, or restore its app): %v", name, err)
	}
	p, err := apprestore.SnapshotPathOf(sn, name, v.Mountpoint)
	if err != nil {
		return apprestore.Target{}, notFound("%v", err)
	}
	return apprestore.Target{Name: name, SnapshotPath: p}, nil
}

// plan makes the plan of q from snapshot ref of src, changing nothing.
func (s *Server) plan(ctx context.Context, src *source, ref string, q appRestoreRequest) (*apprestore.Preview, error) {
	d, err := s.openDocker(ctx)
	if err != nil {
		return nil, err
	}
	defer d.close()
	var pv *apprestore.Preview
	err = src.read(ctx, func(ctx context.Context) error {
		sn, err := src.snapshot(ctx, ref)
		if err != nil {
			return err
		}
		pv, err = preview(ctx, s.restoreEnv(d, src.r), sn, q)
		return err
	})
	return pv, err
}

// refusedError is a confirmed restore refused because a precondition
// does not hold (any longer): 409, with the plan.
type refusedError struct{ plan *apprestore.Preview }

func (e *refusedError) Error() string {
	var lines []string
	for _, c := range e.plan.Failed() {
		lines = append(lines, fmt.Sprintf("%s %s: %s", c.Kind, c.Subject, c.Detail))
	}
	return "the restore is refused, a precondition does not hold: " + strings.Join(lines, "; ")
}
