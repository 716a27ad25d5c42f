package console

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	cdp "github.com/chromedp/chromedp"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/oplog"
)

// TestBrowser drives Debian's chromium through the console as an operator
// would: log in with the token, see the snapshots, open one, browse down
// two folders to a file, download it, page through a big folder, and see
// the pages on a phone in dark mode. Each page is saved as a PNG in
// $DRYDOCK_ARTIFACTS/console (else a temporary directory) to look at.
func TestBrowser(t *testing.T) {
	chromium := testenv.RequireBinary(t, "chromium")
	f := newFixture(t)
	b := newBrowser(t, chromium)
	downloads := t.TempDir()
	data := filepath.ToSlash(f.data)
	link := func(text string) string { return `//main//a[normalize-space()="` + text + `"]` }
	heading := func(p string) string { return `//h1[normalize-space()="` + p + `"]` }

	b.do(cdp.Navigate(f.srv.URL + "/"))
	b.do(cdp.WaitVisible(cdp.CSS("#token")))
	b.shot("01-login")
	b.do(cdp.SendKeys(cdp.CSS("#token"), testToken), cdp.Submit(cdp.CSS("#token")), cdp.WaitVisible(heading("Overview")))
	b.shot("02-overview")
	if overview := b.text("main"); !strings.Contains(overview, "docs") || !strings.Contains(overview, "Nothing has run yet") {
		t.Errorf("overview lacks the jobs or the empty history:\n%s", overview)
	}
	b.do(cdp.Click(link("default")), cdp.WaitVisible(`//main//table`))
	b.shot("02b-snapshots")
	snapshots := b.text("main")
	for _, want := range []string{f.alpha.Str(), f.beta.Str(), "alpha", "beta", "web", "1–2 of 2"} {
		if !strings.Contains(snapshots, want) {
			t.Errorf("snapshots page lacks %q:\n%s", want, snapshots)
		}
	}
	b.do(cdp.Click(link(f.beta.Str())), cdp.WaitVisible(heading("/")))
	b.shot("03-snapshot-root")

	// The backed-up folder lies deep in a temporary path: go there as
	// from a bookmark, then browse by the links.
	dataURL := f.srv.URL + treeURL("default", f.beta.String(), data)
	b.do(cdp.Navigate(dataURL), cdp.WaitVisible(heading(data)))
	b.shot("04-folder")
	b.do(cdp.Click(link("etc/")), cdp.WaitVisible(heading(data+"/etc")))
	b.do(cdp.Click(link("app/")), cdp.WaitVisible(heading(data+"/etc/app")))
	b.shot("05-subfolder")
	b.do(cdp.Click(link("config.txt")), cdp.WaitVisible(cdp.CSS("pre.text")))
	b.shot("06-file")
	if got := b.text(cdp.CSS("pre.text")); got != string(f.files["etc/app/config.txt"]) {
		t.Errorf("file page shows %q, want the file", got)
	}

	_, err := cdp.Call(b.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true)})
	if err != nil {
		t.Fatal(err)
	}
	progress := cdp.Events(b.ctx, browser.DownloadProgress)
	b.do(cdp.Click(link("Download")))
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			got, err := os.ReadFile(filepath.Join(downloads, ev.GUID))
			if err != nil || !bytes.Equal(got, f.files["etc/app/config.txt"]) {
				t.Errorf("downloaded %q (%v), want the file's bytes", got, err)
			}
			break
		}
	}

	// Back up the breadcrumb, and into the big folder.
	b.do(cdp.Click(`//nav[@class="crumbs"]/a[normalize-space()="data"]`), cdp.WaitVisible(heading(data)))
	b.do(cdp.Click(link("big/")), cdp.WaitVisible(heading(data+"/big")))
	b.view("07-big-folder")
	first := b.text(cdp.CSS("p.count"))
	b.do(cdp.ScrollIntoView(cdp.CSS("nav.pager")))
	b.view("08-big-folder-bottom")
	b.do(cdp.Click(`//nav[@class="pager"]/a[@rel="next"]`), cdp.WaitVisible(link("f00200.txt")))
	b.view("09-big-folder-page-2")
	if second := b.text(cdp.CSS("p.count")); first != "1–200 of 1200 entries" || second != "201–400 of 1200 entries" {
		t.Errorf("big folder pages say %q and %q", first, second)
	}

	// The fleet: from the header, every host's last snapshot.
	b.do(cdp.Click(`//header//a[normalize-space()="Hosts"]`), cdp.WaitVisible(`//main//table`))
	b.view("09b-hosts")
	if hosts := b.text(cdp.CSS("main table")); !strings.Contains(hosts, "alpha") || !strings.Contains(hosts, "beta") {
		t.Errorf("hosts page shows %q, want alpha and beta", hosts)
	}

	// Run a job now from the overview and watch it finish on its page;
	// a job that fails is an alert on the overview.
	runNow := func(job string) {
		t.Helper()
		b.do(cdp.Navigate(f.srv.URL+"/"), cdp.WaitVisible(heading("Overview")))
		b.do(cdp.Click(`//tr[td/strong[normalize-space()="`+job+`"]]//button`), cdp.WaitVisible(`//dl[@data-operation]`))
	}
	runNow("slow")
	b.do(cdp.WaitVisible(`//span[contains(@class,"status") and normalize-space()="running"]`))
	b.shot("09c-operation-running")
	f.jobs.gate["slow"] <- struct{}{}
	b.do(cdp.WaitVisible(`//span[contains(@class,"status") and normalize-space()="success"]`))
	b.shot("09d-operation-done")
	if log := b.text(cdp.CSS("table.log")); !strings.Contains(log, "snapshot ") {
		t.Errorf("operation page's log: %q", log)
	}
	runNow("broken")
	b.do(cdp.WaitVisible(`//span[contains(@class,"status") and normalize-space()="failure"]`))
	b.do(cdp.Navigate(f.srv.URL+"/"), cdp.WaitVisible(`//p[@class="alert"]`))
	b.shot("09e-overview-alert")
	if alert := b.text(cdp.CSS("p.alert")); !strings.Contains(alert, "broken") {
		t.Errorf("overview alert: %q", alert)
	}
	// The pages before listed the snapshots: the overview counts them.
	if repos := b.text(cdp.CSS("table.repositories")); !regexp.MustCompile(`default\s+\d+ snapshots`).MatchString(repos) {
		t.Errorf("overview's repositories: %q, want default with its snapshot count", repos)
	}
	b.do(cdp.Click(`//header//a[normalize-space()="History"]`), cdp.WaitVisible(heading("History")))
	b.shot("09f-history")
	for i := range 4 {
		op, _ := f.ops.Start(oplog.Operation{Kind: "backup", Job: "apps", Repository: "default"})
		_ = f.ops.Finish(op.ID, nil, func(o *oplog.Operation) {
			o.After = &oplog.RepositoryFigures{Bytes: int64(i+2) << 28, Snapshots: 3 + i}
			o.Downtime = map[string]float64{"wiki": 1.5 + float64(i%2), "db": 4 - float64(i)}
		})
	}
	b.do(cdp.Click(`//header//a[normalize-space()="Plots"]`), cdp.WaitVisible(`//figure[@class="plot"]`))
	b.shot("09g-plots")

	// A phone in the dark.
	if _, err := cdp.Call(b.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := cdp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	b.do(cdp.Navigate(f.srv.URL+"/repositories/default/snapshots"), cdp.WaitVisible(`//main//table`))
	b.shot("10-snapshots-phone-dark")
	b.do(cdp.Navigate(f.srv.URL+treeURL("default", f.beta.String(), data+"/etc/app")), cdp.WaitVisible(`//main//table`))
	b.shot("11-folder-phone-dark")
	b.do(cdp.Navigate(f.srv.URL+treeURL("default", f.beta.String(), data+"/etc/app/config.txt")), cdp.WaitVisible(cdp.CSS("pre.text")))
	b.shot("12-file-phone-dark")
	b.do(cdp.Navigate(f.srv.URL+"/hosts"), cdp.WaitVisible(`//main//table`))
	b.shot("13-hosts-phone-dark")
	b.do(cdp.Navigate(f.srv.URL+"/"), cdp.WaitVisible(heading("Overview")))
	b.shot("14-overview-phone-dark")
	b.do(cdp.Navigate(f.srv.URL+"/plots"), cdp.WaitVisible(`//figure[@class="plot"]`))
	b.shot("15-plots-phone-dark")
	t.Logf("screenshots in %s", b.shots)
}

// testBrowser is a headless chromium tab that a test drives step by step,
// failing at the first step that fails.
type testBrowser struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

func newBrowser(t *testing.T, chromium string) *testBrowser {
	alloc, cancelAlloc := cdp.NewExecAllocator(context.Background(), append(cdp.DefaultExecAllocatorOptions[:],
		cdp.ExecPath(chromium), cdp.NoSandbox, cdp.Headless, cdp.DisableGPU, cdp.WindowSize(1280, 900))...)
	ctx, cancelTab := cdp.NewContext(alloc)
	// The browser lives as long as the context of the first Run: start
	// it without a timeout, then bound each step.
	if err := cdp.Do(ctx); err != nil {
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // stops the browser process and waits for it
	})
	tctx, cancel := context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(cancel)
	b := &testBrowser{t: t, ctx: tctx, shots: t.TempDir()}
	if d := os.Getenv("DRYDOCK_ARTIFACTS"); d != "" {
		b.shots = filepath.Join(d, "console")
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *testBrowser) do(steps ...cdp.Action[cdp.Void]) {
	b.t.Helper()
	if err := cdp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v (screenshots so far in %s)", err, b.shots)
	}
}

func (b *testBrowser) text(sel any) string {
	b.t.Helper()
	var a cdp.Action[string]
	switch s := sel.(type) {
	case cdp.CSS:
		a = cdp.Text(s)
	case string:
		a = cdp.Text(s)
	}
	v, err := cdp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("browser: text of %v: %v", sel, err)
	}
	return v
}

// shot saves the whole page as name.png.
func (b *testBrowser) shot(name string) {
	b.t.Helper()
	png, err := cdp.Run(b.ctx, cdp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// view saves what the window shows as name.png: a page of hundreds of rows
// is too tall to look at whole.
func (b *testBrowser) view(name string) {
	b.t.Helper()
	png, err := cdp.Run(b.ctx, cdp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
