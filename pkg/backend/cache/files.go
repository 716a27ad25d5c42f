package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// errMismatch marks a cached file whose content is not what its name says.
var errMismatch = errors.New("cached file does not match its name")

// file is the path of h in the cache.
func (d *Dir) file(h backend.Handle) string {
	return filepath.Join(d.path, filepath.FromSlash(backend.Path(h)))
}

// read returns the content of h if it is cached and intact. A damaged
// file is removed, and reported as errMismatch; a missing one as
// fs.ErrNotExist.
func (d *Dir) read(h backend.Handle) ([]byte, error) {
	data, err := os.ReadFile(d.file(h))
	if err != nil {
		return nil, err
	}
	if !matches(data, h.Name) {
		_ = os.Remove(d.file(h))
		return nil, fmt.Errorf("%v: %w", h, errMismatch)
	}
	return data, nil
}

// write stores data as h. It is not an error for h to be cached already:
// its content is the same.
func (d *Dir) write(h backend.Handle, data []byte) error {
	name := d.file(h)
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return err
	}
	return writeAtomic(name, data)
}

// remove deletes h from the cache; a file that is not cached is no error.
func (d *Dir) remove(h backend.Handle) error {
	err := os.Remove(d.file(h))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// matches tells whether data's SHA-256 is name.
func matches(data []byte, name string) bool {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]) == name
}

// matchesFile tells whether the content of f, read from the start, has
// the SHA-256 name.
func matchesFile(f *os.File, name string) (bool, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == name, nil
}

// writeAtomic writes data to a temporary file beside name and renames it
// to name: another process sees the whole file or none. The cache can be
// rebuilt, so there is no fsync: a file cut short by a crash fails its
// check and is fetched again.
func writeAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
