package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/miniotest"
	"github.com/drydock-backup/drydock/internal/testkit/sshtest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
)

// remoteRepo is a cli on a remote repository and a count, taken by the
// server's side, of the files of a repository directory ("index",
// "snapshots", "data") fetched so far.
type remoteRepo struct {
	*cli
	args    []string // repository flags every command gets
	fetched func(dir string) int
}

func (r *remoteRepo) must(args ...string) string {
	r.t.Helper()
	return r.cli.must(append(append([]string{}, r.args...), args...)...)
}

func (r *remoteRepo) run(args ...string) (string, string, int) {
	r.t.Helper()
	return r.cli.run(append(append([]string{}, r.args...), args...)...)
}

func (r *remoteRepo) mustRestic(bin string, args ...string) string {
	r.t.Helper()
	return r.cli.mustRestic(bin, append(append([]string{}, r.args...), args...)...)
}

// metadataFetched is how many index and snapshot files were fetched.
func (r *remoteRepo) metadataFetched() int { return r.fetched("index") + r.fetched("snapshots") }

// remotes are the two kinds of remote repository the cache is tested on.
var remotes = []struct {
	name string
	open func(t *testing.T) *remoteRepo
}{
	{"s3", minioRepo},
	{"sftp", sftpRepo},
}

// minioRepo is a bucket on MinIO reached through a proxy that counts the
// objects GETs ask for.
func minioRepo(t *testing.T) *remoteRepo {
	srv := miniotest.Start(t)
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var gets []string
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // the request is signed for the proxy's address
	}}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			mu.Lock()
			gets = append(gets, r.URL.Path)
			mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	c := newCLI(t, "s3:"+front.URL+"/"+uniqueBucket("cache"))
	c.env["AWS_ACCESS_KEY_ID"] = srv.AccessKey
	c.env["AWS_SECRET_ACCESS_KEY"] = srv.SecretKey
	return &remoteRepo{cli: c, fetched: func(dir string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, p := range gets {
			if strings.Contains(p, "/"+dir+"/") {
				n++
			}
		}
		return n
	}}
}

// sftpRepo is a repository on an SFTP server, whose log tells which files
// were opened.
func sftpRepo(t *testing.T) *remoteRepo {
	srv := sshtest.StartLogged(t)
	c := newCLI(t, "sftp:"+sshtest.HostAlias+":repo")
	return &remoteRepo{cli: c, args: []string{"-o", "sftp.command=" + srv.Command()},
		fetched: func(dir string) int { return srv.Opened("repo/" + dir + "/") }}
}

// cacheBase is where the cli's commands keep their cache by default.
func (c *cli) cacheBase() string { return filepath.Join(c.env["HOME"], ".cache", "drydock") }

// cachedFiles lists the files of dir ("snapshots", "index", "data") in the
// cli's only repository cache.
func (c *cli) cachedFiles(t *testing.T, dir string) []string {
	t.Helper()
	ids, err := filepath.Glob(filepath.Join(c.cacheBase(), strings.Repeat("[0-9a-f]", 64)))
	if err != nil || len(ids) != 1 {
		t.Fatalf("repository caches in %s: %v, %v; want one", c.cacheBase(), ids, err)
	}
	var files []string
	err = filepath.WalkDir(filepath.Join(ids[0], dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// newRemoteWithBackup initialises the remote repository and backs up the
// fixture into it.
func newRemoteWithBackup(t *testing.T, open func(*testing.T) *remoteRepo) (*remoteRepo, string) {
	r := open(t)
	src := t.TempDir()
	fixture.Build(t, src)
	r.must("init")
	r.must("backup", src)
	return r, src
}

// TestCacheSecondRunFetchesNoMetadata: on S3 and SFTP, the second of two
// runs of snapshots, ls and find fetches no index or snapshot file, and ls
// and find no pack either (the tree packs are cached); without the cache
// every run fetches them again. Stock restic still finds the repository
// clean.
func TestCacheSecondRunFetchesNoMetadata(t *testing.T) {
	for _, rt := range remotes {
		t.Run(rt.name, func(t *testing.T) {
			r, _ := newRemoteWithBackup(t, rt.open)
			for _, cmd := range [][]string{{"snapshots"}, {"ls", "latest"}, {"find", "*.txt"}, {"stats"}} {
				first := r.must(cmd...)
				before, packs := r.metadataFetched(), r.fetched("data")
				if second := r.must(cmd...); second != first {
					t.Errorf("%v: the second run printed\n%s\nthe first\n%s", cmd, second, first)
				}
				if n := r.metadataFetched() - before; n != 0 {
					t.Errorf("%v: the second run fetched %d index and snapshot files", cmd, n)
				}
				if n := r.fetched("data") - packs; n != 0 && cmd[0] != "snapshots" {
					t.Errorf("%v: the second run fetched %d packs", cmd, n)
				}
				before = r.metadataFetched()
				r.must(append([]string{"--no-cache"}, cmd...)...)
				if r.metadataFetched() == before {
					t.Errorf("%v --no-cache fetched no index or snapshot file: the count sees nothing", cmd)
				}
			}
			if out := r.mustRestic(resticForCache(t), "check"); !strings.Contains(out, "no errors were found") {
				t.Errorf("restic check:\n%s", out)
			}
			if out := r.must("check"); !strings.Contains(out, "no errors were found") {
				t.Errorf("drydock check:\n%s", out)
			}
		})
	}
}

// TestCacheDamagedFileRefetched: a cached snapshot, index file or tree
// pack whose content no longer matches its name is fetched again (once),
// and the output is as before.
func TestCacheDamagedFileRefetched(t *testing.T) {
	for _, rt := range remotes {
		t.Run(rt.name, func(t *testing.T) {
			r, _ := newRemoteWithBackup(t, rt.open)
			want := r.must("ls", "latest")
			for _, dir := range []string{"snapshots", "index", "data"} {
				files := r.cachedFiles(t, dir)
				if len(files) == 0 {
					t.Fatalf("nothing cached in %s", dir)
				}
				for _, f := range files {
					damage(t, f)
				}
				before := r.fetched(dir)
				if got := r.must("ls", "latest"); got != want {
					t.Errorf("with damaged %s in the cache, ls printed\n%s\nwant\n%s", dir, got, want)
				}
				if n := r.fetched(dir) - before; n != len(files) {
					t.Errorf("%d damaged %s files: %d fetched again", len(files), dir, n)
				}
				for _, f := range r.cachedFiles(t, dir) {
					if !matchesName(t, f) {
						t.Errorf("%s still damaged in the cache", f)
					}
				}
			}
		})
	}
}

func damage(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	must(t, err)
	b[len(b)/2] ^= 0x40
	must(t, os.WriteFile(file, b, 0o600))
}

func matchesName(t *testing.T, file string) bool {
	t.Helper()
	b, err := os.ReadFile(file)
	must(t, err)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) == filepath.Base(file)
}

// TestCacheForgetByAnotherProcess: a snapshot that restic forgets (and
// prunes) behind drydock's back disappears from drydock's output and from
// its cache, and so do the index files and tree packs prune replaced.
func TestCacheForgetByAnotherProcess(t *testing.T) {
	bin := resticForCache(t)
	for _, rt := range remotes {
		t.Run(rt.name, func(t *testing.T) {
			r, src := newRemoteWithBackup(t, rt.open)
			must(t, os.WriteFile(filepath.Join(src, "new-file"), []byte("more"), 0o644))
			r.must("backup", src)
			r.must("ls", "latest")
			var snaps []struct {
				ID string `json:"id"`
			}
			must(t, json.Unmarshal([]byte(r.must("snapshots", "--json")), &snaps))
			if len(snaps) != 2 || len(r.cachedFiles(t, "snapshots")) != 2 {
				t.Fatalf("snapshots %v, cached %v; want two", snaps, r.cachedFiles(t, "snapshots"))
			}
			r.mustRestic(bin, "forget", "--prune", snaps[0].ID)
			out := r.must("snapshots")
			if strings.Contains(out, snaps[0].ID[:8]) || !strings.Contains(out, snaps[1].ID[:8]) {
				t.Errorf("after restic forgot %s, snapshots printed\n%s", snaps[0].ID[:8], out)
			}
			if got := r.cachedFiles(t, "snapshots"); len(got) != 1 || filepath.Base(got[0]) != snaps[1].ID {
				t.Errorf("cached snapshots %v, want only %s", got, snaps[1].ID[:8])
			}
			r.must("ls", "latest")
			cachedIndex := map[string]bool{}
			for _, f := range r.cachedFiles(t, "index") {
				cachedIndex[filepath.Base(f)] = true
			}
			listed := strings.Fields(r.mustRestic(bin, "list", "index"))
			if len(cachedIndex) != len(listed) {
				t.Errorf("cached index files %v, the repository lists %v", cachedIndex, listed)
			}
			for _, id := range listed {
				if !cachedIndex[id] {
					t.Errorf("index %s of the repository not cached", id[:8])
				}
			}
			packs := map[string]bool{}
			for _, id := range strings.Fields(r.mustRestic(bin, "list", "packs")) {
				packs[id] = true
			}
			for _, f := range r.cachedFiles(t, "data") {
				if !packs[filepath.Base(f)] {
					t.Errorf("pack %s is cached but gone from the repository", filepath.Base(f)[:8])
				}
			}
		})
	}
}

// TestCacheConcurrentCommands: commands running at once on one cold
// cache all succeed with the same output.
func TestCacheConcurrentCommands(t *testing.T) {
	for _, rt := range remotes {
		t.Run(rt.name, func(t *testing.T) {
			r, _ := newRemoteWithBackup(t, rt.open)
			want := r.must("--no-cache", "ls", "latest")
			must(t, os.RemoveAll(r.cacheBase()))
			outs := make([]string, 4)
			codes := make([]int, 4)
			var wg sync.WaitGroup
			for i := range outs {
				wg.Go(func() { outs[i], _, codes[i] = r.run("ls", "latest") })
			}
			wg.Wait()
			for i := range outs {
				if codes[i] != 0 || outs[i] != want {
					t.Errorf("run %d: exit %d, output\n%s\nwant\n%s", i, codes[i], outs[i], want)
				}
			}
		})
	}
}

// TestCacheWhere: the cache goes where --cache-dir, RESTIC_CACHE_DIR or
// XDG_CACHE_HOME say (in that order), nowhere with --no-cache, and a local
// repository has none.
func TestCacheWhere(t *testing.T) {
	r := sftpRepo(t)
	r.must("init")
	flag, env, xdg := t.TempDir(), t.TempDir(), t.TempDir()
	for _, tc := range []struct {
		name  string
		env   map[string]string
		args  []string
		where string // "" for nowhere
	}{
		{"no-cache", map[string]string{"RESTIC_CACHE_DIR": env}, []string{"--no-cache", "--cache-dir", flag}, ""},
		{"flag", map[string]string{"RESTIC_CACHE_DIR": env, "XDG_CACHE_HOME": xdg}, []string{"--cache-dir", flag}, flag},
		{"env", map[string]string{"RESTIC_CACHE_DIR": env, "XDG_CACHE_HOME": xdg}, nil, env},
		{"xdg", map[string]string{"XDG_CACHE_HOME": xdg}, nil, filepath.Join(xdg, "drydock")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range []string{flag, env, xdg, r.cacheBase()} {
				must(t, os.RemoveAll(d))
			}
			for k, v := range tc.env {
				r.env[k] = v
				defer delete(r.env, k)
			}
			r.must(append(tc.args, "snapshots")...)
			for _, d := range []string{flag, env, xdg, r.cacheBase()} {
				_, err := os.Stat(d)
				if exists := err == nil; exists != (tc.where != "" && strings.HasPrefix(tc.where, d)) {
					t.Errorf("%s exists: %v", d, exists)
				}
			}
		})
	}
	local := newCLI(t, t.TempDir())
	local.must("init")
	local.must("snapshots")
	if _, err := os.Stat(local.cacheBase()); !os.IsNotExist(err) {
		t.Errorf("a local repository got a cache: %v", err)
	}
}

// TestCacheCommand: drydock cache lists the caches with their use and
// size, and --cleanup removes those unused for longer than --max-age.
func TestCacheCommand(t *testing.T) {
	r := sftpRepo(t)
	r.must("init")
	r.must("snapshots")
	base := r.cacheBase()
	entries, err := os.ReadDir(base)
	must(t, err)
	var id string
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) == 64 { // keyhints/ beside the caches
			id = e.Name()
		}
	}
	out := r.cli.must("cache")
	for _, want := range []string{"Repository ID", id[:10], "today", "1 cache(s) in " + base} {
		if !strings.Contains(out, want) {
			t.Errorf("cache printed\n%s\nwant %q", out, want)
		}
	}
	if out := r.cli.must("cache", "--no-size"); strings.Contains(out, "Size") || strings.Contains(out, "B\n") {
		t.Errorf("cache --no-size printed sizes:\n%s", out)
	}
	old := time.Now().Add(-40 * 24 * time.Hour)
	must(t, os.Chtimes(filepath.Join(base, id), old, old))
	for _, tc := range []struct {
		args []string
		kept bool
	}{
		{[]string{"cache", "--cleanup", "--max-age", "50"}, true},
		{[]string{"cache", "--cleanup"}, false},
	} {
		r.cli.must(tc.args...)
		if _, err := os.Stat(filepath.Join(base, id)); (err == nil) != tc.kept {
			t.Errorf("%v: cache kept %v, want %v", tc.args, err == nil, tc.kept)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "CACHEDIR.TAG")); err != nil {
		t.Errorf("CACHEDIR.TAG: %v", err)
	}
}

// resticForCache is stock restic for the oracle checks.
func resticForCache(t *testing.T) string {
	t.Helper()
	return testenv.RequireBinary(t, "restic")
}
