package volume_test

import (
	"context"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// BenchmarkDockerDowntime measures the downtime of one backup of a
// three-container chain (db <- api <- web, db with a healthcheck) whose
// final pass does nothing: the floor drydock itself adds. Reported as
// downtime-ms per backup.
func BenchmarkDockerDowntime(b *testing.B) {
	env := dockertest.New(b)
	env.CheckRunning = true
	m := volume.NewWithClient(env.Cli, volume.Options{StateDir: b.TempDir(), HealthTimeout: 30 * time.Second})
	vol := env.Volume("data", map[string]string{appplan.LabelBackup: "true"})
	env.Container(dockertest.Spec{Name: "db", Mounts: []string{vol + ":/data"}, Health: true})
	env.Container(dockertest.Spec{Name: "api", Labels: map[string]string{appplan.LabelDependsOn: env.Name("db")}})
	env.Container(dockertest.Spec{Name: "web", NetworkMode: "container:" + env.Name("api")})
	p, err := m.Plan(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	var app *appplan.App
	for _, a := range p.Apps {
		if a.Volumes[0].Name == vol {
			app = a
		}
	}
	if app == nil {
		b.Fatalf("no app for %s:\n%s", vol, planview.String(p))
	}
	p.Apps = []*appplan.App{app}
	noop := func(context.Context, appplan.App, volume.Pass) error { return nil }
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		rs, err := m.BackupPlan(b.Context(), p, noop)
		if err != nil {
			b.Fatal(err)
		}
		if len(rs[0].Stopped) != 3 {
			b.Fatalf("stopped %v, want 3", rs[0].Stopped)
		}
		total += rs[0].Downtime
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "downtime-ms")
}
