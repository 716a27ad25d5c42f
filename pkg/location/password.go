package location

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/drydock-backup/drydock/pkg/secret"
)

// ErrEmptyPassword is returned for a password that is empty. restic
// refuses one too; taking it would make an empty (or truncated) password
// file look like a wrong password, or create a repository anyone can open.
var ErrEmptyPassword = errors.New("empty password")

// ReadPassword reads a password file: its content without trailing line
// endings, as the CLI's --password-file. An empty password is an error
// wrapping ErrEmptyPassword.
func ReadPassword(file string) (secret.Value, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return secret.Value{}, fmt.Errorf("read password file: %w", err)
	}
	pw := secret.New(strings.TrimRight(string(b), "\r\n"))
	if pw.IsZero() {
		return pw, fmt.Errorf("%w: password file %s is empty", ErrEmptyPassword, file)
	}
	return pw, nil
}

// CreatePasswordFile writes a new random password to file with mode 0600,
// unless file exists: a password that may protect a repository is never
// overwritten.
func CreatePasswordFile(file string) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create password file: %w", err)
	}
	_, werr := f.WriteString(base64.RawURLEncoding.EncodeToString(b[:]) + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("write password file %s: %w", file, err)
	}
	return nil
}
