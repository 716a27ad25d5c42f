package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

// stubbornStopTimeout is the stop timeout of the test apps that ignore
// SIGTERM: Docker kills them (SIGKILL) that long after it asked them to
// stop.
const stubbornStopTimeout = 4 * time.Second

// stubbornApp starts a container whose process ignores SIGTERM, as an app
// that does not honour its stop signal, with a short stop timeout.
func stubbornApp(f *volFixture, vol, name string) string {
	return f.Container(dockertest.Spec{Name: name, Mounts: []string{vol + ":/data"}, StopTimeout: stubbornStopTimeout,
		Cmd: []string{"run", "-dir", "/data", "-interval", "100ms", "-ignore-term"}})
}

// stopSignals reports the signals Docker sends to container id (its
// "kill" events: the stop signal when a stop begins, 9 at the timeout).
func stopSignals(t *testing.T, f *volFixture, id string) <-chan string {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	msgs, _ := f.Cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)), filters.Arg("container", id), filters.Arg("event", "kill"))})
	out := make(chan string, 16)
	go func() {
		// Docker never closes msgs: the end of the test (cancel) ends this.
		for {
			select {
			case m := <-msgs:
				select {
				case out <- m.Actor.Attributes["signal"]:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// waitStopBegins waits until Docker sends container its stop signal
// (SIGTERM, 15): drydock's stop request is in progress.
func waitStopBegins(t *testing.T, signals <-chan string, exited <-chan struct{}) {
	t.Helper()
	for {
		select {
		case sig := <-signals:
			if sig == "15" {
				return
			}
		case <-exited:
			t.Fatal("drydock exited before it asked Docker to stop the container")
		case <-time.After(3 * time.Minute):
			t.Fatal("drydock did not stop the container within 3 minutes")
		}
	}
}

// assertStaysUp checks that container id runs again, started after a stop
// begun at begun, by the time Docker's kill at its stop timeout must have
// happened.
func assertStaysUp(t *testing.T, f *volFixture, id string, begun time.Time) {
	t.Helper()
	var ins container.InspectResponse
	testenv.Eventually(time.Until(begun.Add(stubbornStopTimeout+3*time.Second)), 100*time.Millisecond, func() bool {
		ins = f.Inspect(id)
		started, _ := f.Times(id)
		return ins.State.Running && !started.Before(begun)
	})
	if !ins.State.Running {
		t.Fatalf("the container drydock asked Docker to stop is down (%s, exit code %d): nobody started it again after Docker killed it",
			ins.State.Status, ins.State.ExitCode)
	}
	if started, _ := f.Times(id); started.Before(begun) {
		t.Errorf("container started at %s, before drydock asked to stop it at %s", started, begun)
	}
}

// TestAppDownSIGTERMWhileStopping: SIGTERM reaches `drydock volumes
// backup` while Docker is stopping a container that ignores its stop
// signal. Docker carries the stop through and kills it at its stop
// timeout; drydock must wait for that, start it again, report the kill and
// leave the stop journal empty.
func TestAppDownSIGTERMWhileStopping(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("stubborn", map[string]string{appplan.LabelBackup: "true"})
	id := stubbornApp(f, vol, "stubborn")
	signals := stopSignals(t, f, id)

	d := startDrydock(t, f.c.environ(), "volumes", "backup", "--json", vol)

	waitStopBegins(t, signals, d.exited)
	begun := time.Now()
	// The signal must come while Docker is stopping the container, well
	// inside its stop timeout, not at the first instant: this wait is the
	// scenario, not a guess at an event.
	time.Sleep(500 * time.Millisecond)
	must(t, d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-d.exited:
	case <-time.After(2 * time.Minute):
		t.Fatalf("drydock did not exit within 2 minutes of SIGTERM\n%s", d.stderr.String())
	}
	t.Logf("drydock: exit %d after %s\n%s%s", d.cmd.ProcessState.ExitCode(), time.Since(begun), d.stdout.String(), d.stderr.String())
	if code := d.cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit code %d, want %d", code, exitInterrupted)
	}
	assertStaysUp(t, f, id, begun)
	f.assertNoLeftovers(vol)

	var rep backupJSON
	if err := json.Unmarshal(d.stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	app := rep.app(t, vol)
	if !slices.Equal(app.Killed, []string{f.Name("stubborn")}) || app.SnapshotID != "" {
		t.Errorf("report: killed %v, snapshot %q: want the kill reported and no snapshot", app.Killed, app.SnapshotID)
	}
	if len(app.KillWarnings) != 1 || !strings.Contains(app.KillWarnings[0], "container "+f.Name("stubborn")+" did not exit within its stop timeout") {
		t.Errorf("no warning about the kill in the report: %q", app.KillWarnings)
	}
}

// TestAppDownKill9WhileStopping: drydock is killed (SIGKILL) while Docker
// is stopping a container that ignores its stop signal. The container
// still runs when the daemon starts again at once, and Docker kills it a
// few seconds later: the daemon's start-up recovery must wait for that
// stop to end, then start the container, and clear the journal.
func TestAppDownKill9WhileStopping(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("k9stop", map[string]string{appplan.LabelBackup: "true"})
	id := stubbornApp(f, vol, "k9stop")
	signals := stopSignals(t, f, id)
	d := newVolumesDaemon(f)
	p := d.start(`"*/2 * * * * *"`)

	waitStopBegins(t, signals, p.exited)
	begun := time.Now()
	p.signal(syscall.SIGKILL)
	p.wait(time.Minute)
	if !f.Running(id) {
		t.Fatal("the container stopped already: the kill came too late to test anything")
	}
	if !f.journaled(vol) {
		t.Fatalf("no stop journal entry for app %s after the kill", vol)
	}

	p2 := d.start(`"@yearly"`)
	p2.waitStatus(f.c, "the restarted daemon to be ready", func(*orchestrate.Status) bool { return true })
	assertStaysUp(t, f, id, begun)
	p2.signal(syscall.SIGTERM)
	if code := p2.wait(time.Minute); code != 0 {
		t.Errorf("exit %d", code)
	}
	if f.journaled(vol) {
		t.Errorf("stop journal not cleared: %v", vol)
	}
	if !strings.Contains(p2.stderr(), "did not exit within its stop timeout") {
		t.Errorf("the restarted daemon did not warn about the kill:\n%s", p2.stderr())
	}
}

const killedJobConfig = `state_dir: STATE
listen: ADDR
repositories:
  r:
    location: REPO
    password_file: PW
jobs:
  apps:
    repository: r
    schedule: "*/2 * * * * *"
    volumes: {}
notify:
  - url: HOOK
`

// TestAppDownKillIsAWarning: a scheduled backup stops a container that
// ignores its stop signal, so Docker kills it at its stop timeout. The run
// succeeds, with a warning in its status, drydock_app_killed_containers is
// 1, and a "warning" notification (a default event) names the container.
func TestAppDownKillIsAWarning(t *testing.T) {
	f := newVolFixture(t)
	vol := f.Volume("killwarn", map[string]string{appplan.LabelBackup: "true"})
	id := stubbornApp(f, vol, "killwarn")
	hook := newWebhook(t)
	d := newVolumesDaemon(f)
	writeFile(t, d.cfg, []byte(strings.NewReplacer("STATE", d.state, "ADDR", d.addr, "REPO", f.c.env["RESTIC_REPOSITORY"],
		"PW", d.pw, "HOOK", hook.url()).Replace(killedJobConfig)))
	p := startDaemonProc(t, f.c, d.cfg, d.addr)
	name := f.Name("killwarn")

	st := p.waitStatus(f.c, "a backup with the app", func(st *orchestrate.Status) bool {
		for _, j := range st.Jobs {
			if j.LastRun != nil && slices.ContainsFunc(j.LastRun.Apps, func(a orchestrate.AppResult) bool { return a.App == vol }) {
				return true
			}
		}
		return false
	})
	metrics := httpGet(t, "http://"+d.addr+"/metrics")
	// Notifications are sent as the run ends, just after its status.
	testenv.Eventually(30*time.Second, 50*time.Millisecond, func() bool {
		return slices.ContainsFunc(hook.messages(), func(m map[string]string) bool { return m["event"] == "warning" })
	})
	p.signal(syscall.SIGTERM)
	if code := p.wait(2 * time.Minute); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if !f.Running(id) {
		t.Error("container not running after the backup")
	}
	var run *orchestrate.RunResult
	for _, j := range st.Jobs {
		if j.Kind == orchestrate.KindBackup {
			run = j.LastRun
		}
	}
	if run == nil || run.Error != "" || run.Result != orchestrate.ResultSuccess || len(run.Apps) != 1 || !slices.Equal(run.Apps[0].Killed, []string{name}) ||
		!slices.ContainsFunc(run.Warnings, func(w string) bool { return strings.Contains(w, name+" did not exit within its stop timeout") }) {
		t.Errorf("last run does not report the kill as a warning of a successful run: %+v", run)
	}
	if !strings.Contains(metrics, `drydock_app_killed_containers{app="`+vol+`",job="apps"} 1`) {
		t.Errorf("/metrics:\n%s", grepMetric(metrics, "killed"))
	}
	msgs := hook.messages()
	if !slices.ContainsFunc(msgs, func(m map[string]string) bool {
		return m["event"] == "warning" && strings.Contains(m["message"], name+" did not exit within its stop timeout")
	}) {
		t.Errorf("no warning notification about the kill: %v", msgs)
	}
	if f.journaled(vol) {
		t.Errorf("stop journal left behind: %v", vol)
	}
}

// webhook records the JSON bodies notifications post to it, on 127.0.0.1.
type webhook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []map[string]string
}

func newWebhook(t *testing.T) *webhook {
	h := &webhook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("notification is not a JSON object: %v: %s", err, b)
		}
		h.mu.Lock()
		h.msgs = append(h.msgs, m)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *webhook) url() string {
	return "generic://" + strings.TrimPrefix(h.srv.URL, "http://") + "/hook?template=json&disabletls=yes"
}

func (h *webhook) messages() []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.msgs)
}

func grepMetric(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
