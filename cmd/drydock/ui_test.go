package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// lineWatch is a writer that hands the first match of re in what is
// written to found.
type lineWatch struct {
	mu    sync.Mutex
	buf   strings.Builder
	re    *regexp.Regexp
	found chan string
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := w.re.MatchString(w.buf.String())
	w.buf.Write(p)
	if m := w.re.FindStringSubmatch(w.buf.String()); m != nil && !had {
		w.found <- m[1]
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestUICommand: drydock ui makes its token file, prints where it is (not
// the token), serves the repository's snapshots to the token and stops
// cleanly when its context ends (SIGINT, SIGTERM in main).
func TestUICommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, dir)
	c.must("init")
	data := t.TempDir()
	os.WriteFile(filepath.Join(data, "f"), []byte("x"), 0o644)
	c.must("backup", "--host", "h", data)

	state := t.TempDir()
	c.env["STATE_DIRECTORY"] = state
	errOut := &lineWatch{re: regexp.MustCompile(`console at (http://\S+/)`), found: make(chan string, 1)}
	g := &globalOptions{stdin: strings.NewReader(""), stdout: io.Discard, stderr: errOut, getenv: func(k string) string { return c.env[k] }, environ: c.environ}
	root := newRoot(g)
	root.SetArgs([]string{"ui", "--listen", "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	var base string
	select {
	case base = <-errOut.found:
	case err := <-done:
		t.Fatalf("ui ended before serving: %v\n%s", err, errOut)
	}
	tokenFile := filepath.Join(state, "ui-token")
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if out := errOut.String(); !strings.Contains(out, tokenFile) || strings.Contains(out, strings.TrimSpace(string(tok))) {
		t.Errorf("ui's output should name the token file and not show the token:\n%s", out)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"api/v1/repositories/default/snapshots", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"hostname":"h"`) {
		t.Errorf("snapshots through ui: %s %s", res.Status, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ui after its context ended: %v", err)
	}
	g.closeLockOwner()
	if locks, _ := os.ReadDir(filepath.Join(dir, "locks")); len(locks) != 0 {
		t.Errorf("ui left %d locks", len(locks))
	}
}

// TestUIRefusesPlainHTTPBeyondLoopback: a listener other hosts reach
// needs TLS or --plain-http, before anything is opened.
func TestUIRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "repo"))
	_, errOut, code := c.run("ui", "--listen", "0.0.0.0:0", "--token-file", filepath.Join(t.TempDir(), "tok"))
	if code != 1 || !strings.Contains(errOut, "non-loopback address without TLS") || !strings.Contains(errOut, "plain HTTP") {
		t.Errorf("exit %d, %s", code, errOut)
	}
}
