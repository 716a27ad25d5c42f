//go:build !linux

package fsnode

import (
	"errors"
	"os"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Root is not implemented on this system yet (see the Linux version).
type Root struct{}

// OpenRoot is not implemented on this system yet.
func OpenRoot(dir string) (*Root, error) { return nil, errors.ErrUnsupported }

// Close does nothing.
func (r *Root) Close() error { return nil }

// Abs returns rel.
func (r *Root) Abs(rel string) string { return rel }

// CreateFile is not implemented on this system yet.
func (r *Root) CreateFile(rel string) (*os.File, error) { return nil, errors.ErrUnsupported }

// OpenFile is not implemented on this system yet.
func (r *Root) OpenFile(rel string) (*os.File, error) { return nil, errors.ErrUnsupported }

// OpenDirectory is not implemented on this system yet.
func (r *Root) OpenDirectory(rel string) (*os.File, error) { return nil, errors.ErrUnsupported }

// Dir is not implemented on this system yet.
func (r *Root) Dir(rel string) (*Dir, error) { return nil, errors.ErrUnsupported }

// Link is not implemented on this system yet.
func (r *Root) Link(oldRel, newRel string) error { return errors.ErrUnsupported }

// SetAside is not implemented on this system yet.
func (r *Root) SetAside(rel, suffix string) (string, error) { return "", errors.ErrUnsupported }

// Dir is not implemented on this system yet.
type Dir struct{}

// Close does nothing.
func (d *Dir) Close() error { return nil }

// Mkdir is not implemented on this system yet.
func (d *Dir) Mkdir(name string) error { return errors.ErrUnsupported }

// Remove is not implemented on this system yet.
func (d *Dir) Remove(name string) error { return errors.ErrUnsupported }

// CreateSpecial is not implemented on this system yet.
func (d *Dir) CreateSpecial(name string, n *format.Node) error { return errors.ErrUnsupported }

// ApplyMetadata is not implemented on this system yet.
func (d *Dir) ApplyMetadata(name string, n *format.Node) error { return errors.ErrUnsupported }

// ApplyMetadataFile is not implemented on this system yet.
func ApplyMetadataFile(f *os.File, n *format.Node) error { return errors.ErrUnsupported }

// Entry is what Lstat found of an existing entry.
type Entry struct {
	Mode    os.FileMode
	Size    int64
	ModTime time.Time
	Links   uint64
}

// OpenExistingRoot is not implemented on this system yet.
func OpenExistingRoot(dir string) (*Root, error) { return nil, errors.ErrUnsupported }

// Lstat is not implemented on this system yet.
func (d *Dir) Lstat(name string) (Entry, bool, error) { return Entry{}, false, errors.ErrUnsupported }

// OpenRead is not implemented on this system yet.
func (r *Root) OpenRead(rel string) (*os.File, error) { return nil, errors.ErrUnsupported }

// Names is not implemented on this system yet.
func (r *Root) Names(rel string) ([]string, error) { return nil, errors.ErrUnsupported }

// RemoveAll is not implemented on this system yet.
func (d *Dir) RemoveAll(name string, removed func(rel string)) error { return errors.ErrUnsupported }

// WalkAll is not implemented on this system yet.
func (d *Dir) WalkAll(name string, visit func(rel string)) error { return errors.ErrUnsupported }

// Rmdir is not implemented on this system yet.
func (r *Root) Rmdir(rel string) error { return errors.ErrUnsupported }
