package console

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdp "github.com/chromedp/chromedp"

	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// TestBrowserRestore drives chromium through what an operator does
// besides browsing: see the host's apps and a stale lock on the overview
// and remove the lock; pick two snapshots and read their diff; filter the
// snapshots by time; and restore a file through the tree page's form
// into a directory, following the operation to its end on its page, then
// compare the restored bytes. The new pages are saved as PNGs, on a
// desktop and on a phone in the dark (see TestBrowser).
func TestBrowserRestore(t *testing.T) {
	chromium := testenv.RequireBinary(t, "chromium")
	f := newFixture(t)
	data := filepath.ToSlash(f.data)
	must(t, os.WriteFile(filepath.Join(f.data, "etc/app/config.txt"), []byte("listen = 9090\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(f.data, "etc/new.txt"), []byte("new\n"), 0o644))
	must(t, os.RemoveAll(filepath.Join(f.data, "odd")))
	third, err := backup.RunPaths(t.Context(), f.r, []string{f.data}, backup.PathOptions{Host: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	stale := repotest.OtherExclusive()
	stale.Time = time.Now().Add(-3 * time.Hour)
	repotest.SaveLock(t, f.r, stale)
	con, err := New(Options{Repositories: map[string]*repo.Repository{"default": f.r}, Token: secret.New(testToken),
		Jobs: f.jobs, History: f.ops, Apps: fixedApps{rep: browserApps()}})
	if err != nil {
		t.Fatal(err)
	}
	con.limit.delay = 0
	srv := httptest.NewServer(con)
	t.Cleanup(srv.Close)

	b := newBrowser(t, chromium)
	heading := func(p string) string { return `//h1[normalize-space()="` + p + `"]` }
	status := func(s string) string { return `//span[contains(@class,"status") and normalize-space()="` + s + `"]` }
	b.do(cdp.Navigate(srv.URL+"/"), cdp.WaitVisible(cdp.CSS("#token")))
	b.do(cdp.SendKeys(cdp.CSS("#token"), testToken), cdp.Submit(cdp.CSS("#token")), cdp.WaitVisible(heading("Overview")))
	b.shot("20-overview-apps-locks")
	if main := b.text("main"); !strings.Contains(main, "Apps on this host") || !strings.Contains(main, "1 stale lock(s)") {
		t.Errorf("overview lacks the apps or the stale lock:\n%s", main)
	}
	b.do(cdp.Click(`//div[contains(@class,"lock-alert")]//button`), cdp.WaitVisible(status("success")))
	b.shot("21-unlock-done")
	if log := b.text(cdp.CSS("table.log")); !strings.Contains(log, "removed 1 stale lock(s)") {
		t.Errorf("unlock's log: %q", log)
	}

	b.do(cdp.Navigate(srv.URL+"/repositories/default/snapshots"), cdp.WaitVisible(`//main//table`))
	b.shot("22-snapshots-diff-pick")
	b.do(cdp.Click(`//form[@id="diff"]//button`), cdp.WaitVisible(`//table[@class="diff"]`))
	b.shot("23-diff")
	if diff := b.text(cdp.CSS("table.diff")); !strings.Contains(diff, data+"/etc/app/config.txt") || !strings.Contains(diff, data+"/odd/") {
		t.Errorf("diff lists %q", diff)
	}
	today := time.Now().Format(time.DateOnly)
	b.do(cdp.Navigate(srv.URL+"/repositories/default/snapshots"), cdp.WaitVisible(`//main//table`))
	b.do(cdp.SendKeys(`//input[@name="since"]`, today), cdp.SendKeys(`//input[@name="until"]`, today),
		cdp.Click(`//form[contains(@class,"filter")]//button`), cdp.WaitVisible(`//input[@name="since" and @value="`+today+`"]`))
	b.shot("24-snapshots-time-filter")
	if count := b.text(cdp.CSS("p.count")); count != "1–3 of 3, newest first" {
		t.Errorf("filtered to today: %q", count)
	}

	target := t.TempDir()
	b.do(cdp.Navigate(srv.URL+treeURL("default", third.ID.String(), data+"/etc/app")), cdp.WaitVisible(heading(data+"/etc/app")))
	b.do(cdp.Click(`//input[@aria-label="restore config.txt"]`), cdp.SendKeys(`//input[@name="target"]`, target))
	b.shot("25-restore-form")
	b.do(cdp.Click(`//form[@id="restore"]//button`), cdp.WaitVisible(`//dl[@data-operation]`))
	b.do(cdp.WaitVisible(status("success")))
	b.shot("26-restore-done")
	got, err := os.ReadFile(filepath.Join(target, f.data, "etc/app/config.txt"))
	if err != nil || !bytes.Equal(got, []byte("listen = 9090\n")) {
		t.Errorf("restored config.txt: %q, %v; want the third snapshot's", got, err)
	}
	if _, err := os.Lstat(filepath.Join(target, f.data, "etc/app/empty.txt")); err == nil {
		t.Error("restored an entry that was not ticked")
	}

	if _, err := cdp.Call(b.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := cdp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	b.do(cdp.Navigate(srv.URL+"/"), cdp.WaitVisible(heading("Overview")))
	b.shot("27-overview-apps-phone-dark")
	b.do(cdp.Navigate(srv.URL+"/repositories/default/snapshots"), cdp.WaitVisible(`//main//table`))
	b.shot("28-snapshots-phone-dark")
	b.do(cdp.Navigate(srv.URL+"/repositories/default/diff?a="+f.beta.String()+"&b="+third.ID.String()), cdp.WaitVisible(`//table[@class="diff"]`))
	b.shot("29-diff-phone-dark")
	t.Logf("screenshots in %s", b.shots)
}

// browserApps is what the overview shows of a host with two apps: one
// backed up with a cache volume skipped and a failed drill, one that no
// job selects.
func browserApps() AppsReport {
	now := time.Now()
	return AppsReport{Apps: []App{
		{Name: "shop", Jobs: []string{"nightly"},
			Volumes: []AppVolume{{Name: "shop_db", Tier: "data", Reason: "drydock.backup=true on container shop-db-1", MountedBy: []string{"shop-db-1"}},
				{Name: "shop_uploads", Tier: "data", Reason: "drydock.backup=true on the volume", MountedBy: []string{"shop-web-1"}}},
			Containers: []AppContainer{{Name: "shop-db-1", Running: true, Action: "stop", Reason: "mounts shop_db read-write"},
				{Name: "shop-web-1", Running: true, Action: "stop", Reason: "depends on shop-db-1"}},
			Skipped:            []SkippedVolume{{Name: "shop_cache", Tier: "cache", Reason: "drydock.tier=cache (only data is backed up)"}},
			MaxDowntimeSeconds: 60,
			LastDowntime:       &Downtime{Seconds: 4.2, Time: now.Add(-2 * time.Hour), Job: "nightly"},
			LastDrill:          &Drill{Time: now.Add(-26 * time.Hour), Passed: false, Seconds: 31, Error: "container shop-db-1 did not become healthy within 2m"}},
		{Name: "wiki", Volumes: []AppVolume{{Name: "wiki_data", Tier: "data", Reason: "drydock.backup=true on the volume"}},
			Containers: []AppContainer{{Name: "wiki-1", Running: false, Action: "stop", Reason: "mounts wiki_data read-write"}}},
	}, Skipped: []SkippedVolume{{Name: "buildkit_state", Reason: "not opted in (no drydock.backup=true on it or a container mounting it)"}}}
}
