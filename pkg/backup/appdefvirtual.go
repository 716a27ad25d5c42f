package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/volume"
)

// definitionVirtual is the virtual file of one file of an app's
// definition below dir: its bytes, a host file streamed when the
// archiver reads it (a build context's), or a symbolic link.
func definitionVirtual(dir string, f volume.DefinitionFile, now time.Time) archiver.VirtualFile {
	p := path.Join(dir, "definition", f.Path)
	mode, mtime := f.Mode, f.ModTime
	if mode == 0 {
		mode = 0o600
	}
	if mtime.IsZero() {
		mtime = now
	}
	switch {
	case f.Link != "":
		return archiver.VirtualFile{Path: p, Node: &format.Node{
			Name: path.Base(p), Type: format.NodeSymlink, Mode: os.ModeSymlink | 0o777,
			ModTime: mtime, AccessTime: mtime, ChangeTime: mtime,
			UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), Links: 1, LinkTarget: f.Link,
		}}
	case f.Source != "":
		src := f.Source
		return archiver.VirtualFile{Path: p, Mode: mode, ModTime: mtime,
			Open: func(context.Context) (io.ReadCloser, error) { return openRegular(src) }}
	}
	data := f.Data
	return archiver.VirtualFile{Path: p, Mode: mode, ModTime: mtime,
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// openRegular opens p if it is still the regular file it was when the
// definition was collected, never a symbolic link put in its place.
func openRegular(p string) (io.ReadCloser, error) {
	before, err := os.Lstat(p)
	if err == nil && !before.Mode().IsRegular() {
		err = errors.New("no longer a regular file") // and opening a FIFO would block
	}
	if err != nil {
		return nil, fmt.Errorf("build context file %s changed during the backup (run it again): %w", p, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("build context file: %w", err)
	}
	after, err := f.Stat()
	if err != nil || !os.SameFile(before, after) {
		f.Close()
		return nil, fmt.Errorf("build context file %s changed during the backup (run it again): no longer a regular file", p)
	}
	return f, nil
}
