package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// TestKeys: add a password, remove a key, change the password; stock
// restic sees the same keys and opens the repository with each password
// drydock left valid, and with no other.
func TestKeys(t *testing.T) {
	bin := testenv.RequireBinary(t, "restic")
	repoDir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	c.must("init")
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644))
	c.must("backup", src)
	with := func(pw string) *cli {
		o := newCLI(t, repoDir)
		o.env["RESTIC_PASSWORD"] = pw
		return o
	}
	if ks := keyList(t, c); len(ks) != 1 || !ks[0].Current {
		t.Fatalf("keys after init: %+v", ks)
	}

	pwFile := filepath.Join(t.TempDir(), "second")
	must(t, os.WriteFile(pwFile, []byte("second password\n"), 0o600))
	c.must("key", "add", "--new-password-file", pwFile, "--user", "ops", "--host", "vault")
	ks := keyList(t, c)
	if len(ks) != 2 {
		t.Fatalf("keys after add: %+v", ks)
	}
	second := ks[0].ID
	if ks[0].Current {
		second = ks[1].ID
	}
	with("second password").must("snapshots")
	var rk []keyJSON
	must(t, json.Unmarshal([]byte(with("second password").mustRestic(bin, "key", "list", "--json")), &rk))
	if len(rk) != 2 || !strings.Contains(c.must("key", "list"), "ops") || !strings.Contains(c.must("key", "list"), "vault") {
		t.Errorf("restic sees keys %+v\n%s", rk, c.must("key", "list"))
	}

	current := ks[0].ID
	if !ks[0].Current {
		current = ks[1].ID
	}
	if _, errOut, code := c.run("key", "remove", current); code != exitFailure || !strings.Contains(errOut, "opened with") {
		t.Errorf("removing the key in use: exit %d\n%s", code, errOut)
	}
	with("second password").must("key", "remove", current[:6]) // the first key, by prefix
	if _, _, code := c.run("snapshots"); code != exitWrongPass {
		t.Errorf("the removed key's password still opens the repository: exit %d", code)
	}

	p := with("second password")
	p.stdin = "third password\n"
	p.must("key", "passwd")
	if _, _, code := p.run("snapshots"); code != exitWrongPass {
		t.Errorf("the old password still works after passwd: exit %d", code)
	}
	with("third password").must("snapshots")
	with("third password").mustRestic(bin, "snapshots")
	if ks := keyList(t, with("third password")); len(ks) != 1 || !ks[0].Current || ks[0].ID == second {
		t.Errorf("keys after passwd: %+v", ks)
	}

	p = with("third password")
	p.stdin = "\n"
	if _, errOut, code := p.run("key", "add"); code != exitFailure || !strings.Contains(errOut, "empty") {
		t.Errorf("key add with an empty password: exit %d\n%s", code, errOut)
	}
	if ks := keyList(t, with("third password")); len(ks) != 1 {
		t.Errorf("a refused key add left %d keys", len(ks))
	}
}

func keyList(t *testing.T, c *cli) []keyJSON {
	t.Helper()
	var ks []keyJSON
	must(t, json.Unmarshal([]byte(c.must("key", "list", "--json")), &ks))
	return ks
}
