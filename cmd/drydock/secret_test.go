package main

import (
	"strings"
	"testing"
)

// TestCLIHidesLocationPasswords: commands given a location with a password
// (by -r or RESTIC_REPOSITORY) that they refuse or cannot reach never
// print the password.
func TestCLIHidesLocationPasswords(t *testing.T) {
	const pw = "hunter2-Pz8"
	for _, tc := range []struct {
		loc  string
		args []string
	}{
		{"s3:https://user:" + pw + "@host/", []string{"init"}},
		{"s3:https://user:" + pw + "@host/", []string{"snapshots"}},
		{"sftp://user:" + pw + "@127.0.0.1:1/repo", []string{"snapshots"}},
		{"rest:https://user:" + pw + "@host:port/", []string{"init"}},
		{"rest:http://user:" + pw + "@127.0.0.1:1/repo/", []string{"snapshots", "--retry-max", "0"}},
		{"b2://user:" + pw + "@bucket/", []string{"init"}},
	} {
		for _, byFlag := range []bool{false, true} {
			c := newCLI(t, tc.loc)
			args := tc.args
			if byFlag {
				delete(c.env, "RESTIC_REPOSITORY")
				args = append([]string{"-r", tc.loc}, args...)
			}
			out, errOut, code := c.run(args...)
			if code == 0 || strings.Contains(out+errOut, pw) {
				t.Errorf("drydock %s: exit %d, want a failure that hides the password:\n%s%s", strings.Join(args, " "), code, out, errOut)
			}
		}
	}
	c := newCLI(t, "")
	out, errOut, _ := c.run("snapshots", "--repo-name", "r", "-r", "rest:http://user:"+pw+"@127.0.0.1:1/repo/")
	if strings.Contains(out+errOut, pw) || !strings.Contains(errOut, "user:***@") {
		t.Errorf("-r with --repo-name: want the location named masked:\n%s%s", out, errOut)
	}
}
