package format

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// KDFScrypt is the only key derivation function restic accepts.
const KDFScrypt = "scrypt"

// SaltSize is the exact scrypt salt length restic requires.
const SaltSize = 64

// KeyFile is a keys/<id> document: plain JSON whose Data field holds the
// master key JSON sealed with the key derived from the password.
type KeyFile struct {
	Created  time.Time `json:"created"`
	Username string    `json:"username"`
	Hostname string    `json:"hostname"`
	KDF      string    `json:"kdf"`
	N        int       `json:"N"`
	R        int       `json:"r"`
	P        int       `json:"p"`
	Salt     []byte    `json:"salt"`
	Data     []byte    `json:"data"`
}

// EncodeKeyFile returns the JSON bytes of k (no trailing newline); the key
// file's name is the SHA-256 of exactly these bytes.
func EncodeKeyFile(k *KeyFile) ([]byte, error) {
	c := *k
	c.Created = ClampTime(c.Created)
	return json.Marshal(&c)
}

// DecodeKeyFile parses a key file and checks its KDF, parameters and sizes.
func DecodeKeyFile(data []byte) (*KeyFile, error) {
	var k KeyFile
	if err := json.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("decode key file: %w", err)
	}
	if k.KDF != KDFScrypt {
		return nil, fmt.Errorf("key file: unsupported kdf %q (want %q)", k.KDF, KDFScrypt)
	}
	if len(k.Salt) != SaltSize {
		return nil, fmt.Errorf("key file: salt is %d bytes, want %d", len(k.Salt), SaltSize)
	}
	if k.N <= 1 || k.N&(k.N-1) != 0 || k.R <= 0 || k.P <= 0 {
		return nil, fmt.Errorf("key file: invalid scrypt parameters N=%d r=%d p=%d", k.N, k.R, k.P)
	}
	if len(k.Data) < 32 {
		return nil, fmt.Errorf("key file: sealed master key is %d bytes, want at least 32", len(k.Data))
	}
	return &k, nil
}

// MasterKey is the plaintext JSON sealed inside a key file. Its fields are
// secrets; String and LogValue redact them.
type MasterKey struct {
	MAC     MasterMACKey `json:"mac"`
	Encrypt []byte       `json:"encrypt"`
}

// MasterMACKey is the Poly1305-AES part of MasterKey.
type MasterMACKey struct {
	K []byte `json:"k"`
	R []byte `json:"r"`
}

func (MasterKey) String() string          { return "MasterKey{redacted}" }
func (MasterKey) GoString() string        { return "format.MasterKey{redacted}" }
func (MasterKey) LogValue() slog.Value    { return slog.StringValue("redacted") }
func (MasterMACKey) String() string       { return "MasterMACKey{redacted}" }
func (MasterMACKey) GoString() string     { return "format.MasterMACKey{redacted}" }
func (MasterMACKey) LogValue() slog.Value { return slog.StringValue("redacted") }
