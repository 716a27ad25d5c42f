package sftp_test

import (
	"testing"

	"github.com/drydock-backup/drydock/pkg/backend/sftp"
	"github.com/drydock-backup/drydock/pkg/secret"
)

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in               string
		user, host, port string
		path             string
	}{
		{"sftp:host:repo", "", "host", "", "repo"},
		{"sftp:user@host:repo/sub", "user", "host", "", "repo/sub"},
		{"sftp:user@host:/abs/path", "user", "host", "", "/abs/path"},
		{"sftp:user@domain@host:/srv/r", "user@domain", "host", "", "/srv/r"},
		{"sftp:host:../up/x", "", "host", "", "../up/x"},
		{"sftp:host:dir/sub:suffix", "", "host", "", "dir/sub:suffix"},
		{"sftp:host:dir///sub/../other/", "", "host", "", "dir/other"},
		{"sftp:host:", "", "host", "", "."},
		{"sftp:[::1]:/r", "", "::1", "", "/r"},
		{"sftp:u@[fe80::1]:r", "u", "fe80::1", "", "r"},
		{"sftp://host/rel/dir", "", "host", "", "rel/dir"},
		{"sftp://user@host//abs/dir", "user", "host", "", "/abs/dir"},
		{"sftp://user@host:2222//abs/dir", "user", "host", "2222", "/abs/dir"},
		{"sftp://host:10022/rel/../x", "", "host", "10022", "x"},
		{"sftp://user@[::1]:22/dir", "user", "::1", "22", "dir"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			cfg, err := sftp.ParseLocation(secret.NewURL(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.User != tc.user || cfg.Host != tc.host || cfg.Port != tc.port || cfg.Path != tc.path {
				t.Fatalf("got user %q host %q port %q path %q; want %q %q %q %q",
					cfg.User, cfg.Host, cfg.Port, cfg.Path, tc.user, tc.host, tc.port, tc.path)
			}
			// String gives a location that parses to the same.
			again, err := sftp.ParseLocation(secret.NewURL(cfg.String()))
			if err != nil || again != cfg {
				t.Fatalf("String() = %q parses to %+v, %v", cfg.String(), again, err)
			}
		})
	}
}

func TestParseLocationErrors(t *testing.T) {
	for _, in := range []string{
		"sftp:hostonly",
		"sftp://host",                // no path at all
		"sftp://host:dir",            // restic rejects it too
		"sftp:host:~/repo",           // servers do not expand ~
		"sftp:-oProxyCommand=x:repo", // would be an ssh option
		"sftp:-l@host:repo",
		"sftp:[::1/r",
		"sftp://u:secret@host/r", // no passwords
		"s3:host/bucket",
		"sftp:ho st:r",
	} {
		if cfg, err := sftp.ParseLocation(secret.NewURL(in)); err == nil {
			t.Errorf("ParseLocation(%q) = %+v, want an error", in, cfg)
		}
	}
}
