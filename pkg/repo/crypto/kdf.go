package crypto

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Params are scrypt cost parameters, stored in each key file.
type Params struct {
	N, R, P int
}

// DefaultParams are what drydock writes: restic's memory choice (N=32768,
// r=8 → 32 MiB) with p=1, ≈100 ms on a small VM.
var DefaultParams = Params{N: 32768, R: 8, P: 1}

// Bounds on what a key file may make us spend. Its parameters are not
// authenticated: a hostile or damaged file must not make opening the
// repository allocate gigabytes or run for hours. restic calibrates to at
// most 60 MiB and about half a second, so these are generous.
const (
	// maxKDFMemory bounds each of scrypt's two buffers: 128·N·r bytes and
	// 128·r·p bytes.
	maxKDFMemory = 256 << 20
	// maxKDFWork bounds N·r·p, scrypt's time (DefaultParams are 2^18,
	// about 100 ms, so this is about 13 s).
	maxKDFWork = 1 << 25
)

// ErrInvalidParams is returned for unusable scrypt parameters.
var ErrInvalidParams = errors.New("invalid scrypt parameters")

// Validate rejects parameters scrypt would refuse or that would need an
// unreasonable amount of memory or time.
func (p Params) Validate() error {
	const maxBlocks = maxKDFMemory / 128
	switch {
	case p.N <= 1 || p.N&(p.N-1) != 0:
		return fmt.Errorf("%w: N=%d is not a power of two > 1", ErrInvalidParams, p.N)
	case p.R <= 0 || p.P <= 0:
		return fmt.Errorf("%w: r=%d p=%d", ErrInvalidParams, p.R, p.P)
	// Each factor alone first, so that the products below cannot overflow.
	case p.N > maxBlocks || p.R > maxBlocks || p.P > maxKDFWork:
		return fmt.Errorf("%w: N=%d r=%d p=%d out of range", ErrInvalidParams, p.N, p.R, p.P)
	case uint64(p.N)*uint64(p.R) > maxBlocks:
		return fmt.Errorf("%w: N=%d r=%d needs more than %d MiB", ErrInvalidParams, p.N, p.R, maxKDFMemory>>20)
	case uint64(p.R)*uint64(p.P) > maxBlocks:
		return fmt.Errorf("%w: r=%d p=%d needs more than %d MiB", ErrInvalidParams, p.R, p.P, maxKDFMemory>>20)
	case uint64(p.N)*uint64(p.R)*uint64(p.P) > maxKDFWork:
		return fmt.Errorf("%w: N=%d r=%d p=%d would take too long", ErrInvalidParams, p.N, p.R, p.P)
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
	b, err := derived.derive(kdfMemoKey(password, salt, p), func() ([]byte, error) {
		return scryptKey([]byte(password), salt, p, 64)
	})
	if err != nil {
		return nil, fmt.Errorf("derive key: scrypt: %w", err)
	}
	return keyFromBytes(b), nil
}

// derived remembers recent derivations, so that a daemon reopening its
// repositories for every job derives each key once in its lifetime, not
// once per run. It is keyed by a hash of password, salt and parameters
// (the password itself is not kept) and holds at most kdfMemoSize keys,
// evicting the oldest. It costs a one-shot command nothing.
var derived = &kdfMemo{}

const kdfMemoSize = 16

type kdfMemo struct {
	mu    sync.Mutex
	order [][32]byte
	keys  map[[32]byte]*derivation
}

// derivation is one key derived, or being derived: b and err are set
// before done is closed.
type derivation struct {
	done chan struct{}
	b    []byte
	err  error
}

func kdfMemoKey(password string, salt []byte, p Params) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%d:%d:%d:%d:", p.N, p.R, p.P, len(salt), len(password))
	h.Write(salt)
	h.Write([]byte(password))
	return [32]byte(h.Sum(nil))
}

// derive returns the key remembered under k, waiting for it if another
// goroutine derives it now, or derives it with fn: an open and a
// derivation started ahead of it (PrepareKeyFile) run scrypt once. A
// failed derivation is forgotten. b is read only: keyFromBytes copies.
func (m *kdfMemo) derive(k [32]byte, fn func() ([]byte, error)) ([]byte, error) {
	m.mu.Lock()
	if d, ok := m.keys[k]; ok {
		m.mu.Unlock()
		<-d.done
		return d.b, d.err
	}
	d := &derivation{done: make(chan struct{})}
	m.add(k, d)
	m.mu.Unlock()
	d.b, d.err = fn()
	close(d.done)
	if d.err != nil {
		m.mu.Lock()
		if m.keys[k] == d {
			delete(m.keys, k)
			m.order = slices.DeleteFunc(m.order, func(o [32]byte) bool { return o == k })
		}
		m.mu.Unlock()
	}
	return d.b, d.err
}

// add remembers d under k, evicting the oldest entry when full; m.mu is
// held.
func (m *kdfMemo) add(k [32]byte, d *derivation) {
	if m.keys == nil {
		m.keys = map[[32]byte]*derivation{}
	}
	if len(m.order) == kdfMemoSize {
		delete(m.keys, m.order[0])
		m.order = m.order[1:]
	}
	m.order = append(m.order, k)
	m.keys[k] = d
}
