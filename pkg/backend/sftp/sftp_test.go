package sftp_test

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/sshtest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/sftp"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// keyConfig reaches srv with KeyFile and KnownHostsFile, the way the daemon
// does, at the absolute directory dir.
func keyConfig(srv *sshtest.Server, dir string) sftp.Config {
	return sftp.Config{
		User: srv.User, Host: srv.Host, Port: srv.Port, Path: dir,
		KeyFile: srv.KeyFile, KnownHostsFile: srv.KnownHostsFile,
	}
}

// commandConfig reaches srv through an ssh configuration file named in
// sftp.command, at rel relative to the login directory (srv.Root).
func commandConfig(t *testing.T, srv *sshtest.Server, rel string) sftp.Config {
	t.Helper()
	cfg, err := sftp.ParseLocation(secret.NewURL("sftp:" + sshtest.HostAlias + ":" + rel))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Command = srv.Command()
	return cfg
}

func putRaw(root string) func(string, []byte) error {
	return func(rel string, data []byte) error {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o600)
	}
}

// The conformance suite against a real OpenSSH server, both with a key
// file and known_hosts given as files (absolute path) and through
// sftp.command with an ssh configuration (relative path).
func TestConformance(t *testing.T) {
	srv := sshtest.Start(t)
	t.Run("KeyFile", func(t *testing.T) {
		t.Parallel()
		backendtest.Run(t, func(t *testing.T) backendtest.Instance {
			dir := t.TempDir()
			be, err := sftp.Create(t.Context(), keyConfig(srv, dir))
			if err != nil {
				t.Fatal(err)
			}
			return backendtest.Instance{Backend: be, PutRaw: putRaw(dir)}
		})
	})
	t.Run("Command", func(t *testing.T) {
		t.Parallel()
		backendtest.Run(t, func(t *testing.T) backendtest.Instance {
			rel := path.Join("repos", strings.ReplaceAll(t.Name(), "/", "_"))
			be, err := sftp.Create(t.Context(), commandConfig(t, srv, rel))
			if err != nil {
				t.Fatal(err)
			}
			return backendtest.Instance{Backend: be, PutRaw: putRaw(filepath.Join(srv.Root, rel))}
		})
	})
}

// Files are where restic puts them, private, and no temporary file is left.
func TestLayoutOnServer(t *testing.T) {
	srv := sshtest.Start(t)
	dir := filepath.Join(t.TempDir(), "a", "repo")
	be, err := sftp.Create(t.Context(), keyConfig(srv, dir))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	for _, sub := range []string{"keys", "index", "snapshots", "locks", "data/00", "data/ff", "data/3c"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			t.Errorf("directory %s after Create: %v", sub, err)
		}
	}
	data, id := backendtest.RandomData(t, 1000)
	backendtest.Save(t, be, backend.PackFile, data)
	backendtest.Save(t, be, backend.ConfigFile, []byte("cfg"))
	fi, err := os.Stat(filepath.Join(dir, "data", id[:2], id))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 1000 || fi.Mode().Perm() != 0o600 {
		t.Errorf("pack on server: size %d mode %v, want 1000 and 0600", fi.Size(), fi.Mode().Perm())
	}
	if b, err := os.ReadFile(filepath.Join(dir, "config")); err != nil || string(b) != "cfg" {
		t.Errorf("config on server: %q, %v", b, err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "data", id[:2], "*-tmp-*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

// Open needs the directory; Create makes it, also below missing parents.
func TestOpenMissingDirectory(t *testing.T) {
	srv := sshtest.Start(t)
	dir := filepath.Join(t.TempDir(), "missing")
	_, err := sftp.Open(t.Context(), keyConfig(srv, dir))
	if !errors.Is(err, backend.ErrLocationMissing) {
		t.Fatalf("open missing directory: got %v, want ErrLocationMissing", err)
	}
	if backend.IsTransient(err) || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q: transient or does not name the directory", err)
	}
	be, err := sftp.Create(t.Context(), keyConfig(srv, dir))
	if err != nil {
		t.Fatal(err)
	}
	_ = be.Close()
	be, err = sftp.Open(t.Context(), keyConfig(srv, dir))
	if err != nil {
		t.Fatalf("open after create: %v", err)
	}
	_ = be.Close()
}

// A server whose host key is not the one in known_hosts is refused before
// anything is written, with a permanent error that says so; a host missing
// from known_hosts likewise (StrictHostKeyChecking=yes, also when the
// user's sftp.args try to turn it off).
func TestHostKeyVerified(t *testing.T) {
	srv := sshtest.Start(t)
	other := sshtest.GenerateKey(t, filepath.Join(t.TempDir(), "other_host_key"))
	wrong := filepath.Join(t.TempDir(), "known_hosts_wrong")
	empty := filepath.Join(t.TempDir(), "known_hosts_empty")
	if err := os.WriteFile(wrong, []byte(srv.KnownHostsLine(sshtest.PublicKey(t, other))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, known := range map[string]string{"changed": wrong, "unknown": empty} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			cfg := keyConfig(srv, dir)
			cfg.KnownHostsFile = known
			cfg.Args = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
			start := time.Now()
			_, err := sftp.Create(t.Context(), cfg)
			if err == nil {
				t.Fatal("create succeeded against a server with an unexpected host key")
			}
			t.Logf("error: %v", err)
			if backend.IsTransient(err) {
				t.Errorf("host key error is transient: %v", err)
			}
			if !strings.Contains(err.Error(), "host key") {
				t.Errorf("error does not mention the host key: %v", err)
			}
			if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("the repository directory was created: %v", serr)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v to fail", d)
			}
			if data, _ := os.ReadFile(known); name == "unknown" && len(data) != 0 {
				t.Errorf("ssh added the unknown host key to known_hosts: %q", data)
			}
		})
	}
}

// A key the server does not accept gives ErrPermission, not a retry.
func TestLoginRefused(t *testing.T) {
	srv := sshtest.Start(t)
	cfg := keyConfig(srv, t.TempDir())
	cfg.KeyFile = sshtest.GenerateKey(t, filepath.Join(t.TempDir(), "stranger"))
	_, err := sftp.Open(t.Context(), cfg)
	if !errors.Is(err, backend.ErrPermission) || backend.IsTransient(err) {
		t.Fatalf("open with an unknown key: got %v, want a permanent ErrPermission", err)
	}
	if !strings.Contains(err.Error(), "Permission denied") {
		t.Errorf("error does not show what ssh said: %v", err)
	}
}

// Nothing listens: the error is transient and says what ssh said.
func TestConnectionRefused(t *testing.T) {
	srv := sshtest.Start(t)
	srv.Stop(t)
	_, err := sftp.Open(t.Context(), keyConfig(srv, t.TempDir()))
	if err == nil || !backend.IsTransient(err) || !strings.Contains(err.Error(), "Connection refused") {
		t.Fatalf("open with no server: got %v, want a transient error quoting ssh", err)
	}
}

// A missing key file is named before ssh runs.
func TestMissingKeyFile(t *testing.T) {
	cfg := sftp.Config{Host: "127.0.0.1", Path: "/x", KeyFile: filepath.Join(t.TempDir(), "nope")}
	_, err := sftp.Open(t.Context(), cfg)
	if err == nil || !strings.Contains(err.Error(), "key file") {
		t.Fatalf("open with a missing key file: %v", err)
	}
}
