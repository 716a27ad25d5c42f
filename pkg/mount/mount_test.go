package mount_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/internal/testkit/fixture"
	"github.com/drydock-backup/drydock/internal/testkit/repotest"
	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend/local"
	"github.com/drydock-backup/drydock/pkg/backup"
	"github.com/drydock-backup/drydock/pkg/mount"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

// backedUp is a repository with the fixture backed up once.
type backedUp struct {
	dir, src string
	sn       format.ID
	xattr    bool // data/small.txt has user.drydock=mounted
}

func backUpFixture(t *testing.T) backedUp {
	t.Helper()
	r, dir := repotest.New(t, 2, repo.Options{})
	src := t.TempDir()
	fixture.Build(t, src)
	// An extended attribute to read back through the mount, where the
	// file system here keeps user ones.
	xattr := unix.Setxattr(filepath.Join(src, "data/small.txt"), "user.drydock", []byte("mounted"), 0) == nil
	res, err := backup.RunPaths(t.Context(), r, []string{src}, backup.PathOptions{Host: "alpha", Tags: []string{"web", "nightly"}})
	if err != nil {
		t.Fatal(err)
	}
	return backedUp{dir: dir, src: src, sn: res.ID, xattr: xattr}
}

// open opens the repository at dir afresh, index loaded, as a mount
// command does.
func open(t *testing.T, dir string) *repo.Repository {
	t.Helper()
	be, err := local.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(t.Context(), be, repotest.Password, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	return r
}

// serve mounts r on a new directory until the test ends, then checks
// that the mount went away cleanly.
func serve(t *testing.T, r *repo.Repository, opts mount.Options) string {
	t.Helper()
	testenv.RequireFUSE(t)
	mnt := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	opts.Ready = func() { close(ready) }
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	errc := make(chan error, 1)
	go func() { errc <- mount.Serve(ctx, r, mnt, opts) }()
	select {
	case <-ready:
	case err := <-errc:
		cancel()
		t.Fatalf("mount: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve returned %v after its context ended, want context.Canceled", err)
		}
		if testenv.IsMountpoint(t, mnt) {
			t.Errorf("%s still mounted", mnt)
		}
	})
	return mnt
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func readlink(t *testing.T, p string) string {
	t.Helper()
	s, err := os.Readlink(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMountShowsSnapshot: the whole backed-up tree under snapshots/latest
// is the source, byte for byte, with its modes, owners, times, symlinks
// and hardlinks; hosts/, tags/ and ids/ lead to the same snapshot.
func TestMountShowsSnapshot(t *testing.T) {
	b := backUpFixture(t)
	r := open(t, b.dir)
	sn, err := r.LoadSnapshot(t.Context(), b.sn)
	if err != nil {
		t.Fatal(err)
	}
	mnt := serve(t, r, mount.Options{})

	if got := names(t, mnt); !slices.Equal(got, []string{"hosts", "ids", "snapshots", "tags"}) {
		t.Errorf("mount root holds %q", got)
	}
	name := sn.Time.Format(time.RFC3339)
	if got := names(t, filepath.Join(mnt, "snapshots")); !slices.Equal(got, []string{name, "latest"}) {
		t.Errorf("snapshots/ holds %q, want %q and latest", got, name)
	}
	for _, p := range []string{"snapshots/latest", "hosts/alpha/latest", "tags/web/latest", "tags/nightly/latest"} {
		if got := readlink(t, filepath.Join(mnt, p)); got != name {
			t.Errorf("%s -> %q, want %q", p, got, name)
		}
	}
	if got := names(t, filepath.Join(mnt, "ids")); !slices.Equal(got, []string{b.sn.Str()}) {
		t.Errorf("ids/ holds %q, want %s", got, b.sn.Str())
	}
	fi, err := os.Stat(filepath.Join(mnt, "snapshots", name))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != os.ModeDir|0o555 || !fi.ModTime().Equal(sn.Time) {
		t.Errorf("snapshot directory: mode %v, mtime %v; want dr-xr-xr-x and the snapshot's time %v", fi.Mode(), fi.ModTime(), sn.Time)
	}

	for _, p := range []string{"snapshots/latest", "hosts/alpha/" + name, "tags/nightly/latest", "ids/" + b.sn.Str()} {
		t.Run(p, func(t *testing.T) {
			fixture.Compare(t, b.src, filepath.Join(mnt, p, b.src), fixture.CompareOptions{})
		})
	}
	// ls -l asks every entry for its ACL and security label: none here.
	for _, p := range []string{"", "snapshots", "snapshots/latest", "ids/" + b.sn.Str(), "snapshots/latest/" + b.src, "snapshots/latest/" + b.src + "/data/zero", "snapshots/latest/" + b.src + "/links/relative"} {
		buf := make([]byte, 64)
		if _, err := unix.Lgetxattr(filepath.Join(mnt, p), "system.posix_acl_access", buf); !errors.Is(err, unix.ENODATA) && !errors.Is(err, unix.EOPNOTSUPP) {
			t.Errorf("/%s: getxattr: %v, want ENODATA", p, err)
		}
		if _, err := unix.Llistxattr(filepath.Join(mnt, p), buf); err != nil {
			t.Errorf("/%s: listxattr: %v", p, err)
		}
	}
	if b.xattr {
		small := filepath.Join(mnt, "snapshots/latest", b.src, "data/small.txt")
		buf := make([]byte, 64)
		n, err := unix.Getxattr(small, "user.drydock", buf)
		if err != nil || string(buf[:n]) != "mounted" {
			t.Errorf("xattr user.drydock through the mount: %q, %v", buf[:max(n, 0)], err)
		}
		n, err = unix.Listxattr(small, buf)
		if err != nil || string(buf[:n]) != "user.drydock\x00" {
			t.Errorf("xattrs listed through the mount: %q, %v", buf[:max(n, 0)], err)
		}
		if _, err := unix.Getxattr(small, "user.other", buf); !errors.Is(err, unix.ENODATA) {
			t.Errorf("an xattr the file does not have: %v, want ENODATA", err)
		}
	}
	if _, err := os.Stat(filepath.Join(mnt, "hosts/nobody")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of a host that has no snapshot: %v, want not found", err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "snapshots/latest", b.src, "data/small.txt"), []byte("x"), 0o644); !errors.Is(err, syscall.EROFS) && !errors.Is(err, syscall.EACCES) && !errors.Is(err, syscall.EPERM) {
		t.Errorf("writing into the mount: %v, want it refused", err)
	}
}

// TestMountOptions: --owner-root shows every file as root's, and
// --host/--tag show only the snapshots they select.
func TestMountOptions(t *testing.T) {
	b := backUpFixture(t)
	r := open(t, b.dir)
	if _, err := backup.RunPaths(t.Context(), r, []string{b.src}, backup.PathOptions{Host: "beta"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		opts  mount.Options
		hosts []string
		check func(t *testing.T, mnt string)
	}{
		{name: "all", hosts: []string{"alpha", "beta"}},
		{name: "host filter", opts: mount.Options{Filter: retention.Filter{Hosts: []string{"beta"}}}, hosts: []string{"beta"}},
		{name: "tag filter", opts: mount.Options{Filter: retention.Filter{Tags: retention.TagLists{{"web"}}}}, hosts: []string{"alpha"}},
		{name: "owner root", opts: mount.Options{OwnerRoot: true}, hosts: []string{"alpha", "beta"}, check: func(t *testing.T, mnt string) {
			if os.Geteuid() != 0 {
				t.Skip("the fixture has a file of another owner only when built as root")
			}
			var st syscall.Stat_t
			if err := syscall.Lstat(filepath.Join(mnt, "hosts/alpha/latest", b.src, "modes/owned-1234"), &st); err != nil {
				t.Fatal(err)
			}
			if st.Uid != 0 || st.Gid != 0 {
				t.Errorf("--owner-root: file owned by %d:%d, want 0:0", st.Uid, st.Gid)
			}
		}},
		{name: "recorded owner", hosts: []string{"alpha", "beta"}, check: func(t *testing.T, mnt string) {
			if os.Geteuid() != 0 {
				t.Skip("the fixture has a file of another owner only when built as root")
			}
			var st syscall.Stat_t
			if err := syscall.Lstat(filepath.Join(mnt, "hosts/alpha/latest", b.src, "modes/owned-1234"), &st); err != nil {
				t.Fatal(err)
			}
			if st.Uid != 1234 || st.Gid != 5678 {
				t.Errorf("file owned by %d:%d, want the recorded 1234:5678", st.Uid, st.Gid)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mnt := serve(t, r, tc.opts)
			if got := names(t, filepath.Join(mnt, "hosts")); !slices.Equal(got, tc.hosts) {
				t.Errorf("hosts/ holds %q, want %q", got, tc.hosts)
			}
			if tc.check != nil {
				tc.check(t, mnt)
			}
		})
	}
}

// TestMountSeesNewSnapshot: a snapshot written while mounted shows up
// once the refresh interval has passed, its new blobs readable; one
// forgotten goes away.
func TestMountSeesNewSnapshot(t *testing.T) {
	b := backUpFixture(t)
	mnt := serve(t, open(t, b.dir), mount.Options{RefreshInterval: 50 * time.Millisecond})
	if got := names(t, filepath.Join(mnt, "hosts")); !slices.Equal(got, []string{"alpha"}) {
		t.Fatalf("hosts/ holds %q", got)
	}
	before := readlink(t, filepath.Join(mnt, "snapshots/latest")) // in the kernel's cache now
	if err := os.WriteFile(filepath.Join(b.src, "data/new.txt"), []byte("written after the mount\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := backup.RunPaths(t.Context(), open(t, b.dir), []string{b.src}, backup.PathOptions{Host: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	if !testenv.Eventually(10*time.Second, 20*time.Millisecond, func() bool {
		return slices.Contains(names(t, filepath.Join(mnt, "hosts")), "beta")
	}) {
		t.Fatalf("the new snapshot did not show up; hosts/ holds %q", names(t, filepath.Join(mnt, "hosts")))
	}
	if _, err := os.Stat(filepath.Join(mnt, "ids", res.ID.Str())); err != nil {
		t.Errorf("ids/ of the new snapshot: %v", err)
	}
	// Both snapshots may have the same second: latest then leads to the
	// name made unique with "-1".
	want := res.Snapshot.Time.Format(time.RFC3339)
	if got := readlink(t, filepath.Join(mnt, "snapshots/latest")); got == before || (got != want && got != want+"-1") {
		t.Errorf("snapshots/latest -> %q (before: %q), want the new snapshot's %q", got, before, want)
	}
	for _, p := range []string{"hosts/beta/latest", "snapshots/latest"} {
		got, err := os.ReadFile(filepath.Join(mnt, p, b.src, "data/new.txt"))
		if err != nil || string(got) != "written after the mount\n" {
			t.Errorf("%s: new file of the new snapshot: %q, %v", p, got, err)
		}
	}
	// A snapshot forgotten (its file removed) goes away.
	if err := os.Remove(filepath.Join(b.dir, "snapshots", b.sn.String())); err != nil {
		t.Fatal(err)
	}
	if !testenv.Eventually(10*time.Second, 20*time.Millisecond, func() bool {
		return slices.Equal(names(t, filepath.Join(mnt, "ids")), []string{res.ID.Str()})
	}) {
		t.Errorf("ids/ holds %q after the first snapshot was forgotten, want only %s", names(t, filepath.Join(mnt, "ids")), res.ID.Str())
	}
}

// TestMountDamagedBlob: a file whose blob is damaged in its pack fails
// to read with EIO instead of giving wrong bytes; the others still read.
func TestMountDamagedBlob(t *testing.T) {
	b := backUpFixture(t)
	r := open(t, b.dir)
	sn, err := r.LoadSnapshot(t.Context(), b.sn)
	if err != nil {
		t.Fatal(err)
	}
	n, err := snaptree.Lookup(t.Context(), r, *sn.Tree, filepath.Join(b.src, "data/random-1234567"))
	if err != nil {
		t.Fatal(err)
	}
	loc, ok := r.Index().Lookup(format.BlobHandle{ID: n.Content[0], Type: format.DataBlob})
	if !ok {
		t.Fatal("first blob of data/random-1234567 not in the index")
	}
	pack := filepath.Join(b.dir, "data", loc.PackID.String()[:2], loc.PackID.String())
	flipByte(t, pack, int64(loc.Offset)+int64(loc.Length)/2)

	mnt := serve(t, r, mount.Options{})
	_, err = os.ReadFile(filepath.Join(mnt, "snapshots/latest", b.src, "data/random-1234567"))
	if !errors.Is(err, syscall.EIO) {
		t.Errorf("reading a file with a damaged blob: %v, want EIO", err)
	}
	if got, err := os.ReadFile(filepath.Join(mnt, "snapshots/latest", b.src, "data/small.txt")); err != nil || string(got) != "hello, restic\n" {
		t.Errorf("a file with intact blobs: %q, %v", got, err)
	}
}

func flipByte(t *testing.T, path string, at int64) {
	t.Helper()
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1)
	if _, err := f.ReadAt(buf, at); err != nil {
		t.Fatal(err)
	}
	buf[0] ^= 0xff
	if _, err := f.WriteAt(buf, at); err != nil {
		t.Fatal(err)
	}
}

// TestMountpointMustBeEmptyDir: a missing directory, a file or a
// directory with something in it is refused before anything is mounted.
func TestMountpointMustBeEmptyDir(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	full := filepath.Join(base, "full")
	for _, err := range []error{os.WriteFile(file, nil, 0o644), os.Mkdir(full, 0o755), os.WriteFile(filepath.Join(full, "x"), nil, 0o644)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join(base, "missing"), "does not exist"},
		{file, "is not a directory"},
		{full, "is not empty"},
	} {
		err := mount.CheckMountpoint(tc.dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckMountpoint(%s) = %v, want %q", tc.dir, err, tc.want)
		}
	}
	if err := mount.CheckMountpoint(t.TempDir()); err != nil {
		t.Errorf("an empty directory: %v", err)
	}
}
