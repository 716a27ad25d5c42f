package volume_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/drydock-backup/drydock/internal/dockertest"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/backend/local"
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
// 1% (16 files) between the warm pass and the final one:
//
//	pause  drydock.stop=pause: reports freeze-ms, the time the app is
//	       frozen (Result.Frozen)
//	stop   the default: reports downtime-ms, Docker's own stop+start of the
//	       same container measured alone (docker-stopstart-ms), and the
//	       final pass's share on top of it (final-share-%)
//
// The 16 files are written when drydock logs that it is about to pause or
// stop, after it noted the downtime's start; that write's time is
// subtracted. Run it as root with a Docker engine:
//
//	go test -run '^$' -bench DockerFreeze -benchtime 5x ./pkg/volume/
func BenchmarkDockerFreeze(b *testing.B) {
	const files, size = 1600, 256 << 10
	for _, mode := range []string{"pause", "stop"} {
		b.Run(mode, func(b *testing.B) {
			if os.Geteuid() != 0 {
				b.Skip("volume data is readable by root only")
			}
			env := dockertest.New(b)
			vol := env.Volume("freeze", map[string]string{volume.LabelBackup: "true"})
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
			labels := map[string]string{}
			if mode == "pause" {
				labels[volume.LabelStop] = volume.StopPause
			}
			id := env.Container(dockertest.Spec{Name: "app", Mounts: []string{vol + ":/data"}, Labels: labels})

			var mu sync.Mutex
			var injected time.Duration
			round := 0
			change := func() {
				mu.Lock()
				defer mu.Unlock()
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
			var app *volume.App
			for _, a := range p.Apps {
				if a.Volumes[0].Name == vol {
					app = a
				}
			}
			if app == nil {
				b.Fatalf("no app for %s:\n%s", vol, p)
			}
			p.Apps = []*volume.App{app}
			// The first snapshot, which the next ones build on.
			if _, err := backup.Volumes(b.Context(), m, r, p, backup.VolumeOptions{Host: "bench"}); err != nil {
				b.Fatal(err)
			}

			var stopStart time.Duration
			if mode == "stop" { // Docker's own stop and start, alone
				const n = 3
				for range n {
					start := time.Now()
					if err := env.Cli.ContainerStop(b.Context(), id, container.StopOptions{}); err != nil {
						b.Fatal(err)
					}
					if err := env.Cli.ContainerStart(b.Context(), id, container.StartOptions{}); err != nil {
						b.Fatal(err)
					}
					stopStart += time.Since(start)
				}
				stopStart /= n
			}
			var total time.Duration
			mu.Lock()
			injected = 0
			mu.Unlock()
			b.ResetTimer()
			for i := range b.N {
				mu.Lock()
				round = i + 1
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
			}
			b.StopTimer()
			mu.Lock()
			down := (total - injected) / time.Duration(b.N)
			mu.Unlock()
			if mode == "pause" {
				b.ReportMetric(float64(down.Microseconds())/1000, "freeze-ms")
				if ins := env.Inspect(id); ins.State.Paused || ins.RestartCount != 0 {
					b.Errorf("container paused %v after the runs", ins.State.Paused)
				}
				return
			}
			b.ReportMetric(float64(down.Microseconds())/1000, "downtime-ms")
			b.ReportMetric(float64(stopStart.Microseconds())/1000, "docker-stopstart-ms")
			b.ReportMetric(100*float64(down-stopStart)/float64(stopStart), "final-share-%")
		})
	}
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
