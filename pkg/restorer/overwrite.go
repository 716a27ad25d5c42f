package restorer

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Overwrite says what a restore does with an entry already in the target
// (restic's --overwrite). The zero value is OverwriteAlways, restic's
// default.
type Overwrite int

const (
	// OverwriteAlways restores every entry; a file whose content is
	// already the snapshot's (read and hashed blob by blob) keeps its
	// content and only gets its metadata.
	OverwriteAlways Overwrite = iota
	// OverwriteIfChanged is OverwriteAlways trusting a file whose size
	// and modification time are the snapshot's without reading it.
	OverwriteIfChanged
	// OverwriteIfNewer replaces an entry only if the snapshot's is newer
	// (by modification time); an older or equal one is left as it is.
	OverwriteIfNewer
	// OverwriteNever leaves every existing entry as it is.
	OverwriteNever
)

var overwriteNames = []string{"always", "if-changed", "if-newer", "never"}

func (o Overwrite) String() string {
	if o < 0 || int(o) >= len(overwriteNames) {
		return fmt.Sprintf("Overwrite(%d)", int(o))
	}
	return overwriteNames[o]
}

// Set parses a flag value.
func (o *Overwrite) Set(s string) error {
	for i, name := range overwriteNames {
		if s == name {
			*o = Overwrite(i)
			return nil
		}
	}
	return fmt.Errorf("invalid overwrite behavior %q, must be one of (always|if-changed|if-newer|never)", s)
}

// Type names the flag's value in help.
func (o *Overwrite) Type() string { return "behavior" }

// verdict is what a restore does with one entry of the snapshot.
type verdict int

const (
	restoreNew    verdict = iota // nothing usable there: create it
	restoreOver                  // a regular file there is replaced ("updated")
	keepContent                  // the file there is the snapshot's: metadata only
	keepUntouched                // --overwrite if-newer/never: left alone
)

// decide compares the entry name of d (nil: its directory does not exist
// yet, as in a dry run) with n, the snapshot's entry rel.
func (rs *restorer) decide(d *fsnode.Dir, rel, name string, n *format.Node) verdict {
	if d == nil {
		return restoreNew
	}
	e, ok, err := d.Lstat(name)
	if err != nil || !ok {
		return restoreNew // a failing stat fails the create too, and is reported there
	}
	if rs.keeps(e, n) {
		return keepUntouched
	}
	if n.Type != format.NodeFile || e.Mode != 0 {
		return restoreNew
	}
	if e.Links > 1 {
		// Its metadata would be set on an inode that may have a name
		// outside the target: it is replaced by a file of its own.
		return restoreOver
	}
	if uint64(e.Size) == n.Size {
		if rs.opts.Overwrite == OverwriteIfChanged && e.ModTime.Equal(n.ModTime) {
			return keepContent
		}
		if rs.sameContent(rel, n) {
			return keepContent
		}
	}
	return restoreOver
}

// keeps reports whether Overwrite leaves the existing entry e alone
// without looking at its content.
func (rs *restorer) keeps(e fsnode.Entry, n *format.Node) bool {
	switch rs.opts.Overwrite {
	case OverwriteNever:
		return true
	case OverwriteIfNewer:
		return !n.ModTime.After(e.ModTime)
	}
	return false
}

// untouched is decide for a hardlink, whose content is its first name's.
func (rs *restorer) untouched(d *fsnode.Dir, name string, n *format.Node) bool {
	if d == nil {
		return false
	}
	e, ok, err := d.Lstat(name)
	return err == nil && ok && rs.keeps(e, n)
}

// sameContent reports whether the file rel in the target holds exactly
// the content of n (read back and hashed blob by blob).
func (rs *restorer) sameContent(rel string, n *format.Node) bool {
	return rs.checkContent(rel, n) == nil
}

// checkContent returns why the file rel in the target does not hold the
// content of n, or nil if it does.
func (rs *restorer) checkContent(rel string, n *format.Node) error {
	f, err := rs.root.OpenRead(rel)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if uint64(fi.Size()) != n.Size {
		return fmt.Errorf("size is %d bytes, the snapshot's %d", fi.Size(), n.Size)
	}
	var buf []byte
	var off int64
	for i, id := range n.Content {
		loc, ok := rs.r.Index().Lookup(format.BlobHandle{ID: id, Type: format.DataBlob})
		if !ok {
			return fmt.Errorf("blob %d of %d (%v) is not in the index", i+1, len(n.Content), id.Str())
		}
		size := int(loc.PlainLength())
		if cap(buf) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := f.ReadAt(buf, off); err != nil {
			if err == io.EOF {
				return fmt.Errorf("ends at offset %d, before the snapshot's content", off)
			}
			return err
		}
		if format.ID(sha256.Sum256(buf)) != id {
			return fmt.Errorf("content differs from the snapshot's at offset %d", off)
		}
		off += int64(size)
	}
	return nil
}
