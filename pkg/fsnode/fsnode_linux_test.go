//go:build linux

package fsnode_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// odd nanosecond timestamps, so truncation to µs or s shows.
var (
	mtime = time.Unix(1700000000, 123456789)
	atime = time.Unix(1600000000, 987654321)
)

// entry describes one test entry: how to make it in dir, and what its node
// must look like.
type entry struct {
	name   string
	make   func(t *testing.T, path string)
	typ    format.NodeType
	mode   os.FileMode
	target string // symlink target
	device uint64
	root   bool // needs root (mknod, chown)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func file(perm uint32, data string) func(*testing.T, string) {
	return func(t *testing.T, p string) {
		must(t, os.WriteFile(p, []byte(data), 0o600))
		must(t, unix.Chmod(p, perm))
	}
}

func dir(perm uint32) func(*testing.T, string) {
	return func(t *testing.T, p string) {
		must(t, os.Mkdir(p, 0o700))
		must(t, unix.Chmod(p, perm))
	}
}

func symlink(target string) func(*testing.T, string) {
	return func(t *testing.T, p string) { must(t, os.Symlink(target, p)) }
}

func mknod(mode uint32, dev uint64) func(*testing.T, string) {
	return func(t *testing.T, p string) {
		must(t, unix.Mknod(p, mode, int(dev)))
		must(t, unix.Chmod(p, mode&0o7777)) // undo the umask
	}
}

var entries = []entry{
	{name: "file", make: file(0o644, "hello"), typ: format.NodeFile, mode: 0o644},
	{name: "empty", make: file(0o600, ""), typ: format.NodeFile, mode: 0o600},
	{name: "setuid", make: file(0o4755, "x"), typ: format.NodeFile, mode: 0o755 | os.ModeSetuid},
	{name: "setgid", make: file(0o2755, "x"), typ: format.NodeFile, mode: 0o755 | os.ModeSetgid},
	{name: "bad\xff\xfename", make: file(0o640, "x"), typ: format.NodeFile, mode: 0o640},
	{name: "dir", make: dir(0o755), typ: format.NodeDir, mode: 0o755 | os.ModeDir},
	{name: "sticky", make: dir(0o1777), typ: format.NodeDir, mode: 0o777 | os.ModeDir | os.ModeSticky},
	{name: "sgiddir", make: dir(0o2750), typ: format.NodeDir, mode: 0o750 | os.ModeDir | os.ModeSetgid},
	{name: "link", make: symlink("file"), typ: format.NodeSymlink, mode: 0o777 | os.ModeSymlink, target: "file"},
	{name: "dangling", make: symlink("/nonexistent/x"), typ: format.NodeSymlink, mode: 0o777 | os.ModeSymlink, target: "/nonexistent/x"},
	{name: "badlink", make: symlink("t\xff\xfe"), typ: format.NodeSymlink, mode: 0o777 | os.ModeSymlink, target: "t\xff\xfe"},
	{name: "fifo", make: func(t *testing.T, p string) { must(t, unix.Mkfifo(p, 0o640)); must(t, unix.Chmod(p, 0o640)) }, typ: format.NodeFifo, mode: 0o640 | os.ModeNamedPipe},
	{name: "chardev", make: mknod(unix.S_IFCHR|0o620, unix.Mkdev(1, 3)), typ: format.NodeCharDev,
		mode: 0o620 | os.ModeDevice | os.ModeCharDevice, device: unix.Mkdev(1, 3), root: true},
	{name: "blockdev", make: mknod(unix.S_IFBLK|0o660, unix.Mkdev(7, 200)), typ: format.NodeDev,
		mode: 0o660 | os.ModeDevice, device: unix.Mkdev(7, 200), root: true},
}

// makeEntries creates all entries usable here in dir with mtime/atime set.
func makeEntries(t *testing.T, dir string) []entry {
	var made []entry
	for _, e := range entries {
		if e.root && os.Geteuid() != 0 {
			t.Logf("%s: skipped, needs root", e.name)
			continue
		}
		p := filepath.Join(dir, e.name)
		e.make(t, p)
		ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
		must(t, unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW))
		made = append(made, e)
	}
	return made
}

func TestFromLstat(t *testing.T) {
	dir := t.TempDir()
	for _, e := range makeEntries(t, dir) {
		t.Run(e.name, func(t *testing.T) {
			p := filepath.Join(dir, e.name)
			n, err := fsnode.FromLstat(p)
			must(t, err)
			var st unix.Stat_t
			must(t, unix.Lstat(p, &st))
			if n.Name != e.name || n.Type != e.typ || n.Mode != e.mode {
				t.Errorf("name/type/mode = %q %s %v, want %q %s %v", n.Name, n.Type, n.Mode, e.name, e.typ, e.mode)
			}
			if !n.ModTime.Equal(mtime) || !n.AccessTime.Equal(mtime) {
				t.Errorf("mtime %v atime %v, want both %v (atime = mtime like restic)", n.ModTime, n.AccessTime, mtime)
			}
			if ct := time.Unix(st.Ctim.Unix()); !n.ChangeTime.Equal(ct) {
				t.Errorf("ctime %v, want %v", n.ChangeTime, ct)
			}
			if n.UID != st.Uid || n.GID != st.Gid || n.Inode != uint64(st.Ino) || n.DeviceID != uint64(st.Dev) {
				t.Errorf("uid/gid/inode/device_id = %d %d %d %d, want %d %d %d %d",
					n.UID, n.GID, n.Inode, n.DeviceID, st.Uid, st.Gid, st.Ino, st.Dev)
			}
			if st.Uid == 0 && (n.User != "root" || n.Group != "root") {
				t.Errorf("user/group = %q %q, want root root", n.User, n.Group)
			}
			wantLinks := uint64(0)
			if e.typ != format.NodeDir && e.typ != format.NodeFifo {
				wantLinks = 1
			}
			if n.Links != wantLinks {
				t.Errorf("links = %d, want %d", n.Links, wantLinks)
			}
			if n.LinkTarget != e.target || n.Device != e.device || n.Content != nil {
				t.Errorf("linktarget %q device %d content %v, want %q %d nil", n.LinkTarget, n.Device, n.Content, e.target, e.device)
			}
			wantRaw := e.name == "badlink"
			if (n.LinkTargetRaw != nil) != wantRaw || wantRaw && string(n.LinkTargetRaw) != e.target {
				t.Errorf("linktarget_raw = %q, want it only for the non-UTF-8 target", n.LinkTargetRaw)
			}
			if e.typ == format.NodeFile && n.Size != uint64(st.Size) {
				t.Errorf("size = %d, want st_size %d", n.Size, st.Size)
			}
		})
	}
}

func TestFromLstatSocket(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sock")
	l, err := net.Listen("unix", p)
	must(t, err)
	defer l.Close()
	if _, err := fsnode.FromLstat(p); !errors.Is(err, fsnode.ErrSocket) {
		t.Fatalf("err = %v, want ErrSocket", err)
	}
	if _, err := fsnode.FromLstat(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing entry: err = %v, want ErrNotExist", err)
	}
}

// xattrsSupported reports whether user.* xattrs work in dir.
func xattrsSupported(t *testing.T, dir string) bool {
	p := filepath.Join(dir, ".probe")
	must(t, os.WriteFile(p, nil, 0o600))
	defer os.Remove(p)
	err := unix.Setxattr(p, "user.probe", []byte("1"), 0)
	if errors.Is(err, unix.ENOTSUP) {
		return false
	}
	must(t, err)
	return true
}

func TestXattrs(t *testing.T) {
	dir := t.TempDir()
	if !xattrsSupported(t, dir) {
		t.Skip("user xattrs not supported on", dir)
	}
	p := filepath.Join(dir, "f")
	must(t, os.WriteFile(p, nil, 0o600))
	want := []format.ExtendedAttribute{{Name: "user.zeta", Value: []byte("1")}, {Name: "user.alpha", Value: []byte{0, 0xff}},
		{Name: "user.empty", Value: []byte{}}, {Name: "user.big", Value: make([]byte, 1000)}}
	// Enough names that the list outgrows FromLstat's first buffer.
	for i := range 20 {
		want = append(want, format.ExtendedAttribute{Name: fmt.Sprintf("user.a-rather-long-attribute-name-%02d", i), Value: []byte{byte(i)}})
	}
	for _, xa := range want {
		must(t, unix.Setxattr(p, xa.Name, xa.Value, 0))
	}
	n, err := fsnode.FromLstat(p)
	must(t, err)
	// Order is listxattr's, whatever the filesystem makes of it.
	buf := make([]byte, 4096)
	sz, err := unix.Listxattr(p, buf)
	must(t, err)
	var names []string
	for _, xa := range n.ExtendedAttributes {
		names = append(names, xa.Name)
	}
	if got := string(buf[:sz]); got != joinNUL(names) {
		t.Errorf("xattr names %q, want listxattr order %q", names, got)
	}
	for _, w := range want {
		i := slices.IndexFunc(n.ExtendedAttributes, func(x format.ExtendedAttribute) bool { return x.Name == w.Name })
		if i < 0 || string(n.ExtendedAttributes[i].Value) != string(w.Value) {
			t.Errorf("xattr %s missing or wrong: %v", w.Name, n.ExtendedAttributes)
		}
	}
}

func joinNUL(s []string) string {
	var out string
	for _, x := range s {
		out += x + "\x00"
	}
	return out
}

func TestHardlinkIndex(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "a"), []byte("data"), 0o644))
	must(t, os.Link(filepath.Join(src, "a"), filepath.Join(src, "b")))
	must(t, os.Link(filepath.Join(src, "a"), filepath.Join(src, "c")))
	must(t, os.WriteFile(filepath.Join(src, "d"), []byte("data"), 0o644))
	var idx fsnode.HardlinkIndex
	var links [][2]string
	for _, name := range []string{"a", "b", "c", "d"} {
		n, err := fsnode.FromLstat(filepath.Join(src, name))
		must(t, err)
		p := filepath.Join(dst, name)
		first, link, _ := idx.Claim(n, p)
		if link != (name == "b" || name == "c") || link && first != filepath.Join(dst, "a") {
			t.Errorf("%s: Claim = %q %v", name, first, link)
		}
		if link {
			links = append(links, [2]string{first, p})
			continue
		}
		must(t, os.WriteFile(p, []byte("data"), 0o644))
	}
	for _, l := range links {
		must(t, os.Link(l[0], l[1]))
	}
	ino := func(name string) uint64 {
		var st unix.Stat_t
		must(t, unix.Lstat(filepath.Join(dst, name), &st))
		return uint64(st.Ino)
	}
	if ino("a") != ino("b") || ino("a") != ino("c") || ino("a") == ino("d") {
		t.Errorf("restored inodes a b c d = %d %d %d %d, want a=b=c≠d", ino("a"), ino("b"), ino("c"), ino("d"))
	}

	// Concurrent claims of one group: exactly one writer.
	var wg sync.WaitGroup
	var mu sync.Mutex
	writers := 0
	n := &format.Node{Type: format.NodeFile, Links: 2, Inode: 42, DeviceID: 7}
	for i := range 50 {
		wg.Go(func() {
			if _, link, _ := idx.Claim(n, filepath.Join(dst, "x", string(rune('a'+i)))); !link {
				mu.Lock()
				writers++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if writers != 1 {
		t.Errorf("%d goroutines got to write the group, want 1", writers)
	}
	// Same inode on another device, and single-link files, are not links.
	for _, n := range []*format.Node{{Type: format.NodeFile, Links: 2, Inode: 42, DeviceID: 8},
		{Type: format.NodeFile, Links: 1, Inode: 42, DeviceID: 7}, {Type: format.NodeSymlink, Links: 2, Inode: 42, DeviceID: 7}} {
		if _, link, _ := idx.Claim(n, "/y"); link {
			t.Errorf("Claim(%+v) reported a link", n)
		}
	}
}

// TestFromLstatConcurrent lets the race detector watch the owner-name
// cache: walkers call FromLstat from many goroutines.
func TestFromLstatConcurrent(t *testing.T) {
	dir := t.TempDir()
	for i := range 8 {
		p := filepath.Join(dir, fmt.Sprint(i))
		must(t, os.WriteFile(p, nil, 0o600))
		if os.Geteuid() == 0 {
			must(t, os.Lchown(p, 3000+i, 4000+i)) // ids without names
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 8 {
				n, err := fsnode.FromLstat(filepath.Join(dir, fmt.Sprint(i)))
				if err != nil || os.Geteuid() == 0 && (n.UID != uint32(3000+i) || n.User != "") {
					t.Errorf("%d: %+v %v", i, n, err)
				}
			}
		})
	}
	wg.Wait()
}

// TestFromLstatSince: the parent's extended attributes are reused only
// for the same inode with the same ctime and mtime; any metadata change
// (which setting an attribute is) has them read again.
func TestFromLstatSince(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	must(t, os.WriteFile(p, []byte("x"), 0o600))
	fake := []format.ExtendedAttribute{{Name: "user.from-parent", Value: []byte("1")}}
	parentOf := func() *format.Node {
		old, err := fsnode.FromLstat(p)
		must(t, err)
		old.ExtendedAttributes = fake
		return old
	}
	cases := []struct {
		name   string
		change func()
		reused bool
	}{
		{"unchanged", func() {}, true},
		{"mode changed (ctime)", func() { must(t, os.Chmod(p, 0o640)) }, false},
		{"content changed (mtime)", func() { must(t, os.WriteFile(p, []byte("y"), 0o600)) }, false},
		{"replaced (inode)", func() {
			must(t, os.WriteFile(p+".new", []byte("y"), 0o600))
			must(t, os.Rename(p+".new", p))
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := parentOf()
			time.Sleep(10 * time.Millisecond) // let ctime move on filesystems with coarse clocks
			tc.change()
			n, err := fsnode.FromLstatSince(p, old)
			must(t, err)
			if got := slices.EqualFunc(n.ExtendedAttributes, fake, func(a, b format.ExtendedAttribute) bool { return a.Name == b.Name }); got != tc.reused {
				t.Fatalf("xattrs %v: reused %v, want %v", n.ExtendedAttributes, got, tc.reused)
			}
		})
	}
	if n, err := fsnode.FromLstatSince(p, nil); err != nil || len(n.ExtendedAttributes) != 0 {
		t.Fatalf("no parent: %v, %v", n, err)
	}
}
