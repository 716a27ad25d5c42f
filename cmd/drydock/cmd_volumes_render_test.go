package main

import (
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// renderInv builds an inventory for the render tests: running containers
// whose ID is "id-" + name, mounting the named volumes read-write (":ro"
// for read-only), with dependencies from drydock.depends-on.
type renderInv struct{ inv appplan.Inventory }

func (b *renderInv) vol(name string, labels map[string]string) {
	s, err := appplan.ParseSettings(labels)
	b.inv.Volumes = append(b.inv.Volumes, appplan.VolumeInfo{Name: name, Mountpoint: "/var/lib/docker/volumes/" + name + "/_data", Labels: labels, Settings: s, SettingsErr: err})
}

func (b *renderInv) ctr(name string, labels map[string]string, mounts ...string) {
	s, err := appplan.ParseSettings(labels)
	c := &appplan.Container{ID: "id-" + name, Name: name, Running: true, Labels: labels, Settings: s, SettingsErr: err}
	for _, m := range mounts {
		src, mode, _ := strings.Cut(m, ":")
		c.Mounts = append(c.Mounts, appplan.Mount{Name: src, Source: src, Destination: "/data", RW: mode != "ro"})
	}
	for _, d := range s.DependsOn {
		c.Deps = append(c.Deps, appplan.RawDep{Source: appplan.DepLabel, Target: d})
	}
	b.inv.Containers = append(b.inv.Containers, c)
}

func (b *renderInv) render(t *testing.T) string {
	t.Helper()
	var out strings.Builder
	if err := renderPlan(&out, appplan.BuildPlan(&b.inv, appplan.PlanOptions{})); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func renderYes() map[string]string { return map[string]string{appplan.LabelBackup: "true"} }

// TestVolumesRenderPlan: the text of drydock volumes ls shows an app's
// group, stop and start waves, hook user and kept containers with why.
func TestVolumesRenderPlan(t *testing.T) {
	b := &renderInv{}
	b.vol("db", renderYes())
	b.vol("files", renderYes())
	b.vol("logs", map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: "shop"})
	b.ctr("db", map[string]string{appplan.LabelGroup: "shop", appplan.LabelHookPre: "pg_dump", appplan.LabelHookUser: "postgres"}, "db")
	b.ctr("web", map[string]string{appplan.LabelDependsOn: "db"}, "files")
	b.ctr("reader", nil, "db:ro")
	b.ctr("proxy", map[string]string{appplan.LabelDependsOn: "web"})
	out := b.render(t)
	for _, want := range []string{"app shop (group=shop)", "stop waves: proxy -> web -> db", "start waves: db -> web -> proxy",
		"user postgres", "keep running:\n    reader  mounts db read-only"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered plan lacks %q:\n%s", want, out)
		}
	}
}

// TestVolumesRenderCycle: an app's error is shown with the app.
func TestVolumesRenderCycle(t *testing.T) {
	b := &renderInv{}
	b.vol("v", renderYes())
	b.ctr("a", map[string]string{appplan.LabelDependsOn: "b"}, "v")
	b.ctr("b", map[string]string{appplan.LabelDependsOn: "a"})
	if out := b.render(t); !strings.Contains(out, "error: app v: dependency cycle") {
		t.Errorf("rendered plan does not show the cycle:\n%s", out)
	}
}

// TestVolumesRenderMaxDowntime: the line appears only for an app that
// sets drydock.max-downtime.
func TestVolumesRenderMaxDowntime(t *testing.T) {
	for _, tt := range []struct {
		downtime string
		want     string
	}{{"", ""}, {"90s", "max downtime: 1m30s (drydock.max-downtime=1m30s on volume v)"}} {
		b := &renderInv{}
		labels := renderYes()
		if tt.downtime != "" {
			labels[appplan.LabelMaxDowntime] = tt.downtime
		}
		b.vol("v", labels)
		b.ctr("w", nil, "v")
		out := b.render(t)
		if rendered := strings.Contains(out, "max downtime: "); rendered != (tt.want != "") || !strings.Contains(out, tt.want) {
			t.Errorf("max-downtime %q: rendered\n%s\nwant the line %q", tt.downtime, out, tt.want)
		}
	}
}
