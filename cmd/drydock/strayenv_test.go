package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultRepositoryWarnsOfStrayResticVars: a RESTIC_ variable drydock
// does not read (a typo, RESTIC_REPOSITORY_FILE) is named when the
// default repository is used instead; tuning variables are not.
func TestDefaultRepositoryWarnsOfStrayResticVars(t *testing.T) {
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "f"), []byte("data"), 0o644))
	for _, tc := range []struct {
		env  map[string]string
		warn string
	}{
		{map[string]string{"RESTIC_REPOSITRY": "/srv/backup"}, "although RESTIC_REPOSITRY is set"},
		{map[string]string{"RESTIC_REPOSITORY_FILE": "/etc/repo", "RESTIC_PASWORD": "x"}, "although RESTIC_PASWORD, RESTIC_REPOSITORY_FILE are set"},
		{map[string]string{"RESTIC_CACHE_DIR": "/var/cache/restic"}, ""},
		{map[string]string{"RESTIC_FROM_PASSWORD_FILE": "/etc/source-pw"}, ""},
	} {
		env := map[string]string{"HOME": t.TempDir()}
		for k, v := range tc.env {
			env[k] = v
		}
		c := &cli{t: t, env: env}
		_, errOut, code := c.run("backup", src)
		if code != 0 {
			t.Fatalf("backup into the default repository: exit %d\n%s", code, errOut)
		}
		if got := strings.Contains(errOut, "warning: using the default repository"); got != (tc.warn != "") || !strings.Contains(errOut, tc.warn) {
			t.Errorf("with %v: stderr %q, want a warning %q", tc.env, errOut, tc.warn)
		}
	}
}
