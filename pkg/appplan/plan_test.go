package appplan_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/planview"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

type invBuilder struct{ inv appplan.Inventory }

func (b *invBuilder) vol(name string, labels map[string]string) *invBuilder {
	s, err := appplan.ParseSettings(labels)
	b.inv.Volumes = append(b.inv.Volumes, appplan.VolumeInfo{Name: name, Mountpoint: "/var/lib/docker/volumes/" + name + "/_data", Labels: labels, Settings: s, SettingsErr: err})
	return b
}

// ctr adds a running container; mounts are "vol" (rw), "vol:ro" or "/host/path".
func (b *invBuilder) ctr(name string, labels map[string]string, mounts ...string) *appplan.Container {
	s, err := appplan.ParseSettings(labels)
	c := &appplan.Container{ID: "id-" + name, Name: name, Running: true, Labels: labels, Settings: s, SettingsErr: err}
	for _, m := range mounts {
		src, mode, _ := strings.Cut(m, ":")
		mt := appplan.Mount{Name: src, Source: src, Destination: "/data", RW: mode != "ro"}
		mt.Bind = strings.HasPrefix(src, "/")
		c.Mounts = append(c.Mounts, mt)
	}
	for _, d := range s.DependsOn {
		c.Deps = append(c.Deps, appplan.RawDep{Source: appplan.DepLabel, Target: d})
	}
	b.inv.Containers = append(b.inv.Containers, c)
	return c
}

func yes() map[string]string { return map[string]string{appplan.LabelBackup: "true"} }

func appNames(p *appplan.Plan) []string {
	var out []string
	for _, a := range p.Apps {
		out = append(out, a.Name)
	}
	return out
}

func skipped(p *appplan.Plan, name string) string {
	for _, s := range p.Skipped {
		if s.Name == name {
			return s.Reason
		}
	}
	return ""
}

func TestPlanSelection(t *testing.T) {
	b := &invBuilder{}
	b.vol("plain", nil).vol("on", yes()).vol("off", map[string]string{appplan.LabelBackup: "false"})
	b.vol("by-ctr", nil).vol("vetoed", nil).vol("cache", map[string]string{appplan.LabelBackup: "true", appplan.LabelTier: "cache"})
	b.vol("ctr-tier", yes()).vol("bad", map[string]string{appplan.LabelBackup: "maybe"})
	b.ctr("a", yes(), "by-ctr", "off", "/srv/conf")
	b.ctr("b", map[string]string{appplan.LabelBackup: "true"}, "vetoed")
	b.ctr("c", map[string]string{appplan.LabelBackup: "false"}, "vetoed")
	b.ctr("d", map[string]string{appplan.LabelTier: "rebuildable"}, "ctr-tier")
	b.ctr("e", nil, "plain", "on")

	p := appplan.BuildPlan(&b.inv, appplan.PlanOptions{})
	if got, want := appNames(p), []string{"by-ctr", "on"}; !slices.Equal(got, want) {
		t.Errorf("apps %v, want %v\n%s", got, want, planview.String(p))
	}
	wantSkips := map[string]string{
		"plain":    "not opted in",
		"off":      "drydock.backup=false on the volume",
		"vetoed":   "drydock.backup=false on container c",
		"cache":    "drydock.tier=cache",
		"ctr-tier": "", // the volume's own backup=true, tier from container d
		"bad":      "malformed labels",
	}
	for name, want := range wantSkips {
		got := skipped(p, name)
		if name == "ctr-tier" {
			if !strings.Contains(got, "rebuildable") {
				t.Errorf("ctr-tier skipped for %q, want the container's tier", got)
			}
			continue
		}
		if !strings.Contains(got, want) {
			t.Errorf("%s skipped for %q, want %q", name, got, want)
		}
	}
	if skipped(p, "/srv/conf") != "" || len(p.Apps[0].Volumes) != 1 {
		t.Errorf("bind mount considered without IncludeBinds")
	}
	pb := appplan.BuildPlan(&b.inv, appplan.PlanOptions{IncludeBinds: true})
	if vs := pb.Apps[0].Volumes; len(vs) != 2 || vs[0].Name != "/srv/conf" || !vs[0].Bind || vs[0].Tags[0] != "bind=/srv/conf" {
		t.Errorf("with IncludeBinds: %+v", vs)
	}
}

// TestPlanMarksMalformed: a volume skipped for labels drydock could not
// read (its own, or a mounting container's; a bad value or a mistyped key)
// is marked malformed, so that backup can report it; one skipped by
// choice is not.
func TestPlanMarksMalformed(t *testing.T) {
	b := &invBuilder{}
	b.vol("yes", map[string]string{appplan.LabelBackup: "yes"}).vol("typo", map[string]string{"Drydock.Backup": "true"})
	b.vol("tier", map[string]string{appplan.LabelBackup: "true", appplan.LabelTier: "Cache"})
	b.vol("by-bad-ctr", nil).vol("off", map[string]string{appplan.LabelBackup: "false"}).vol("plain", nil)
	b.ctr("c", map[string]string{appplan.LabelBackup: "true", "drydock.stopp": "false"}, "by-bad-ctr")
	p := appplan.BuildPlan(&b.inv, appplan.PlanOptions{})
	want := map[string]bool{"yes": true, "typo": true, "tier": true, "by-bad-ctr": true, "off": false, "plain": false}
	for _, s := range p.Skipped {
		if m, ok := want[s.Name]; ok && m != s.Malformed {
			t.Errorf("%s: malformed %v (%s), want %v", s.Name, s.Malformed, s.Reason, m)
		}
		delete(want, s.Name)
	}
	if len(want) != 0 || len(p.Apps) != 0 {
		t.Errorf("not skipped: %v; apps %v", want, appNames(p))
	}
}

func TestPlanStopsAndGroups(t *testing.T) {
	b := &invBuilder{}
	b.vol("db", yes()).vol("files", yes()).vol("logs", map[string]string{appplan.LabelBackup: "true", appplan.LabelGroup: "shop"})
	b.vol("other", yes()).vol("shared-ro", yes())
	b.ctr("db", map[string]string{appplan.LabelGroup: "shop", appplan.LabelHookPre: "pg_dump", appplan.LabelHookUser: "postgres"}, "db")
	b.ctr("web", map[string]string{appplan.LabelDependsOn: "db"}, "files")
	b.ctr("reader", nil, "db:ro")
	b.ctr("forced", map[string]string{appplan.LabelStop: "true"}, "shared-ro:ro")
	b.ctr("pinned", map[string]string{appplan.LabelStop: "false"}, "other")
	b.ctr("proxy", map[string]string{appplan.LabelDependsOn: "web"})
	b.ctr("loner", nil)

	p := appplan.BuildPlan(&b.inv, appplan.PlanOptions{})
	if got, want := appNames(p), []string{"other", "shared-ro", "shop"}; !slices.Equal(got, want) {
		t.Fatalf("apps %v, want %v\n%s", got, want, planview.String(p))
	}
	shop := p.Apps[2]
	var vols []string
	for _, v := range shop.Volumes {
		vols = append(vols, v.Name)
	}
	// files joins shop: web stops for files and depends on db.
	if !slices.Equal(vols, []string{"db", "files", "logs"}) || !slices.Equal(shop.Tags, []string{"group=shop"}) {
		t.Errorf("shop volumes %v tags %v", vols, shop.Tags)
	}
	var stop []string
	for _, d := range shop.Stop {
		stop = append(stop, d.Container.Name+": "+d.Reason)
	}
	wantStop := []string{
		"proxy: depends on web (drydock.depends-on)",
		"web: mounts files read-write",
		"db: mounts db read-write",
	}
	if !slices.Equal(stop, wantStop) {
		t.Errorf("stop\n%v\nwant\n%v", strings.Join(stop, "\n"), strings.Join(wantStop, "\n"))
	}
	if len(shop.Kept) != 1 || shop.Kept[0].Container.Name != "reader" || shop.Kept[0].Reason != "mounts db read-only" {
		t.Errorf("kept %+v, want reader (read-only)", shop.Kept)
	}
	if len(shop.Hooks) != 1 || shop.Hooks[0].User != "postgres" || shop.Hooks[0].Cmd[2] != "pg_dump" {
		t.Errorf("hooks %+v", shop.Hooks)
	}
	if d := p.Apps[1].Stop; len(d) != 1 || d[0].Container.Name != "forced" {
		t.Errorf("drydock.stop=true on a read-only mount: stop %+v", d)
	}
	if a := p.Apps[0]; len(a.Stop) != 0 || a.Kept[0].Reason != "drydock.stop=false, mounts other read-write" {
		t.Errorf("drydock.stop=false: stop %+v kept %+v", a.Stop, a.Kept)
	}
	// cmd/drydock's TestVolumesRenderPlan checks how this plan reads.
}

func TestPlanCycleIsAnAppError(t *testing.T) {
	b := &invBuilder{}
	b.vol("v", yes())
	b.ctr("a", map[string]string{appplan.LabelDependsOn: "b"}, "v")
	b.ctr("b", map[string]string{appplan.LabelDependsOn: "a"})
	p := appplan.BuildPlan(&b.inv, appplan.PlanOptions{})
	if len(p.Apps) != 1 || p.Apps[0].Err == nil || !strings.Contains(p.Apps[0].Err.Error(), "a -> b -> a") && !strings.Contains(p.Apps[0].Err.Error(), "b -> a -> b") {
		t.Fatalf("want a cycle error, got\n%s", planview.String(p))
	}
}

func TestPlanMaxDowntime(t *testing.T) {
	downtime := func(d string) map[string]string { return map[string]string{appplan.LabelMaxDowntime: d} }
	with := func(a, b map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range a {
			m[k] = v
		}
		for k, v := range b {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name     string
		build    func(b *invBuilder)
		want     time.Duration
		wantFrom string
		skip     string // when set: v is skipped with this reason (substring)
	}{
		{"none", func(b *invBuilder) {
			b.vol("v", yes())
			b.ctr("w", nil, "v")
		}, 0, "", ""},
		{"on the volume", func(b *invBuilder) {
			b.vol("v", with(yes(), downtime("90s")))
			b.ctr("w", nil, "v")
		}, 90 * time.Second, "drydock.max-downtime=1m30s on volume v", ""},
		{"smallest of volumes and containers wins", func(b *invBuilder) {
			b.vol("v", with(yes(), downtime("5m")))
			b.vol("u", with(yes(), map[string]string{appplan.LabelGroup: "g"}))
			b.ctr("w", with(downtime("2m"), map[string]string{appplan.LabelGroup: "g"}), "v", "u")
			b.ctr("consumer", with(downtime("45s"), map[string]string{appplan.LabelDependsOn: "w"}))
			b.ctr("reader", downtime("1m"), "v:ro")
		}, 45 * time.Second, "drydock.max-downtime=45s on container consumer", ""},
		{"a read-only reader that keeps running counts", func(b *invBuilder) {
			b.vol("v", yes())
			b.ctr("w", downtime("2m"), "v")
			b.ctr("reader", downtime("20s"), "v:ro")
		}, 20 * time.Second, "drydock.max-downtime=20s on container reader", ""},
		{"containers outside the app do not count", func(b *invBuilder) {
			b.vol("v", yes())
			b.vol("other", yes())
			b.ctr("w", downtime("3m"), "v")
			b.ctr("stranger", downtime("1s"), "other")
			b.ctr("idle", downtime("2s"))
		}, 3 * time.Minute, "drydock.max-downtime=3m0s on container w", ""},
		{"malformed on the volume", func(b *invBuilder) {
			b.vol("v", with(yes(), downtime("soon")))
		}, 0, "", `malformed labels: label drydock.max-downtime="soon"`},
		{"malformed on a container", func(b *invBuilder) {
			b.vol("v", yes())
			b.ctr("w", downtime("-1m"), "v")
		}, 0, "", "container w has malformed labels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &invBuilder{}
			tt.build(b)
			p := appplan.BuildPlan(&b.inv, appplan.PlanOptions{})
			if tt.skip != "" {
				if got := skipped(p, "v"); !strings.Contains(got, tt.skip) {
					t.Errorf("v skipped for %q, want %q\n%s", got, tt.skip, planview.String(p))
				}
				if strings.HasPrefix(tt.skip, "container") && !strings.Contains(strings.Join(p.Warnings, "\n"), appplan.LabelMaxDowntime) {
					t.Errorf("warnings %q do not name the label", p.Warnings)
				}
				return
			}
			var app *appplan.App
			for _, a := range p.Apps {
				if slices.ContainsFunc(a.Volumes, func(v appplan.Volume) bool { return v.Name == "v" }) {
					app = a
				}
			}
			if app == nil {
				t.Fatalf("no app for v:\n%s", planview.String(p))
			}
			if app.MaxDowntime != tt.want || app.MaxDowntimeFrom != tt.wantFrom {
				t.Errorf("max downtime %s from %q, want %s from %q", app.MaxDowntime, app.MaxDowntimeFrom, tt.want, tt.wantFrom)
			}
		})
	}
}
