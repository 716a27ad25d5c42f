package backend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrDeleteRefused: the storage accepts reads and writes but refuses to
// delete repository files other than locks, as an append-only host does.
// Commands that delete (forget, prune, tag, rewrite --forget, repair
// index) need a credential that may; errors wrapping it also wrap the
// server's answer.
var ErrDeleteRefused error = &kindError{"the repository's storage refuses deletes (rclone/rest-server --append-only, or an S3 policy without s3:DeleteObject outside locks/)", nil}

// DeleteRefusedError is CheckDeletes' answer for an append-only storage:
// errors.Is(err, ErrDeleteRefused) holds, and it unwraps to the server's
// answer.
type DeleteRefusedError struct {
	Dir string // the directory probed: "snapshots", "data", …
	Err error  // the server's answer
}

func (e *DeleteRefusedError) Error() string {
	return fmt.Sprintf("%v: forget and prune need a credential that may delete; run them from a maintenance host (a delete under %s/ was answered: %v)", ErrDeleteRefused, e.Dir, e.Err)
}

func (e *DeleteRefusedError) Unwrap() error { return e.Err }

func (e *DeleteRefusedError) Is(target error) bool { return target == ErrDeleteRefused }

// DeleteChecker is implemented by backends that can tell whether deletes
// are allowed without trying one: the local backend, where removing a
// missing name succeeds even in a directory that refuses deletes.
type DeleteChecker interface {
	// CheckDeletes returns nil if files of type t may be deleted, an error
	// *DeleteRefusedError if not, or another error if that cannot be
	// told.
	CheckDeletes(ctx context.Context, t FileType) error
}

// deletedTypes are the file types that drydock deletes besides locks.
var deletedTypes = []FileType{SnapshotFile, PackFile, IndexFile, KeyFile}

// CheckDeletes tells, before anything is changed, whether be lets this
// credential delete snapshots, packs, index and key files. A backend
// without DeleteChecker is probed by removing a random name that does not
// exist: an S3 server that allows DeleteObject answers success, and one
// whose policy forbids it AccessDenied; an append-only REST server answers
// 403 to any DELETE outside locks/. Nothing is left behind either way.
// SFTP has no append-only mode (sftp-server -P remove refuses lock
// removal too), and its client answers a refused remove of a missing name
// with "no such file": there the check allows, and a refused delete shows
// when it happens.
func CheckDeletes(ctx context.Context, be Backend) error {
	for _, t := range deletedTypes {
		if err := checkDeletes(ctx, be, t); err != nil {
			return err
		}
	}
	return nil
}

func checkDeletes(ctx context.Context, be Backend, t FileType) error {
	for b := be; ; {
		if dc, ok := b.(DeleteChecker); ok {
			return dc.CheckDeletes(ctx, t)
		}
		u, ok := b.(Unwrapper)
		if !ok {
			break
		}
		b = u.Unwrap()
	}
	h := Handle{Type: t, Name: randomName()}
	err := be.Remove(ctx, h)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrPermission):
		return &DeleteRefusedError{Dir: Dir(t), Err: err}
	}
	return fmt.Errorf("check whether %s may be deleted: %w", Dir(t)+"/", err)
}

// randomName is a valid file name that no repository holds.
func randomName() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RefusedDelete returns err, a failed Remove of a file of type t, as a
// *DeleteRefusedError if the storage refused it (ErrPermission), so that a
// delete refused in the middle of a command names the missing permission
// as CheckDeletes does; other errors are returned as they are.
func RefusedDelete(t FileType, err error) error {
	if err == nil || !errors.Is(err, ErrPermission) || errors.Is(err, ErrDeleteRefused) {
		return err
	}
	return &DeleteRefusedError{Dir: Dir(t), Err: err}
}
