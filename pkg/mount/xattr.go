package mount

import (
	"context"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// xattrs answers for a node's recorded extended attributes.
type xattrs struct{ n *format.Node }

var (
	_ fs.NodeGetxattrer  = xattrs{}
	_ fs.NodeListxattrer = xattrs{}
)

func (x xattrs) Getxattr(_ context.Context, name string, dest []byte) (uint32, syscall.Errno) {
	for _, a := range x.n.ExtendedAttributes {
		if a.Name != name {
			continue
		}
		if len(dest) < len(a.Value) {
			return uint32(len(a.Value)), syscall.ERANGE
		}
		return uint32(copy(dest, a.Value)), 0
	}
	return 0, syscall.ENODATA
}

// Listxattr writes the names, each ended by a NUL, as listxattr(2) does.
func (x xattrs) Listxattr(_ context.Context, dest []byte) (uint32, syscall.Errno) {
	var list []byte
	for _, a := range x.n.ExtendedAttributes {
		list = append(append(list, a.Name...), 0)
	}
	if len(dest) < len(list) {
		return uint32(len(list)), syscall.ERANGE
	}
	return uint32(copy(dest, list)), 0
}
