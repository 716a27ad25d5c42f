package location

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/drydock-backup/drydock/internal/fsutil"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// keyHintDir holds, under the cache's base, the key file that last opened
// each remote location, named by a hash of the location (passwords in it
// redacted). Not an ID: cache listings and cleanup pass it by.
const keyHintDir = "keyhints"

// keyHintPath is where the key hint of location lives under base.
func keyHintPath(base string, location secret.URL) string {
	sum := sha256.Sum256([]byte(location.String()))
	return filepath.Join(base, keyHintDir, hex.EncodeToString(sum[:]))
}

// prepareKey starts deriving the user key of the key file hinted at path
// while the storage is being reached: connecting (ssh for SFTP, a
// handshake, listing the keys) and scrypt then overlap, and the open's
// own derivation finds the result (crypto.PrepareKeyFile). The hint is a
// guess only: the open derives from the repository's own key file, and a
// hint that differs from it in salt or parameters is simply not used.
// It returns the hint as read (nil if there is none), for saveKeyHint.
func prepareKey(path string, password secret.Value) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	go crypto.PrepareKeyFile(data, password.Reveal())
	return data
}

// saveKeyHint keeps keyFile, the one that opened the repository, as the
// hint at path, unless it equals old, the hint prepareKey read. A hint
// that cannot be written is logged: it only makes the next open slower.
func saveKeyHint(path string, old, keyFile []byte, log *slog.Logger) {
	if keyFile == nil || bytes.Equal(old, keyFile) {
		return
	}
	// A temporary file renamed over the hint: concurrent commands read a
	// whole hint or none (0600, as every file of the cache).
	if err := fsutil.WriteFileAtomic(filepath.Dir(path), filepath.Base(path), keyFile); err != nil && log != nil {
		log.Debug("key hint not saved", "path", path, "err", err)
	}
}
