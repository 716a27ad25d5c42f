package console

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/drydock-backup/drydock/pkg/secret"
)

// minTokenLen is the shortest token accepted from a file someone wrote by
// hand: 128 bits as hex. Generated tokens have 256.
const minTokenLen = 32

// LoadOrCreateToken reads the console's token from the file at path, or,
// if there is none, creates the file (mode 0600, its directory must exist)
// with a new token of 256 random bits; created says which. A token file
// that group or others may read is refused: the token opens every backed
// up file.
func LoadOrCreateToken(path string) (tok secret.Value, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		tok, err := createToken(path)
		return tok, err == nil, err
	}
	if err != nil {
		return secret.Value{}, false, fmt.Errorf("console token: %w", err)
	}
	if err := checkTokenFileMode(path); err != nil {
		return secret.Value{}, false, err
	}
	t := strings.TrimSpace(string(b))
	if len(t) < minTokenLen {
		return secret.Value{}, false, fmt.Errorf("console token file %s holds fewer than %d characters: write a longer token, or remove the file and a new one is made", path, minTokenLen)
	}
	return secret.New(t), false, nil
}

func createToken(path string) (secret.Value, error) {
	raw := make([]byte, 32)
	rand.Read(raw)
	t := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return secret.Value{}, fmt.Errorf("create console token: %w", err)
	}
	_, err = f.WriteString(t + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return secret.Value{}, fmt.Errorf("write console token %s: %w", path, err)
	}
	return secret.New(t), nil
}

func checkTokenFileMode(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("console token: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("console token file %s has mode %v, open to group or others: chmod 600 it", path, perm)
	}
	return nil
}
