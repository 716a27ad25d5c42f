package snaptree

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Dump writes the entry at p below root to w: a file's content, or a
// directory as a tar archive (restic's dump). Every blob is authenticated
// as it is read, so a damaged one stops the dump with an error rather
// than writing wrong bytes.
func Dump(ctx context.Context, r *repo.Repository, root format.ID, p string, w io.Writer) error {
	n, err := Lookup(ctx, r, root, p)
	if err != nil {
		return err
	}
	switch n.Type {
	case format.NodeFile:
		return WriteContent(ctx, r, n, w)
	case format.NodeDir:
		return WriteTar(ctx, r, n, strings.Trim(path.Clean("/"+p), "/"), w)
	default:
		return fmt.Errorf("%s is a %s: only files and directories can be dumped", p, n.Type)
	}
}

// WriteTar writes what the directory node dir holds as a tar archive to
// w, its entries named below prefix ("" for none), and ends the archive.
func WriteTar(ctx context.Context, r *repo.Repository, dir *format.Node, prefix string, w io.Writer) error {
	if dir.Type != format.NodeDir || dir.Subtree == nil {
		return fmt.Errorf("%s: not a directory", dir.Name)
	}
	tw := tar.NewWriter(w)
	if err := writeTarDir(ctx, r, dir, prefix, tw); err != nil {
		return err
	}
	return tw.Close()
}

// writeTarDir writes the content of directory node dir, whose path in the
// archive is prefix ("" for the top), as tar entries.
func writeTarDir(ctx context.Context, r *repo.Repository, dir *format.Node, prefix string, tw *tar.Writer) error {
	t, err := r.LoadTreeCached(ctx, *dir.Subtree)
	if err != nil {
		return err
	}
	for _, n := range t.Nodes {
		if err := format.ValidateName(n.Name); err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
		name := path.Join(prefix, n.Name)
		hdr, err := tarHeader(name, n)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		switch n.Type {
		case format.NodeFile:
			if err := WriteContent(ctx, r, n, tw); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		case format.NodeDir:
			if n.Subtree == nil {
				return fmt.Errorf("%s: directory without subtree", name)
			}
			if err := writeTarDir(ctx, r, n, name, tw); err != nil {
				return err
			}
		}
	}
	return nil
}

// tarHeader describes node n, stored as name, in a tar header.
func tarHeader(name string, n *format.Node) (*tar.Header, error) {
	hdr := &tar.Header{
		Name: name, Mode: int64(format.ModeToUnix(n.Mode) & 0o7777),
		Uid: int(n.UID), Gid: int(n.GID), Uname: n.User, Gname: n.Group,
		ModTime: n.ModTime, AccessTime: n.AccessTime, ChangeTime: n.ChangeTime,
		Format: tar.FormatPAX,
	}
	switch n.Type {
	case format.NodeFile:
		hdr.Typeflag, hdr.Size = tar.TypeReg, int64(n.Size)
	case format.NodeDir:
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
	case format.NodeSymlink:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, fsnode.LinkTarget(n)
	case format.NodeFifo:
		hdr.Typeflag = tar.TypeFifo
	case format.NodeDev, format.NodeCharDev:
		hdr.Typeflag = tar.TypeBlock
		if n.Type == format.NodeCharDev {
			hdr.Typeflag = tar.TypeChar
		}
		hdr.Devmajor, hdr.Devminor = int64(devMajor(n.Device)), int64(devMinor(n.Device))
	default:
		return nil, fmt.Errorf("%s: cannot archive a %s", name, n.Type)
	}
	if len(n.ExtendedAttributes) > 0 {
		hdr.PAXRecords = map[string]string{}
		for _, xa := range n.ExtendedAttributes {
			hdr.PAXRecords["SCHILY.xattr."+xa.Name] = string(xa.Value)
		}
	}
	return hdr, nil
}

// devMajor and devMinor split a Linux dev_t as glibc's gnu_dev_major/minor.
func devMajor(d uint64) uint64 { return (d>>8)&0xfff | (d>>32)&^0xfff }
func devMinor(d uint64) uint64 { return d&0xff | (d>>12)&^0xff }
