package crypto

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/scrypt"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Params are scrypt cost parameters, stored in each key file.
type Params struct {
	N, R, P int
}

// DefaultParams are what drydock writes: restic's memory choice (N=32768,
// r=8 → 32 MiB) with p=1, ≈100 ms on a small VM.
var DefaultParams = Params{N: 32768, R: 8, P: 1}

// maxKDFMemory bounds what a key file may make us allocate (128·N·r bytes);
// 1 GiB is 16× what restic ever chooses.
const maxKDFMemory = 1 << 30

// ErrInvalidParams is returned for unusable scrypt parameters.
var ErrInvalidParams = errors.New("invalid scrypt parameters")

// Validate rejects parameters scrypt would refuse or that would need an
// unreasonable amount of memory or time.
func (p Params) Validate() error {
	switch {
	case p.N <= 1 || p.N&(p.N-1) != 0:
		return fmt.Errorf("%w: N=%d is not a power of two > 1", ErrInvalidParams, p.N)
	case p.R <= 0 || p.P <= 0:
		return fmt.Errorf("%w: r=%d p=%d", ErrInvalidParams, p.R, p.P)
	case uint64(p.N)*uint64(p.R) > maxKDFMemory/128:
		return fmt.Errorf("%w: N=%d r=%d needs more than %d bytes", ErrInvalidParams, p.N, p.R, maxKDFMemory)
	case p.R*p.P >= 1<<20:
		return fmt.Errorf("%w: r·p=%d too large", ErrInvalidParams, p.R*p.P)
	}
	return nil
}

// DeriveKey turns a password into a user key with scrypt (64 bytes split as
// encryption key | mac.k | mac.r). The salt must be exactly 64 bytes.
func DeriveKey(password string, salt []byte, p Params) (*Key, error) {
	if len(salt) != format.SaltSize {
		return nil, fmt.Errorf("derive key: salt is %d bytes, want %d", len(salt), format.SaltSize)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	b, err := scrypt.Key([]byte(password), salt, p.N, p.R, p.P, 64)
	if err != nil {
		return nil, fmt.Errorf("derive key: scrypt: %w", err)
	}
	return keyFromBytes(b), nil
}
