package orchestrate

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nicholas-fedor/shoutrrr"
	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"

	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// notifier sends job results to the configured targets through shoutrrr
// (generic webhooks, ntfy, chat services).
type notifier struct {
	targets []target
	host    string
	log     *slog.Logger
	failed  func()
}

type target struct {
	scheme string // for logs: URLs may carry tokens
	sender *router.ServiceRouter
	on     []string
}

func newNotifier(cfg *config.Config, host string, log *slog.Logger, failed func()) (*notifier, error) {
	n := &notifier{host: host, log: log, failed: failed}
	for i, t := range cfg.Notify {
		url := t.URL
		if t.URLFile != "" {
			b, err := os.ReadFile(t.URLFile)
			if err != nil {
				return nil, fmt.Errorf("notify %d: %w", i, err)
			}
			url = secret.New(strings.TrimSpace(string(b)))
		}
		s, err := shoutrrr.CreateSender(url.Reveal())
		if err != nil {
			return nil, fmt.Errorf("notify %d: not a valid notification URL", i)
		}
		scheme, _, _ := strings.Cut(url.Reveal(), ":")
		n.targets = append(n.targets, target{scheme: scheme, sender: s, on: t.On})
	}
	return n, nil
}

// runEvent is the notification event of a finished run; false for a run
// that is no event at all (a verification the shutdown interrupted).
func runEvent(res *RunResult) (string, bool) {
	switch {
	case res.Result == ResultInterrupted:
		return "", false
	case res.Error != "":
		return config.EventFailure, true
	case len(res.Warnings) > 0:
		return config.EventWarning, true
	}
	return config.EventSuccess, true
}

// send reports a finished run to every target that wants its event. It
// blocks until each target answered or timed out (shoutrrr's 10 s).
func (n *notifier) send(js *JobStatus, res *RunResult) {
	event, ok := runEvent(res)
	if !ok {
		return
	}
	title := fmt.Sprintf("drydock: %s of job %s on %s %s", taskName(*js), js.Job, n.host, map[string]string{
		config.EventSuccess: "succeeded", config.EventWarning: "succeeded with warnings", config.EventFailure: "FAILED"}[event])
	msg := fmt.Sprintf("%s at %s after %.1fs", title, res.End.Format(time.RFC3339), res.Seconds)
	if res.Error != "" {
		msg += ": " + res.Error
	}
	if res.Behind {
		msg += fmt.Sprintf("\n%s is behind: the job's latest snapshot may not be there; the next run copies what is missing", js.Destination)
	}
	for _, a := range res.Apps {
		if a.Error != "" {
			msg += fmt.Sprintf("\napp %s: %s", a.App, a.Error)
		}
	}
	warnings := firstWarnings(res.Warnings)
	for _, w := range warnings {
		msg += "\nwarning: " + w
	}
	params := types.Params{
		"title": title, "job": js.Job, "kind": js.Kind, "event": event, "host": n.host,
		"repository": js.Repository, "time": res.End.Format(time.RFC3339), "error": res.Error,
		"warnings": strings.Join(warnings, "\n"), "destination": js.Destination,
	}
	for i, t := range n.targets {
		if !slices.Contains(t.on, event) {
			continue
		}
		p := make(types.Params, len(params))
		for k, v := range params {
			p[k] = v
		}
		if err := errors.Join(t.sender.Send(msg, &p)...); err != nil {
			n.failed()
			n.log.Error("notification failed", "target", i, "service", t.scheme, "err", redactURLs(err.Error()))
		}
	}
}

// notifyWarnings is how many warnings a notification carries: a backup may
// have thousands of unreadable files, which the status lists.
const notifyWarnings = 20

// firstWarnings keeps the first notifyWarnings and says how many more.
func firstWarnings(ws []string) []string {
	if len(ws) <= notifyWarnings {
		return ws
	}
	return append(slices.Clone(ws[:notifyWarnings]), fmt.Sprintf("and %d more (see drydock status)", len(ws)-notifyWarnings))
}

var urlPattern = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://\S+`)

// redactURLs hides URLs in an error: they may carry tokens.
func redactURLs(s string) string { return urlPattern.ReplaceAllString(s, "<url>") }
