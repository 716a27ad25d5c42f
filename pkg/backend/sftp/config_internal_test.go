package sftp

import (
	"strings"
	"testing"
)

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // program and arguments joined by "|"
	}{
		{"plain", Config{Host: "h", Path: "r"}, "ssh|-o|StrictHostKeyChecking=yes|h|-s|sftp"},
		{"user and port", Config{User: "u", Host: "h", Port: "2222"},
			"ssh|-o|StrictHostKeyChecking=yes|-p|2222|-l|u|h|-s|sftp"},
		{"files", Config{Host: "h", KeyFile: "/k/id %1", KnownHostsFile: "/k/known hosts"},
			`ssh|-o|StrictHostKeyChecking=yes|-o|UserKnownHostsFile="/k/known hosts"|-i|/k/id %%1|-o|IdentitiesOnly=yes|h|-s|sftp`},
		// The user's arguments come after ours: ssh keeps the first value,
		// so they cannot turn host key checking off.
		{"args", Config{Host: "h", Args: `-o StrictHostKeyChecking=no -J 'jump host'`},
			"ssh|-o|StrictHostKeyChecking=yes|-o|StrictHostKeyChecking=no|-J|jump host|h|-s|sftp"},
		{"command", Config{Host: "ignored", Command: `ssh -F "/my dir/cfg" alias -s sftp`},
			"ssh|-F|/my dir/cfg|alias|-s|sftp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, args, err := tc.cfg.command()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(append([]string{name}, args...), "|"); got != tc.want {
				t.Fatalf("command:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCommandErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"command and args":     {Host: "h", Command: "ssh h -s sftp", Args: "-v"},
		"command and key file": {Host: "h", Command: "ssh h -s sftp", KeyFile: "/k"},
		"empty command":        {Host: "h", Command: "  "},
		"unterminated quote":   {Host: "h", Args: `-o "x`},
		"option as host":       {Host: "-oProxyCommand=evil"},
		"quote in file name":   {Host: "h", KnownHostsFile: `/a"b`},
	} {
		if _, args, err := cfg.command(); err == nil {
			t.Errorf("%s: got %q, want an error", name, args)
		}
	}
}

func TestSplitShellWords(t *testing.T) {
	for in, want := range map[string]string{
		``:                           ``,
		`a b  c`:                     `a|b|c`,
		` ssh -F 'x y' h `:           `ssh|-F|x y|h`,
		`"a \"b\" \$c \d"`:           `a "b" $c \d`,
		`a\ b c\\d`:                  `a b|c\d`,
		`''`:                         ``,
		`x'' y""`:                    `x|y`,
		`'it'"'"'s'`:                 `it's`,
		"a\\\nb":                     `ab`,
		`-o ProxyCommand="nc %h %p"`: `-o|ProxyCommand=nc %h %p`,
	} {
		words, err := splitShellWords(in)
		if err != nil {
			t.Errorf("split %q: %v", in, err)
			continue
		}
		if got := strings.Join(words, "|"); got != want {
			t.Errorf("split %q = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{`'open`, `"open`, `trailing\`} {
		if words, err := splitShellWords(in); err == nil {
			t.Errorf("split %q = %q, want an error", in, words)
		}
	}
}
