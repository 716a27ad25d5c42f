package crypto

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// ErrWrongPassword is returned by OpenKeyFile when the password does not
// open the key file (the MAC of the sealed master key does not verify).
// Callers try the next key file.
var ErrWrongPassword = errors.New("wrong password or no key found")

// KeyFileOptions are the informational fields and KDF cost of a new key
// file. Zero values mean: DefaultParams, time.Now.
type KeyFileOptions struct {
	Params   Params
	Username string
	Hostname string
	Created  time.Time
}

// CreateKeyFile seals master under a key derived from password with a fresh
// 64-byte salt and returns the key file bytes; the file's name is their
// SHA-256 (format.Hash).
func CreateKeyFile(password string, master *Key, opts KeyFileOptions) ([]byte, error) {
	if !master.Valid() {
		return nil, errors.New("create key file: master key is empty")
	}
	if opts.Params == (Params{}) {
		opts.Params = DefaultParams
	}
	if opts.Created.IsZero() {
		opts.Created = time.Now()
	}
	salt := make([]byte, format.SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("create key file: salt: %w", err)
	}
	user, err := DeriveKey(password, salt, opts.Params)
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	mk, err := EncodeMasterKey(master)
	if err != nil {
		return nil, err
	}
	data, err := user.SealBox(nil, mk)
	clear(mk)
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	return format.EncodeKeyFile(&format.KeyFile{
		Created:  opts.Created,
		Username: opts.Username,
		Hostname: opts.Hostname,
		KDF:      format.KDFScrypt,
		N:        opts.Params.N,
		R:        opts.Params.R,
		P:        opts.Params.P,
		Salt:     salt,
		Data:     data,
	})
}

// PrepareKeyFile derives, for a later OpenKeyFile of a key file with the
// same salt and parameters, the user key of data with password: started
// while the storage is still being reached, scrypt is then done or under
// way when the repository's own key file arrives. A file that differs
// costs the work and nothing else; errors are for the open to report.
func PrepareKeyFile(data []byte, password string) {
	kf, err := format.DecodeKeyFile(data)
	if err != nil {
		return
	}
	_, _ = DeriveKey(password, kf.Salt, Params{N: kf.N, R: kf.R, P: kf.P})
}

// OpenKeyFile derives the user key from password with the file's own
// parameters and returns the master key. A MAC failure yields
// ErrWrongPassword; malformed files yield other errors.
func OpenKeyFile(data []byte, password string) (*Key, error) {
	kf, err := format.DecodeKeyFile(data)
	if err != nil {
		return nil, err
	}
	user, err := DeriveKey(password, kf.Salt, Params{N: kf.N, R: kf.R, P: kf.P})
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	pt, err := user.OpenBox(nil, kf.Data)
	if errors.Is(err, ErrUnauthenticated) {
		return nil, ErrWrongPassword
	}
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	defer clear(pt)
	return DecodeMasterKey(pt)
}

// EncodeMasterKey returns the master key JSON sealed inside key files:
// {"mac":{"k":…,"r":…},"encrypt":…} with base64 values.
func EncodeMasterKey(k *Key) ([]byte, error) {
	mk := format.MasterKey{
		MAC:     format.MasterMACKey{K: k.MACKey.K[:], R: k.MACKey.R[:]},
		Encrypt: k.EncryptionKey[:],
	}
	b, err := json.Marshal(&mk)
	if err != nil {
		return nil, fmt.Errorf("encode master key: %w", err)
	}
	return b, nil
}

// DecodeMasterKey parses master key JSON and checks every key length.
func DecodeMasterKey(data []byte) (*Key, error) {
	var mk format.MasterKey
	if err := json.Unmarshal(data, &mk); err != nil {
		// The JSON error could quote key material; keep only its kind.
		return nil, errors.New("decode master key: invalid JSON")
	}
	if len(mk.Encrypt) != 32 || len(mk.MAC.K) != 16 || len(mk.MAC.R) != 16 {
		return nil, fmt.Errorf("decode master key: key sizes %d/%d/%d, want 32/16/16",
			len(mk.Encrypt), len(mk.MAC.K), len(mk.MAC.R))
	}
	k := &Key{}
	copy(k.EncryptionKey[:], mk.Encrypt)
	copy(k.MACKey.K[:], mk.MAC.K)
	copy(k.MACKey.R[:], mk.MAC.R)
	if !k.Valid() {
		return nil, errors.New("decode master key: key material is all zero")
	}
	return k, nil
}
