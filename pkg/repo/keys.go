package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// KeyID returns the ID of the key file whose password opened the
// repository.
func (r *Repository) KeyID() format.ID { return r.keyID }

// KeyFile returns the bytes of the key file the password opened, nil if
// the repository was created or its password changed by this process.
func (r *Repository) KeyFile() []byte { return r.keyFile }

// KeyInfo describes one key file, as restic's key list shows it. The
// fields besides ID are the key file's own plaintext and are not
// authenticated; Err says why a key file could not be read.
type KeyInfo struct {
	ID       format.ID
	Current  bool // the key that opened this repository
	Created  time.Time
	Username string
	Hostname string
	Err      error
}

// Keys lists the key files, oldest first; unreadable ones are listed with
// their error.
func (r *Repository) Keys(ctx context.Context) ([]KeyInfo, error) {
	var ids []format.ID
	err := r.be.List(ctx, backend.KeyFile, func(name string, _ int64) error {
		id, err := format.ParseID(name)
		if err == nil {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out := make([]KeyInfo, 0, len(ids))
	for _, id := range ids {
		ki := KeyInfo{ID: id, Current: id == r.keyID}
		data, err := r.loadRaw(ctx, backend.Handle{Type: backend.KeyFile, Name: id.String()})
		if err == nil {
			var kf *format.KeyFile
			if kf, err = format.DecodeKeyFile(data); err == nil {
				ki.Created, ki.Username, ki.Hostname = kf.Created, kf.Username, kf.Hostname
			}
		}
		ki.Err = err
		out = append(out, ki)
	}
	slices.SortFunc(out, func(a, b KeyInfo) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// ErrCurrentKey is returned by RemoveKey for the key in use: removing it
// could lock everyone out if its password is the only one known.
var ErrCurrentKey = errors.New("refusing to remove the key this repository was opened with")

// RemoveKey deletes the key file id, which must exist and must not be the
// key in use (open the repository with another key's password to remove
// it, or use passwd to replace it).
func (r *Repository) RemoveKey(ctx context.Context, id format.ID) error {
	if id == r.keyID {
		return ErrCurrentKey
	}
	h := backend.Handle{Type: backend.KeyFile, Name: id.String()}
	if _, err := r.be.Stat(ctx, h); err != nil {
		return fmt.Errorf("key %v: %w", id.Str(), err)
	}
	if err := r.be.Remove(ctx, h); err != nil {
		return fmt.Errorf("remove key %v: %w", id.Str(), err)
	}
	return nil
}

// ChangePassword adds a key file for password, makes it the key in use
// and removes the old one, as restic's key passwd does: the new key is
// stored before the old one goes, so a failure leaves one that works.
func (r *Repository) ChangePassword(ctx context.Context, password string, opts KeyOptions) (format.ID, error) {
	old := r.keyID
	id, err := r.AddKeyWith(ctx, password, opts)
	if err != nil {
		return format.ID{}, err
	}
	r.keyID, r.keyFile = id, nil
	if err := r.be.Remove(ctx, backend.Handle{Type: backend.KeyFile, Name: old.String()}); err != nil {
		return id, fmt.Errorf("new key %v stored, but removing the old key %v failed: %w", id.Str(), old.Str(), err)
	}
	return id, nil
}

// KeyOptions are the KDF cost and the informational fields of a new key
// file; empty names mean this process's user and host.
type KeyOptions struct {
	KDF      crypto.Params // zero: crypto.DefaultParams
	Username string
	Hostname string
}

// AddKeyWith stores a new key file that opens the repository with
// password.
func (r *Repository) AddKeyWith(ctx context.Context, password string, o KeyOptions) (format.ID, error) {
	if password == "" {
		return format.ID{}, errors.New("add key: empty password")
	}
	if o.Username == "" {
		o.Username = currentUser()
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
	}
	data, err := crypto.CreateKeyFile(password, r.key, crypto.KeyFileOptions{
		Params: o.KDF, Username: o.Username, Hostname: o.Hostname, Created: time.Now(),
	})
	if err != nil {
		return format.ID{}, err
	}
	id := format.Hash(data)
	if err := r.be.Save(ctx, backend.Handle{Type: backend.KeyFile, Name: id.String()}, backend.NewByteReader(data)); err != nil {
		return format.ID{}, fmt.Errorf("save key %v: %w", id.Str(), err)
	}
	return id, nil
}
