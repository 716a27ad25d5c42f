package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// BenchmarkVolumesDowntime measures how long a running app is stopped for
// the backup of a 1 GiB volume (4096 files of 256 KiB) of which 1% of the
// files changed since the last snapshot, with the page cache dropped before
// each measured backup (a volume's data is rarely all cached on a busy
// host):
//
//	two-pass          drydock volumes backup: warm pass, stop, final pass
//	stop-incremental  stop, one pass with the last snapshot as parent, start
//	stop-full         stop, one pass reading everything, start (tar-style)
//
// Run it as root with a Docker engine:
//
//	go test -run '^$' -bench VolumesDowntime -benchtime 3x ./cmd/drydock/
func BenchmarkVolumesDowntime(b *testing.B) {
	const files, size = 4096, 256 << 10
	for _, mode := range []struct {
		name              string
		singlePass, force bool
	}{
		{"two-pass", false, false},
		{"stop-incremental", true, false},
		{"stop-full", true, true},
	} {
		b.Run(mode.name, func(b *testing.B) {
			env := dockertest.New(b)
			if os.Geteuid() != 0 {
				b.Skip("volume data is readable by root only")
			}
			vol := env.Volume("bench", map[string]string{appplan.LabelBackup: "true"})
			v, err := env.Cli.VolumeInspect(b.Context(), vol)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.NewChaCha8([32]byte{'d', 'o', 'w', 'n'})
			buf := make([]byte, size)
			for i := range files {
				_, _ = rng.Read(buf)
				writeFile(b, filepath.Join(v.Mountpoint, fmt.Sprintf("d%02d/f%04d", i%32, i)), buf)
			}
			env.Container(dockertest.Spec{Name: "bench", Mounts: []string{vol + ":/data"}})
			g, vopts := benchCLI(b)
			benchBackup(b, g, vopts, volumesBackupOptions{}, vol) // the snapshot the next ones build on
			b.ResetTimer()
			var downtime, final float64
			for i := range b.N {
				b.StopTimer()
				for j := range files / 100 { // 1% of the files change
					_, _ = rng.Read(buf)
					writeFile(b, filepath.Join(v.Mountpoint, fmt.Sprintf("d%02d/f%04d", (i*7+j*97)%files%32, (i*7+j*97)%files)), buf)
				}
				dropCaches()
				b.StartTimer()
				r := benchBackup(b, g, vopts, volumesBackupOptions{singlePass: mode.singlePass, force: mode.force}, vol)
				downtime += r.DowntimeSeconds
				final += r.Final.Seconds
			}
			b.ReportMetric(downtime/float64(b.N), "downtime-s/op")
			b.ReportMetric(final/float64(b.N), "final-pass-s/op")
			b.SetBytes(files * size)
		})
	}
}

// dropCaches empties the page cache (root only; otherwise a no-op).
func dropCaches() {
	exec.Command("sync").Run()
	_ = os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200)
}

// benchCLI returns options for a fresh repository and state directory.
func benchCLI(b *testing.B) (*globalOptions, *volumesOptions) {
	env := map[string]string{
		"RESTIC_REPOSITORY": filepath.Join(b.TempDir(), "repo"),
		"RESTIC_PASSWORD":   "bench",
		"HOME":              b.TempDir(),
	}
	var out bytes.Buffer
	g := &globalOptions{stdin: strings.NewReader(""), stdout: &out, stderr: os.Stderr, getenv: func(k string) string { return env[k] }}
	root := newRoot(g)
	root.SetArgs([]string{"init"})
	if err := root.ExecuteContext(b.Context()); err != nil {
		b.Fatal(err)
	}
	g = &globalOptions{stdin: strings.NewReader(""), stdout: &out, stderr: os.Stderr, getenv: g.getenv, json: true}
	return g, &volumesOptions{stateDir: b.TempDir()}
}

func benchBackup(b *testing.B, g *globalOptions, vopts *volumesOptions, opts volumesBackupOptions, vol string) appReport {
	b.Helper()
	out := g.stdout.(*bytes.Buffer)
	out.Reset()
	if err := runVolumesBackup(b.Context(), vopts, opts, g, []string{vol}); err != nil {
		b.Fatal(err)
	}
	var rep backupJSON
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		b.Fatal(err)
	}
	if len(rep.Apps) != 1 || rep.Apps[0].Final == nil {
		b.Fatalf("report %s", out.Bytes())
	}
	return rep.Apps[0]
}
