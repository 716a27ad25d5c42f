package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

type measureOptions struct {
	dir, repo, drydock string
	runs               int
	// pages, if set, are the only pages timed (no weights, no download).
	pages []string
}

// console is one running drydock ui.
type console struct {
	cmd   *exec.Cmd
	base  string
	token string
}

// figures collects the timings by name, in milliseconds.
type figures map[string][]float64

func (f figures) add(name string, d time.Duration) {
	f[name] = append(f[name], float64(d.Microseconds())/1000)
}

func measure(ctx context.Context, o measureOptions) error {
	var lay layout
	b, err := os.ReadFile(layoutPath(o.repo))
	if err != nil {
		return fmt.Errorf("run consolebench make first: %w", err)
	}
	if err := json.Unmarshal(b, &lay); err != nil {
		return err
	}
	pages := map[string]string{
		"tree":      "/repositories/default/snapshots/" + lay.FilesSnapshot + "/tree/big",
		"tree-api":  "/api/v1/repositories/default/snapshots/" + lay.FilesSnapshot + "/tree/big?limit=100",
		"overview":  "/",
		"hosts":     "/hosts",
		"snapshots": "/repositories/default/snapshots",
	}
	order := []string{"tree", "tree-api", "overview", "hosts", "snapshots"}
	if len(o.pages) > 0 {
		order = o.pages
	}
	for _, name := range order {
		if pages[name] == "" {
			return fmt.Errorf("no page %q to time (want some of %v)", name, slices.Sorted(maps.Keys(pages)))
		}
	}
	if err := seedHistory(filepath.Join(o.dir, "state")); err != nil {
		return fmt.Errorf("seed the history: %w", err)
	}
	fig := figures{}
	weights := map[string]int{}
	for run := range o.runs {
		c, err := startConsole(ctx, o, run)
		if err != nil {
			return err
		}
		// Cold: the first request of each kind after the start, the tree
		// page first (it loads the index and the big folder's tree).
		for _, name := range order {
			d, _, err := c.get(ctx, pages[name], io.Discard)
			if err != nil {
				c.stop()
				return err
			}
			fig.add(name+" cold", d)
		}
		for range 5 {
			for _, name := range order {
				d, _, err := c.get(ctx, pages[name], io.Discard)
				if err != nil {
					c.stop()
					return err
				}
				fig.add(name+" warm", d)
			}
		}
		if len(o.pages) > 0 {
			c.stop()
			continue
		}
		if run == 0 {
			for _, name := range []string{"tree", "overview", "hosts", "snapshots"} {
				if weights[name], err = c.weight(ctx, pages[name]); err != nil {
					c.stop()
					return err
				}
			}
		}
		if err := downloads(ctx, c, o, lay, fig); err != nil {
			c.stop()
			return err
		}
		c.stop()
	}
	report(fig, weights, o.runs)
	return nil
}

// downloads times the 1 GiB file through the console and through drydock
// dump, one after the other, both into /dev/null.
func downloads(ctx context.Context, c *console, o measureOptions, lay layout, fig figures) error {
	d, n, err := c.get(ctx, "/api/v1/repositories/default/snapshots/"+lay.DownloadSnapshot+"/download/big.bin", io.Discard)
	if err != nil {
		return err
	}
	if n != downloadSize {
		return fmt.Errorf("download: %d bytes, want %d", n, downloadSize)
	}
	fig.add("download 1 GiB (console)", d)
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	cmd := exec.CommandContext(ctx, o.drydock, "dump", "-r", o.repo, "--no-cache", lay.DownloadSnapshot, "/big.bin")
	cmd.Stdout, cmd.Stderr = null, os.Stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("drydock dump: %w", err)
	}
	fig.add("download 1 GiB (drydock dump)", time.Since(t0))
	return nil
}

func startConsole(ctx context.Context, o measureOptions, run int) (*console, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	tokenFile := filepath.Join(o.dir, "ui-token")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.CommandContext(ctx, o.drydock, "ui", "-r", o.repo, "--no-cache", "--listen", addr,
		"--token-file", tokenFile, "--state-dir", filepath.Join(o.dir, "state"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &console{cmd: cmd, base: "http://" + addr}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if res, err := http.Get(c.base + "/login"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("drydock ui did not listen on %s within 2 minutes:\n%s", addr, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		c.stop()
		return nil, err
	}
	c.token = strings.TrimSpace(string(tok))
	fmt.Fprintf(os.Stderr, "run %d: console on %s\n", run+1, addr)
	return c, nil
}

func (c *console) stop() {
	_ = c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// get fetches path to w and returns how long it took, body included.
func (c *console) get(ctx context.Context, path string, w io.Writer) (time.Duration, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	t0 := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(w, res.Body)
	d := time.Since(t0)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return d, n, err
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)

// weight is a page's own bytes: its HTML and the scripts and styles it
// loads from /static/.
func (c *console) weight(ctx context.Context, path string) (int, error) {
	var page bytes.Buffer
	if _, _, err := c.get(ctx, path, &page); err != nil {
		return 0, err
	}
	total := page.Len()
	seen := map[string]bool{}
	for _, m := range assetRef.FindAllStringSubmatch(page.String(), -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		_, n, err := c.get(ctx, m[1], io.Discard)
		if err != nil {
			return 0, err
		}
		total += int(n)
	}
	return total, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("no TCP address")
	}
	return addr.Port, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func report(fig figures, weights map[string]int, runs int) {
	fmt.Printf("%-32s %10s %10s %10s  (%d console starts)\n", "request", "median ms", "min ms", "max ms", runs)
	for _, name := range slices.Sorted(maps.Keys(fig)) {
		v := fig[name]
		fmt.Printf("%-32s %10.1f %10.1f %10.1f\n", name, median(v), slices.Min(v), slices.Max(v))
	}
	if d := fig["download 1 GiB (console)"]; len(d) > 0 {
		fmt.Printf("download ratio (dump / console): %.2f\n", median(fig["download 1 GiB (drydock dump)"])/median(d))
	}
	for _, name := range slices.Sorted(maps.Keys(weights)) {
		fmt.Printf("page weight %-20s %7.1f KB\n", name, float64(weights[name])/1000)
	}
}
