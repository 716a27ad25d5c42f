package volume_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// onMessage is a slog.Handler that calls fn, synchronously, when a record
// with message msg is logged: the benchmark's way to act between the warm
// pass and the freeze (drydock logs "pausing container" and "stopping
// container" just before the request).
type onMessage struct {
	slog.Handler
	msg string
	fn  func()
}

// Enabled is true for every level: the record must reach Handle.
func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }

func (h onMessage) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.fn()
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h onMessage) WithAttrs(as []slog.Attr) slog.Handler {
	return onMessage{h.Handler.WithAttrs(as), h.msg, h.fn}
}

func (h onMessage) WithGroup(g string) slog.Handler {
	return onMessage{h.Handler.WithGroup(g), h.msg, h.fn}
}

// BenchmarkDockerFreeze backs up a 400 MB volume (1600 files of 256 KiB)
// through pkg/backup into a local repository, the app's files changing by
// 1% (16 files) between the warm pass and the final one, for each mode
// (pause: drydock.stop=pause; stop: the default) and app shape (1: one
// container; 2dep: the volume's container and a consumer that depends on
// it and mounts the volume too, stopped first and started last). It
// reports
//
//	drydock-ms  the app's downtime (for pause, the freeze)
//	docker-ms   Docker's own stop+start (pause+unpause) of the same
//	            containers in the same order, measured after each run
//	share-%     what drydock adds on top of Docker's own time
//
// The 16 files are written when drydock logs that it is about to pause or
// stop, after it noted the downtime's start; that write's time is
// subtracted. Run it as root with a Docker engine:
//
//	go test -run '^$' -bench DockerFreeze -benchtime 5x ./pkg/volume/
func BenchmarkDockerFreeze(b *testing.B) {
	for _, mode := range []string{"pause", "stop"} {
		for _, shape := range []string{"1", "2dep"} {
			b.Run(mode+"/"+shape, func(b *testing.B) { benchFreeze(b, mode, shape == "2dep") })
		}
	}
}

func benchFreeze(b *testing.B, mode string, dep bool) {
	const files, size = 1600, 256 << 10
	if os.Geteuid() != 0 {
		b.Skip("volume data is readable by root only")
	}
	env := dockertest.New(b)
	vol := env.Volume("freeze", map[string]string{appplan.LabelBackup: "true"})
	v, err := env.Cli.VolumeInspect(b.Context(), vol)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{'f', 'r', 'e', 'e', 'z', 'e'})
	buf := make([]byte, size)
	write := func(i int) {
		_, _ = rng.Read(buf)
		p := filepath.Join(v.Mountpoint, fmt.Sprintf("d%02d/f%04d", i%32, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for i := range files {
		write(i)
	}
	labels := func() map[string]string {
		l := map[string]string{}
		if mode == "pause" {
			l[appplan.LabelStop] = appplan.StopPause
		}
		return l
	}
	db := env.Container(dockertest.Spec{Name: "app", Mounts: []string{vol + ":/data"}, Labels: labels()})
	order := []string{db} // stop order: consumers first
	if dep {
		l := labels()
		l[appplan.LabelDependsOn] = env.Name("app")
		// It shares the volume too: drydock pauses only the containers
		// that mount it (stopping takes the consumers along).
		api := env.Container(dockertest.Spec{Name: "api", Labels: l, Mounts: []string{vol + ":/shared"}})
		order = []string{api, db}
	}

	var mu sync.Mutex
	var injected time.Duration
	round := 0
	changed := false
	change := func() {
		mu.Lock()
		defer mu.Unlock()
		if changed { // once per run: the first pause or stop
			return
		}
		changed = true
		start := time.Now()
		for j := range files / 100 {
			write((round*101 + j*97) % files)
		}
		injected += time.Since(start)
	}
	msg := "stopping container"
	if mode == "pause" {
		msg = "pausing container"
	}
	base := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})
	m := volume.NewWithClient(env.Cli, volume.Options{StateDir: b.TempDir(), Logger: slog.New(onMessage{base, msg, change})})
	r := freezeRepo(b)
	p, err := m.Plan(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	var app *appplan.App
	for _, a := range p.Apps {
		if len(a.Volumes) > 0 && a.Volumes[0].Name == vol {
			app = a
		}
	}
	if app == nil || len(app.Stop) != len(order) {
		b.Fatalf("want an app of %d containers for %s:\n%s", len(order), vol, planview.String(p))
	}
	p.Apps = []*appplan.App{app}
	// The first snapshot, which the next ones build on.
	if _, err := backup.Volumes(b.Context(), m, r, p, backup.VolumeOptions{Host: "bench"}); err != nil {
		b.Fatal(err)
	}

	// dockerOwn does what drydock does to the containers, with nothing in
	// between: stop (pause) in stop order, start (unpause) in reverse.
	dockerOwn := func() time.Duration {
		ctx := b.Context()
		start := time.Now()
		for _, id := range order {
			var err error
			if mode == "pause" {
				err = env.Cli.ContainerPause(ctx, id)
			} else {
				err = env.Cli.ContainerStop(ctx, id, container.StopOptions{})
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		for _, id := range slices.Backward(order) {
			var err error
			if mode == "pause" {
				err = env.Cli.ContainerUnpause(ctx, id)
			} else {
				err = env.Cli.ContainerStart(ctx, id, container.StartOptions{})
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	dockerOwn() // warm

	var total, own time.Duration
	mu.Lock()
	injected = 0
	mu.Unlock()
	b.ResetTimer()
	for i := range b.N {
		mu.Lock()
		round, changed = i+1, false
		mu.Unlock()
		reps, err := backup.Volumes(b.Context(), m, r, p, backup.VolumeOptions{Host: "bench"})
		if err != nil || len(reps) != 1 {
			b.Fatalf("backup: %v %+v", err, reps)
		}
		if reps[0].Final == nil || reps[0].Final.FilesChanged < files/100 {
			b.Fatalf("final pass %+v: want the %d changed files read there", reps[0].Final, files/100)
		}
		// For a pause-only app the downtime is the freeze.
		total += time.Duration(reps[0].DowntimeSeconds * float64(time.Second))
		b.StopTimer()
		own += dockerOwn()
		b.StartTimer()
	}
	b.StopTimer()
	for _, id := range order {
		if ins := env.Inspect(id); !ins.State.Running || ins.State.Paused {
			b.Errorf("container %s running %v paused %v after the runs", ins.Name, ins.State.Running, ins.State.Paused)
		}
	}
	mu.Lock()
	down := (total - injected) / time.Duration(b.N)
	mu.Unlock()
	own /= time.Duration(b.N)
	b.ReportMetric(float64(down.Microseconds())/1000, "drydock-ms")
	b.ReportMetric(float64(own.Microseconds())/1000, "docker-ms")
	b.ReportMetric(100*float64(down-own)/float64(own), "share-%")
}

// freezeRepo creates a local repository for the benchmark.
func freezeRepo(b *testing.B) *repo.Repository {
	be, err := local.Create(b.Context(), filepath.Join(b.TempDir(), "repo"))
	if err != nil {
		b.Fatal(err)
	}
	r, err := repo.Init(b.Context(), be, "bench", repo.InitOptions{KDF: crypto.Params{N: 1024, R: 8, P: 1}}, repo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return r
}
