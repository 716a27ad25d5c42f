package mount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// Options say what a mount shows and who may see it. The zero value is
// restic's default mount.
type Options struct {
	Filter        retention.Filter // the snapshots shown; all by default
	PathTemplates []string         // where they appear; DefaultPathTemplates if empty
	TimeTemplate  string           // how %T is written; time.RFC3339 if empty
	OwnerRoot     bool             // show every file as root's
	AllowOther    bool             // let other users than the mounting one in
	// NoDefaultPermissions, with AllowOther, lets every user read every
	// file: the kernel does not check the recorded modes and owners.
	NoDefaultPermissions bool
	// RefreshInterval is the least time between two reads of the
	// snapshot list; restic's 60 s if zero.
	RefreshInterval time.Duration
	Logger          *slog.Logger // discarded if nil
	// Ready, if set, is called once the file system is mounted.
	Ready func()
}

// defaultRefresh is restic's minimum time between two reads of the
// snapshots: a mount browsed by a file manager looks up the top
// directories all the time.
const defaultRefresh = 60 * time.Second

func (o Options) withDefaults() Options {
	if len(o.PathTemplates) == 0 {
		o.PathTemplates = DefaultPathTemplates
	}
	if o.TimeTemplate == "" {
		o.TimeTemplate = time.RFC3339
	}
	if o.RefreshInterval <= 0 {
		o.RefreshInterval = defaultRefresh
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Ready == nil {
		o.Ready = func() {}
	}
	return o
}

// Serve mounts r's snapshots read-only at dir, an empty directory, and
// serves them until ctx is done, then unmounts. It returns nil when the
// file system was unmounted from outside (fusermount -u), and ctx's
// cause when ctx ended it. r's index must be loaded.
func Serve(ctx context.Context, r *repo.Repository, dir string, opts Options) error {
	opts = opts.withDefaults()
	if err := CheckTimeTemplate(opts.TimeTemplate); err != nil {
		return err
	}
	if err := CheckMountpoint(dir); err != nil {
		return err
	}
	fsys := newFileSystem(r, opts)
	// Read the snapshots before the mount shows up, as restic does: the
	// first look into it is then quick.
	if _, err := fsys.snapshots.current(ctx); err != nil {
		return err
	}
	srv, err := fs.Mount(dir, &metaDir{fsys: fsys}, fuseOptions(r, opts))
	if err != nil {
		return fmt.Errorf("mount %s: %w (needs /dev/fuse and fusermount3, Debian package fuse3)", dir, err)
	}
	opts.Ready()
	done := make(chan struct{})
	go func() {
		srv.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	waited, err := unmount(srv, dir)
	if err != nil {
		return err
	}
	if waited {
		<-done
	}
	return &UnmountedError{Dir: dir, Cause: context.Cause(ctx)}
}

// UnmountedError is Serve's error when its context ended the mount: an
// interrupt (context.Canceled), or the loss of the repository's lock.
type UnmountedError struct {
	Dir   string
	Cause error
}

func (e *UnmountedError) Error() string {
	if errors.Is(e.Cause, context.Canceled) {
		return "interrupted: " + e.Dir + " unmounted"
	}
	return e.Dir + " unmounted: " + e.Cause.Error()
}

func (e *UnmountedError) Unwrap() error { return e.Cause }

func newFileSystem(r *repo.Repository, opts Options) *fileSystem {
	fsys := &fileSystem{
		r:         r,
		blobs:     newBlobCache(blobCacheSize),
		ownerRoot: opts.OwnerRoot,
		started:   time.Now(),
		log:       opts.Logger,
		snapshots: &snapshotSet{r: r, filter: opts.Filter, every: opts.RefreshInterval,
			paths: opts.PathTemplates, timeTmpl: opts.TimeTemplate, log: opts.Logger},
	}
	if !opts.OwnerRoot {
		fsys.uid, fsys.gid = uint32(os.Getuid()), uint32(os.Getgid())
	}
	return fsys
}

// fuseOptions: read-only, named after the repository in the mount table,
// and the kernel's permission checks unless --no-default-permissions.
// Each node sets its own cache timeouts (see contentTimeout); modes are
// passed as recorded, 000 included.
func fuseOptions(r *repo.Repository, opts Options) *fs.Options {
	mo := fuse.MountOptions{
		AllowOther:   opts.AllowOther,
		Options:      []string{"ro"},
		FsName:       "drydock:" + shortID(r.Config().ID),
		Name:         "drydock",
		MaxReadAhead: 128 << 10,
	}
	if opts.AllowOther && !opts.NoDefaultPermissions {
		mo.Options = append(mo.Options, "default_permissions")
	}
	return &fs.Options{MountOptions: mo, NullPermissions: true}
}

func shortID(id string) string { return id[:min(len(id), 10)] }

// CheckMountpoint says why dir cannot be mounted on: it must be an
// existing, empty directory.
func CheckMountpoint(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("mountpoint %s does not exist: create an empty directory there first", dir)
	case err != nil:
		return fmt.Errorf("mountpoint %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("mountpoint %s is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("mountpoint %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("mountpoint %s is not empty (it holds %s): mount on an empty directory", dir, entries[0].Name())
	}
	return nil
}

// unmount ends the mount. A file still open below dir makes the plain
// unmount fail; then it is detached lazily, so that no dead mount is
// left behind when the process ends, and the server is not waited for
// (it serves the open files until they are closed or the process ends).
func unmount(srv *fuse.Server, dir string) (waited bool, err error) {
	if err = srv.Unmount(); err == nil {
		return true, nil
	}
	for _, bin := range []string{"fusermount3", "fusermount"} {
		if path, lerr := exec.LookPath(bin); lerr == nil {
			if out, lerr := exec.Command(path, "-u", "-z", dir).CombinedOutput(); lerr != nil {
				return false, fmt.Errorf("unmount %s: %w; lazy unmount: %v: %s", dir, err, lerr, out)
			}
			return false, nil
		}
	}
	return false, fmt.Errorf("unmount %s: %w", dir, err)
}
