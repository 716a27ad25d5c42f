package orchestrate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdp "github.com/chromedp/chromedp"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

// consoleBrowser is chromium logged in to a test daemon's console;
// screenshots go to DRYDOCK_ARTIFACTS or the test's directory.
type consoleBrowser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func newConsoleBrowser(t *testing.T, td *testDaemon, state string) *consoleBrowser {
	chromium := testenv.RequireBinary(t, "chromium")
	tok, err := os.ReadFile(filepath.Join(state, config.DefaultConsoleTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	b := &consoleBrowser{t: t, base: "http://" + td.d.Addr().String(), shots: t.TempDir()}
	if d := os.Getenv("DRYDOCK_ARTIFACTS"); d != "" {
		b.shots = filepath.Join(d, "console")
		must(t, os.MkdirAll(b.shots, 0o755))
	}
	alloc, cancelAlloc := cdp.NewExecAllocator(context.Background(), append(cdp.DefaultExecAllocatorOptions[:],
		cdp.ExecPath(chromium), cdp.NoSandbox, cdp.Headless, cdp.DisableGPU, cdp.WindowSize(1280, 900))...)
	ctx, cancelTab := cdp.NewContext(alloc)
	// The browser lives as long as the context of the first Do: start it
	// without a timeout, then bound the steps.
	if err := cdp.Do(ctx); err != nil {
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)
	b.ctx = tctx
	b.do(cdp.Navigate(b.base+"/login"), cdp.WaitVisible(cdp.CSS("#token")))
	b.do(cdp.SendKeys(cdp.CSS("#token"), strings.TrimSpace(string(tok))), cdp.Submit(cdp.CSS("#token")), cdp.WaitVisible(`//h1[normalize-space()="Overview"]`))
	return b
}

func (b *consoleBrowser) do(steps ...cdp.Action[cdp.Void]) {
	b.t.Helper()
	if err := cdp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v (screenshots so far in %s)", err, b.shots)
	}
}

func (b *consoleBrowser) shot(name string) {
	b.t.Helper()
	png, err := cdp.Run(b.ctx, cdp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	must(b.t, os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644))
}

// confirm opens the plan page at path, confirms and follows the operation
// to its end, and sees the overview with its apps' Drill now; then shows
// the plan and the overview on a phone in the dark.
func (b *consoleBrowser) confirm(path string) {
	b.t.Helper()
	b.do(cdp.Navigate(b.base+path), cdp.WaitVisible(cdp.CSS("#confirm")))
	b.shot("40-apprestore-plan")
	b.do(cdp.Click(cdp.CSS("#confirm")), cdp.WaitVisible(`//span[contains(@class,"status") and normalize-space()="success"]`))
	b.shot("41-apprestore-done")
	b.do(cdp.Navigate(b.base+"/"), cdp.WaitVisible(`//button[normalize-space()="Drill now"]`))
	b.shot("44-overview-apps")
	if _, err := cdp.Call(b.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true}); err != nil {
		b.t.Fatal(err)
	}
	if _, err := cdp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		b.t.Fatal(err)
	}
	b.do(cdp.Navigate(b.base+path), cdp.WaitVisible(cdp.CSS("#confirm")))
	b.shot("42-apprestore-plan-phone-dark")
	b.do(cdp.Navigate(b.base+"/"), cdp.WaitVisible(`//button[normalize-space()="Drill now"]`))
	b.shot("45-overview-phone-dark")
	b.t.Logf("screenshots in %s", b.shots)
}

// refused opens the plan page at path, which must show a failed
// precondition and no Confirm button.
func (b *consoleBrowser) refused(path string) string {
	b.t.Helper()
	b.do(cdp.Navigate(b.base+path), cdp.WaitVisible(`//span[contains(@class,"status") and normalize-space()="failed"]`))
	b.shot("43-apprestore-refused")
	text, err := cdp.Run(b.ctx, cdp.Text(cdp.CSS("main")))
	if err != nil {
		b.t.Fatal(err)
	}
	return text
}
