package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(dir string) func(string) string {
	return func(k string) string {
		if k == "STATE_DIRECTORY" {
			return dir
		}
		return ""
	}
}

// good is a valid configuration; the bad cases edit it.
const good = `state_dir: STATE
listen: 127.0.0.1:0
repositories:
  local:
    location: repo
    password_file: pw
  bucket:
    location: s3:http://127.0.0.1:9/bucket
    password_file: pw
    s3:
      access_key_id: minio
      secret_access_key_file: pw
jobs:
  etc:
    repository: local
    schedule: "0 */5 * * * *"
    jitter: 2s
    paths: [/etc]
    retention:
      keep_last: 3
    verify:
      schedule: "@daily"
      read_data_subset: 10%
  apps:
    repository: bucket
    schedule: "0 3 * * *"
    volumes:
      select: [db]
notify:
  - url: generic://127.0.0.1:9/hook?template=json&disabletls=yes
    on: [failure, success]
`

func writeConfig(t *testing.T, text string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "drydock.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "STATE", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

func TestGoodConfig(t *testing.T) {
	path, dir := writeConfig(t, good)
	c, err := Load(path, env(""))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Repositories["local"].Location.Reveal(), filepath.Join(dir, "repo"); got != want {
		t.Errorf("local location %q, want %q (relative to state_dir)", got, want)
	}
	if got := c.Repositories["bucket"].Location.Reveal(); got != "s3:http://127.0.0.1:9/bucket" {
		t.Errorf("s3 location rewritten: %q", got)
	}
	etc := c.Jobs["etc"]
	if time.Duration(etc.Jitter) != 2*time.Second || etc.Retention.KeepLast != 3 || !etc.Retention.PruneEnabled() {
		t.Errorf("etc job decoded wrong: %+v %+v", etc, etc.Retention)
	}
	if c.Jobs["apps"].Volumes == nil || c.Jobs["apps"].Volumes.Select[0] != "db" {
		t.Errorf("volumes job decoded wrong: %+v", c.Jobs["apps"].Volumes)
	}
	if got := c.Notify[0].On; len(got) != 2 {
		t.Errorf("notify events %v", got)
	}
}

// TestCopyForms: a copy destination is a repository name or a mapping
// with its own schedule and retention.
func TestCopyForms(t *testing.T) {
	text := strings.Replace(good, "      select: [db]\n", `      select: [db]
    copy:
      - local
      - repository: offsite
        schedule: "0 5 * * *"
        retention: {keep_daily: 30, prune: false}
`, 1)
	text = strings.Replace(text, "jobs:\n", "  offsite:\n    location: offsite\n    password_file: pw\njobs:\n", 1)
	path, _ := writeConfig(t, text)
	c, err := Load(path, env(""))
	if err != nil {
		t.Fatal(err)
	}
	cp := c.Jobs["apps"].Copy
	if len(cp) != 2 || *cp[0] != (Copy{Repository: "local"}) {
		t.Fatalf("copy: %+v", cp)
	}
	if cp[1].Repository != "offsite" || cp[1].Schedule != "0 5 * * *" || cp[1].Retention == nil || cp[1].Retention.KeepDaily != 30 || cp[1].Retention.PruneEnabled() {
		t.Errorf("copy with schedule and retention: %+v %+v", cp[1], cp[1].Retention)
	}
}

func TestDefaultConfig(t *testing.T) {
	dir := t.TempDir()
	c, err := Default(env(dir))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Repositories["default"]
	if r == nil || r.Location.Reveal() != filepath.Join(dir, "repo") || r.PasswordFile != filepath.Join(dir, "password") || !r.Init {
		t.Fatalf("default repository: %+v", r)
	}
	j := c.Jobs["volumes"]
	if j == nil || j.Volumes == nil || j.Repository != "default" || j.Retention == nil || j.Verify == nil {
		t.Fatalf("default job: %+v", j)
	}
	if c.Listen != DefaultListen {
		t.Errorf("listen %q", c.Listen)
	}
}

// TestScheduleInterval: a schedule whose runs can be less than a minute
// apart is refused, naming the job; once a minute is the most often.
func TestScheduleInterval(t *testing.T) {
	for _, tc := range []struct {
		schedule string
		ok       bool
	}{
		{"@every 0s", false},
		{"@every 1s", false},
		{"@every 59s", false},
		{"@every 1m", true},
		{"@every 90s", true},
		{"* * * * * *", false},
		{"*/30 * * * * *", false},
		{"0,59 * * * * *", false},
		{"0 * * * * *", true},
		{"* * * * *", true},
		{"0 3 * * *", true},
		{"@hourly", true},
	} {
		t.Run(tc.schedule, func(t *testing.T) {
			path, _ := writeConfig(t, strings.Replace(good, `"0 */5 * * * *"`, `"`+tc.schedule+`"`, 1))
			_, err := Load(path, env(""))
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "jobs.etc.schedule") || !strings.Contains(err.Error(), "shortest allowed interval is 1m0s")) {
				t.Fatalf("error %v, want jobs.etc.schedule refused as too frequent", err)
			}
		})
	}
	// The verification's schedule too; tests lower the minimum.
	path, _ := writeConfig(t, strings.Replace(good, `"@daily"`, `"@every 10s"`, 1))
	if _, err := Load(path, env("")); err == nil || !strings.Contains(err.Error(), "jobs.etc.verify.schedule") {
		t.Fatalf("verify every 10s: %v", err)
	}
	lower := func(k string) string {
		if k == EnvMinInterval {
			return "1s"
		}
		return ""
	}
	if _, err := Load(path, lower); err != nil {
		t.Fatalf("verify every 10s with %s=1s: %v", EnvMinInterval, err)
	}
}

// TestBadConfigs: each broken file fails with the line and key at fault.
func TestBadConfigs(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"unknown key", "    jitter: 2s\n", "    jitter: 2s\n    schedul: x\n", []string{"drydock.yaml:18:", `unknown key "schedul"`}},
		{"unknown top key", "listen:", "listne: x\nlisten:", []string{"drydock.yaml:2:", `unknown key "listne"`}},
		{"bad cron", `"0 */5 * * * *"`, `"61 * * * *"`, []string{"drydock.yaml:16:", "jobs.etc.schedule", "bad cron expression"}},
		{"cron that never fires", `"0 */5 * * * *"`, `"0 0 30 2 *"`, []string{":16:", "never fires"}},
		{"empty cron", `    schedule: "0 3 * * *"`, `    schedule: ""`, []string{":26:", "jobs.apps.schedule"}},
		{"missing password file", "  bucket:\n    location: s3:http://127.0.0.1:9/bucket\n    password_file: pw",
			"  bucket:\n    location: s3:http://127.0.0.1:9/bucket\n    password_file: nope", []string{":9:", "repositories.bucket.password_file", "cannot read password file", "no such file"}},
		{"unsupported scheme", "location: s3:http://127.0.0.1:9/bucket", "location: b2:bucket:path", []string{":8:", "repositories.bucket.location", "unsupported repository type", `"b2:"`}},
		{"sftp settings on s3", "      secret_access_key_file: pw\n", "      secret_access_key_file: pw\n    sftp: {key_file: pw}\n", []string{"repositories.bucket.sftp", "not sftp:"}},
		{"unknown option", "      secret_access_key_file: pw\n", "      secret_access_key_file: pw\n    options: {sftp.comand: x}\n", []string{"repositories.bucket.options", "unknown option -o sftp.comand"}},
		{"unknown repository", "    repository: bucket", "    repository: buckt", []string{":25:", `no repository named "buckt"`}},
		{"bad duration", "jitter: 2s", "jitter: 2 seconds", []string{":17:", "bad duration"}},
		{"paths and volumes", "    paths: [/etc]\n", "    paths: [/etc]\n    volumes: {}\n", []string{"give paths or volumes, not both"}},
		{"relative path", "paths: [/etc]", "paths: [etc]", []string{":18:", "jobs.etc.paths.0", "not absolute"}},
		{"empty retention", "      keep_last: 3", "      keep_last: 0", []string{":19:", "jobs.etc.retention", "remove every snapshot"}},
		{"bad subset", "read_data_subset: 10%", "read_data_subset: 200%", []string{":23:", "read_data_subset"}},
		{"drill of paths", "read_data_subset: 10%", "read_data_subset: 10%\n      boot: true", []string{"jobs.etc.verify.boot", "only for a job with volumes"}},
		{"bad event", "on: [failure, success]", "on: [failure, sucess]", []string{":31:", `unknown event "sucess"`}},
		{"bad notify url", "generic://127.0.0.1:9/hook?template=json&disabletls=yes", "nosuchservice://x", []string{":30:", "not a valid notification URL"}},
		{"bad listen", "listen: 127.0.0.1:0", "listen: 127.0.0.1", []string{":2:", "listen"}},
		{"bad keep_within", "      keep_last: 3", "      keep_last: 3\n      keep_within: 3 days", []string{":21:", "keep_within"}},
		{"bad max_unused", "      keep_last: 3", "      keep_last: 3\n      max_unused: lots", []string{":21:", "max_unused"}},
		{"wrong type", "keep_last: 3", "keep_last: three", []string{":20:", "cannot unmarshal"}},
		{"bad yaml", "jobs:\n", "jobs:\n  - [\n", []string{"drydock.yaml:"}},
		{"copy to unknown", "      select: [db]\n", "      select: [db]\n    copy: [offsite]\n", []string{":29:", "jobs.apps.copy.0", `no repository named "offsite"`}},
		{"copy to itself", "      select: [db]\n", "      select: [db]\n    copy: [bucket]\n", []string{":29:", "jobs.apps.copy.0", "the job's own repository"}},
		{"copy twice", "      select: [db]\n", "      select: [db]\n    copy: [local, {repository: local}]\n", []string{"jobs.apps.copy.1", "listed twice"}},
		{"copy unknown key", "      select: [db]\n", "      select: [db]\n    copy:\n      - repository: local\n        schedul: x\n", []string{":31:", `unknown key "schedul"`}},
		{"copy retention unknown key", "      select: [db]\n", "      select: [db]\n    copy:\n      - repository: local\n        retention: {keep_dayly: 3}\n", []string{":31:", `unknown key "keep_dayly"`}},
		{"copy bad schedule", "      select: [db]\n", "      select: [db]\n    copy: [{repository: local, schedule: \"@every 1s\"}]\n", []string{":29:", "jobs.apps.copy.0.schedule", "shortest allowed"}},
		{"copy empty retention", "      select: [db]\n", "      select: [db]\n    copy: [{repository: local, retention: {prune: true}}]\n", []string{"jobs.apps.copy.0.retention", "remove every snapshot"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("test case edits %q, which is not in the good config", tc.old)
			}
			path, _ := writeConfig(t, strings.Replace(good, tc.old, tc.new, 1))
			_, err := Load(path, env(""))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestEveryProblemReported: one load names every problem of the file,
// decoding and validation alike, each with its line, and no echo of a
// value that failed to decode.
func TestEveryProblemReported(t *testing.T) {
	bad := good
	for _, edit := range [][2]string{
		{"keep_last: 3", "keep_last: three"},
		{`"0 */5 * * * *"`, `"61 * * * *"`},
		{"location: s3:http://127.0.0.1:9/bucket", "location: b2:bucket:/srv"},
		{"    jitter: 2s\n", "    jitter: 2s\n    schedul: x\n"},
		{"read_data_subset: 10%", "read_data_subset: 200%"},
	} {
		bad = strings.Replace(bad, edit[0], edit[1], 1)
	}
	path, _ := writeConfig(t, bad)
	_, err := Load(path, env(""))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range []string{":21: cannot unmarshal", ":16: jobs.etc.schedule", ":8: repositories.bucket.location",
		`unknown key "schedul"`, ":24: jobs.etc.verify.read_data_subset"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not contain %q:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "remove every snapshot") {
		t.Errorf("the undecodable keep_last is reported twice:\n%v", err)
	}
}

// TestExampleConfig: the documented example parses (its secret files
// aside) and means what its comments say.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../../contrib/drydock.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data, "drydock.example.yaml", env(t.TempDir()))
	if err == nil {
		t.Fatal("the example's secret files exist on this machine?")
	}
	// The example names secret files that do not exist here: those, and
	// only those, are the errors.
	for _, e := range strings.Split(err.Error(), "\n") {
		if !strings.Contains(e, "cannot read") {
			t.Errorf("unexpected error: %s", e)
		}
	}
	for _, key := range []string{"offsite.password_file", "secret_access_key_file", "url_file", "nas.sftp.key_file", "rest-server.rest.cacert.0"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("expected a missing-file error for %s", key)
		}
	}
}

// TestSwarmConfigs: the configurations of contrib/swarm's stacks parse;
// only the Docker secrets under /run/secrets are missing here.
func TestSwarmConfigs(t *testing.T) {
	for file, secrets := range map[string][]string{
		"drydock.yaml":      {"access_key_id_file", "secret_access_key_file"},
		"drydock-sftp.yaml": {"sftp.key_file", "sftp.known_hosts_file"},
	} {
		data, err := os.ReadFile("../../../contrib/swarm/" + file)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(data, file, env(t.TempDir()))
		if err == nil {
			t.Fatalf("%s: the stack's secrets exist on this machine?", file)
		}
		for _, e := range strings.Split(err.Error(), "\n") {
			if !strings.Contains(e, "cannot read") || !strings.Contains(e, "/run/secrets/") {
				t.Errorf("%s: unexpected error: %s", file, e)
			}
		}
		for _, key := range secrets {
			if !strings.Contains(err.Error(), key) {
				t.Errorf("%s: expected a missing-file error for %s:\n%v", file, key, err)
			}
		}
	}
}
