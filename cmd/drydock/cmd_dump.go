package main

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/fsnode"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

type dumpOptions struct {
	filter  retention.Filter
	archive string
	target  string
}

func newDumpCommand(g *globalOptions) *cobra.Command {
	var opts dumpOptions
	cmd := &cobra.Command{
		Use:   "dump SNAPSHOT PATH",
		Short: "Write a file of a snapshot to stdout, or a directory as a tar archive",
		Long: `Dump writes the content of the file PATH of SNAPSHOT (an ID, a unique prefix,
or latest of the snapshots --host/--tag/--path select) to stdout, as restic's
dump does; a directory ("/" for the whole snapshot) is written as a tar
archive. Every blob is authenticated as it is read: a damaged blob stops the
dump with an error (exit 1) rather than writing wrong bytes.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.archive != "tar" {
				return fmt.Errorf("--archive %q: only tar is supported", opts.archive)
			}
			return g.withReadLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				sn, err := findSnapshot(ctx, r, g, args[0], opts.filter)
				if err != nil {
					return err
				}
				if opts.target == "" {
					return dump(ctx, r, *sn.Tree, args[1], g.stdout)
				}
				return dumpToFile(ctx, r, *sn.Tree, args[1], opts.target)
			})
		},
	}
	f := cmd.Flags()
	addSnapshotFilterFlags(f, &opts.filter, "H")
	f.StringVarP(&opts.archive, "archive", "a", "tar", "archive format for a directory (tar)")
	f.StringVarP(&opts.target, "target", "t", "", "write to this file instead of stdout (created, never overwritten)")
	return cmd
}

// dump writes the entry at p below root to w: a file's content, or a
// directory as a tar archive.
func dump(ctx context.Context, r *repo.Repository, root format.ID, p string, w io.Writer) error {
	n, err := snaptree.Lookup(ctx, r, root, p)
	if err != nil {
		return err
	}
	switch n.Type {
	case format.NodeFile:
		return snaptree.WriteContent(ctx, r, n, w)
	case format.NodeDir:
		tw := tar.NewWriter(w)
		if err := dumpTar(ctx, r, n, strings.Trim(path.Clean("/"+p), "/"), tw); err != nil {
			return err
		}
		return tw.Close()
	default:
		return fmt.Errorf("%s is a %s: only files and directories can be dumped", p, n.Type)
	}
}

// dumpToFile dumps into a new file at target, which is removed again if
// the dump fails: no half-written dump is left looking complete.
func dumpToFile(ctx context.Context, r *repo.Repository, root format.ID, p, target string) (err error) {
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("dump target: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("dump target: %w", cerr)
		}
		if err != nil {
			os.Remove(target)
		}
	}()
	return dump(ctx, r, root, p, f)
}

// dumpTar writes the content of directory node dir, whose path in the
// archive is prefix ("" for the top), as tar entries.
func dumpTar(ctx context.Context, r *repo.Repository, dir *format.Node, prefix string, tw *tar.Writer) error {
	t, err := r.LoadTree(ctx, *dir.Subtree)
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
			if err := snaptree.WriteContent(ctx, r, n, tw); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		case format.NodeDir:
			if n.Subtree == nil {
				return fmt.Errorf("%s: directory without subtree", name)
			}
			if err := dumpTar(ctx, r, n, name, tw); err != nil {
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
