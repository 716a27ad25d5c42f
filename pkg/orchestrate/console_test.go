package orchestrate_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/resttest"
	"github.com/drydock-backup/drydock/pkg/console"
	"github.com/drydock-backup/drydock/pkg/orchestrate"
	"github.com/drydock-backup/drydock/pkg/orchestrate/config"
)

const consoleJob = `state_dir: STATE
listen: LISTEN
repositories:
  local:
    location: repo
    password_file: pw
    init: true
jobs:
  files:
    repository: local
    schedule: SCHEDULE
    paths: [DATA]
CONSOLE`

// TestDaemonConsole: the daemon serves the web console at / of its
// listener: every console path wants the token (made 0600 in the state
// directory at first start), the API lists the configured repositories,
// and /metrics, /healthz and /status stay open and unchanged.
func TestDaemonConsole(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(data, "f"), "content")
	td := startDaemon(t, fill(consoleJob, "STATE", state, "DATA", data, "LISTEN", "127.0.0.1:0", "CONSOLE", "", "SCHEDULE", `"* * * * * *"`), nil)
	base := "http://" + td.d.Addr().String()
	tokFile := filepath.Join(state, config.DefaultConsoleTokenFile)
	fi, err := os.Stat(tokFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file %s: %v, %v; want it 0600", tokFile, fi, err)
	}
	tok, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tok))

	for _, p := range []string{"/metrics", "/healthz", "/status"} {
		if code, _ := td.get(p); code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200 without a token", p, code)
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 || !strings.Contains(resp.Header.Get("Location"), "/login") {
		t.Errorf("GET / without a session: %d to %q, want a redirect to the login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code, _ := td.get("/api/v1/repositories"); code != http.StatusUnauthorized {
		t.Errorf("API without a token: %d, want 401", code)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/repositories", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"local"`) {
		t.Errorf("API with the token: %d %s, want the repository local", resp.StatusCode, body)
	}
	// The hosts view knows this host's job: its next snapshot is due by
	// the job's schedule (every second), not a day after the last.
	td.waitFor("a first backup", time.Minute, func(st orchestrate.Status) bool {
		return job(st, "files", orchestrate.KindBackup).LastSuccess != nil
	})
	req, _ = http.NewRequest("GET", base+"/api/v1/hosts", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var hosts struct {
		Hosts []struct {
			Paths     []string
			Time, Due time.Time
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&hosts)
	resp.Body.Close()
	if err != nil || len(hosts.Hosts) != 1 || !slices.Equal(hosts.Hosts[0].Paths, []string{data}) {
		t.Fatalf("hosts: %v, %+v", err, hosts)
	}
	if h := hosts.Hosts[0]; h.Due.Sub(h.Time) > time.Minute || !h.Due.After(h.Time) {
		t.Errorf("due %v for a snapshot of %v by a job running every second", h.Due, h.Time)
	}
	if strings.Contains(td.logs.String(), token) {
		t.Error("the token is in the log")
	}
}

// TestDaemonConsoleListenRules: a listener other hosts can reach needs TLS
// or console.plain_http, else the daemon does not start and says what to
// set; with the console off it starts and serves no console; with TLS the
// endpoints and the console are served over HTTPS.
func TestDaemonConsoleListenRules(t *testing.T) {
	state, data := t.TempDir(), t.TempDir()
	cfg, err := config.Parse([]byte(fill(consoleJob, "STATE", state, "DATA", data, "LISTEN", "0.0.0.0:0", "CONSOLE", "", "SCHEDULE", "\"@yearly\"")), "test.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	d, err := orchestrate.New(cfg, orchestrate.Options{Program: "drydock test", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	// A daemon that starts after all runs until this context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = d.Run(ctx, cfg)
	if !errors.Is(err, console.ErrPlainHTTP) || !strings.Contains(err.Error(), "console.enabled: false") {
		t.Fatalf("start on 0.0.0.0 without TLS: %v, want a refusal naming the settings", err)
	}

	off := startDaemon(t, fill(consoleJob, "STATE", t.TempDir(), "DATA", data, "LISTEN", "127.0.0.1:0", "CONSOLE", "console:\n  enabled: false\n", "SCHEDULE", "\"@yearly\""), nil)
	if code, _ := off.get("/"); code != http.StatusNotFound {
		t.Errorf("GET / with the console off: %d, want 404", code)
	}
	if _, err := os.Stat(filepath.Join(off.cfg.StateDir, config.DefaultConsoleTokenFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("console off, yet a token file: %v", err)
	}

	ca := resttest.NewCA(t, "drydock test")
	certPEM, keyPEM := ca.Issue(t, "127.0.0.1", false)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "cert.pem"), string(certPEM))
	writeFile(t, filepath.Join(dir, "key.pem"), string(keyPEM))
	tlsCfg := "console:\n  tls_cert_file: " + filepath.Join(dir, "cert.pem") + "\n  tls_key_file: " + filepath.Join(dir, "key.pem") + "\n"
	td := startDaemon(t, fill(consoleJob, "STATE", t.TempDir(), "DATA", data, "LISTEN", "127.0.0.1:0", "CONSOLE", tlsCfg, "SCHEDULE", "\"@yearly\""), nil)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + td.d.Addr().String() + "/status")
	if err != nil {
		t.Fatalf("GET /status over HTTPS: %v", err)
	}
	var st orchestrate.Status
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || len(st.Jobs) == 0 {
		t.Errorf("/status over HTTPS: %v, %+v", err, st)
	}
}
