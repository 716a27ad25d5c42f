package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/resticjson"
)

// lsPrinter writes ls's output as the walk goes: the snapshot first, then
// each node (prefix: a folder on the way to a DIR argument, not itself
// listed), and leave after the last node inside a folder it was given.
type lsPrinter interface {
	snapshot(sn repo.Snapshot) error
	node(p string, n *format.Node, prefix bool) error
	leave(p string) error
	close() error
}

// lsTextPrinter is the text output, one path a line (with --long, restic's
// columns).
type lsTextPrinter struct {
	w    io.Writer
	long bool
	dirs []string
}

func (l *lsTextPrinter) snapshot(sn repo.Snapshot) error {
	filtered := ""
	if len(l.dirs) > 0 {
		filtered = fmt.Sprintf(" filtered by %v", quoteNames(l.dirs))
	}
	_, err := fmt.Fprintf(l.w, "snapshot %s of %v%s at %s:\n", sn.ID.Str(), quoteNames(sn.Paths), filtered, sn.Time.Local().Format(time.RFC3339))
	return err
}

func (l *lsTextPrinter) node(p string, n *format.Node, prefix bool) error {
	var err error
	switch {
	case prefix:
	case l.long:
		_, err = fmt.Fprintf(l.w, "%s %5d %5d %6d %s %s\n", n.Mode, n.UID, n.GID, n.Size, n.ModTime.Local().Format(time.DateTime), quoteName(p))
	default:
		_, err = fmt.Fprintln(l.w, quoteName(p))
	}
	return err
}

func (l *lsTextPrinter) leave(string) error { return nil }
func (l *lsTextPrinter) close() error       { return nil }

// lsJSONPrinter is --json: restic's snapshot line, then a line per node.
type lsJSONPrinter struct{ enc *json.Encoder }

func (l *lsJSONPrinter) snapshot(sn repo.Snapshot) error {
	return l.enc.Encode(resticjson.NewLsSnapshot(sn))
}

func (l *lsJSONPrinter) node(p string, n *format.Node, prefix bool) error {
	if prefix {
		return nil
	}
	return l.enc.Encode(resticjson.NewLsNode(p, n))
}

func (l *lsJSONPrinter) leave(string) error { return nil }
func (l *lsJSONPrinter) close() error       { return nil }

// lsNcduPrinter is --ncdu: ncdu's JSON export (format 1.2, read by `ncdu -f -`)
// as restic 0.19 writes it: [1, 2, SNAPSHOT, [{"name":"/"}, ENTRY...]]
// where a folder is an array of its own entry followed by its contents.
// Folders on the way to a DIR argument are part of the tree too, since
// ncdu needs every parent.
type lsNcduPrinter struct {
	w     io.Writer
	depth int
}

func (l *lsNcduPrinter) snapshot(sn repo.Snapshot) error {
	doc, err := json.Marshal(sn.Snapshot)
	if err != nil {
		return err
	}
	l.depth = 1
	_, err = fmt.Fprintf(l.w, `[1, 2, %s, [{"name":"/"}`, doc)
	return err
}

func (l *lsNcduPrinter) node(_ string, n *format.Node, _ bool) error {
	doc, err := json.Marshal(ncduEntry(n))
	if err != nil {
		return err
	}
	indent := strings.Repeat("  ", l.depth)
	if n.Type == format.NodeDir {
		l.depth++
		_, err = fmt.Fprintf(l.w, ",\n%s[\n%s  %s", indent, indent, doc)
		return err
	}
	_, err = fmt.Fprintf(l.w, ",\n%s%s", indent, doc)
	return err
}

func (l *lsNcduPrinter) leave(string) error {
	l.depth--
	_, err := fmt.Fprintf(l.w, "\n%s]", strings.Repeat("  ", l.depth))
	return err
}

func (l *lsNcduPrinter) close() error {
	_, err := io.WriteString(l.w, "\n]\n]\n")
	return err
}

// ncduInfo is one entry of ncdu's export, with the fields restic fills.
type ncduInfo struct {
	Name   string `json:"name"`
	Asize  uint64 `json:"asize"`
	Dsize  uint64 `json:"dsize"`
	Dev    uint64 `json:"dev"`
	Ino    uint64 `json:"ino"`
	NLink  uint64 `json:"nlink"`
	NotReg bool   `json:"notreg"`
	UID    uint32 `json:"uid"`
	GID    uint32 `json:"gid"`
	Mode   uint16 `json:"mode"`
	Mtime  int64  `json:"mtime"`
}

// ncduBlock is the block size the disk usage (dsize) is rounded up to:
// a snapshot knows the length of a file, not its blocks.
const ncduBlock = 512

func ncduEntry(n *format.Node) ncduInfo {
	e := ncduInfo{
		Name: n.Name, Asize: n.Size, Dsize: (n.Size + ncduBlock - 1) / ncduBlock * ncduBlock,
		Dev: n.DeviceID, Ino: n.Inode, NLink: n.Links,
		NotReg: n.Type != format.NodeDir && n.Type != format.NodeFile,
		UID:    n.UID, GID: n.GID, Mode: unixPermissions(n.Mode),
		Mtime: max(n.ModTime.Unix(), 0), // ncdu refuses times before 1970
	}
	return e
}

// unixPermissions is the permission bits of m as stat(2) has them,
// setuid, setgid and sticky included (Go keeps those elsewhere).
func unixPermissions(m os.FileMode) uint16 {
	bits := uint16(m & os.ModePerm)
	for flag, bit := range map[os.FileMode]uint16{os.ModeSetuid: 0o4000, os.ModeSetgid: 0o2000, os.ModeSticky: 0o1000} {
		if m&flag != 0 {
			bits |= bit
		}
	}
	return bits
}
