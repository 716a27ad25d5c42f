package rclone_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/rclone"
)

// TestConformance runs the backend suite against a real rclone serving a
// local directory over its stdio, as restic's rclone: backend uses it.
// PutRaw is not offered, as for the REST backend: rclone lists data/
// recursively, so a stray file there is its business.
func TestConformance(t *testing.T) {
	testenv.RequireBinary(t, "rclone")
	backendtest.Run(t, func(t *testing.T) backendtest.Instance {
		be, err := rclone.Create(t.Context(), rclone.Config{Remote: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return backendtest.Instance{Backend: be}
	})
}

// TestFailures: what goes wrong before a repository is reached is said in
// words that lead to the fix: rclone's own message for a remote it cannot
// open, the -o option for a program that is not there.
func TestFailures(t *testing.T) {
	testenv.RequireBinary(t, "rclone")
	for _, tc := range []struct {
		name string
		cfg  rclone.Config
		want string
	}{
		{"unknown remote", rclone.Config{Remote: "nosuchremote-drydock:repo"}, "nosuchremote-drydock"},
		{"no such program", rclone.Config{Remote: t.TempDir(), Program: "/nonexistent/rclone"}, "-o rclone.program"},
		{"arguments that serve nothing", rclone.Config{Remote: t.TempDir(), Args: "version"}, "rclone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be, err := rclone.Open(t.Context(), tc.cfg)
			if err == nil {
				be.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// TestParseLocation: rclone:REMOTE:PATH keeps REMOTE:PATH whole, as rclone
// takes it; an empty remote is refused.
func TestParseLocation(t *testing.T) {
	for loc, want := range map[string]string{
		"rclone:b2prod:bucket/repo": "b2prod:bucket/repo",
		"rclone:/srv/repo":          "/srv/repo",
		"rclone::local:/srv/r":      ":local:/srv/r",
	} {
		cfg, err := rclone.ParseLocation(loc)
		if err != nil || cfg.Remote != want || cfg.String() != loc {
			t.Errorf("%s: %+v, %v; want remote %s", loc, cfg, err, want)
		}
	}
	for _, loc := range []string{"rclone:", "rest:http://x/"} {
		if _, err := rclone.ParseLocation(loc); err == nil {
			t.Errorf("%s: accepted", loc)
		}
	}
}

// TestCloseEndsRclone: Close ends the rclone it started; a repository
// missing at the remote is told apart (rclone makes listings on demand, so
// the config file decides).
func TestCloseEndsRclone(t *testing.T) {
	testenv.RequireBinary(t, "rclone")
	be, err := rclone.Create(t.Context(), rclone.Config{Remote: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	pid := rclone.PID(be)
	if err := be.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("/proc", rclone.Itoa(pid))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rclone (PID %d) still there after Close: %v", pid, err)
	}
	if err := be.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, err = be.Stat(t.Context(), backend.Handle{Type: backend.ConfigFile})
	if err == nil {
		t.Error("Stat after Close succeeded")
	}
}
