package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/crypto/poly1305" //lint:ignore SA1019 restic's MAC is Poly1305-AES; there is no other implementation to use.
)

const (
	// IVSize is the nonce (CTR initial counter block) size.
	IVSize = aes.BlockSize
	// MACSize is the Poly1305 tag size.
	MACSize = poly1305.TagSize
	// Extension is the number of bytes sealing adds: IV plus tag.
	Extension = IVSize + MACSize
)

var (
	// ErrUnauthenticated is returned when a MAC does not match: the data is
	// corrupt or was sealed with another key.
	ErrUnauthenticated = errors.New("ciphertext verification failed")
	// ErrInvalidCiphertext is returned for inputs too short to be a box.
	ErrInvalidCiphertext = errors.New("invalid ciphertext, same IV and ciphertext length too short")
	// ErrZeroIV is returned for an all-zero IV, which restic never writes
	// and rejects as a sign of a broken random source.
	ErrZeroIV = errors.New("all-zero IV")
)

// MACKey is the Poly1305-AES key: K is the AES-128 key that encrypts the
// nonce, R the polynomial key (clamped at use).
type MACKey struct {
	K [16]byte
	R [16]byte
}

// Key is a master or user key. It implements cipher.AEAD with the 16-byte
// IV as nonce; additional data is not supported.
type Key struct {
	EncryptionKey [32]byte
	MACKey        MACKey
}

var _ cipher.AEAD = (*Key)(nil)

// clamp masks r as Poly1305 requires (docs/format.md §2.2); restic ≤0.16 stored clamped
// values, 0.17+ raw ones, so every reader must do it.
var clamp = [16]byte{0xff, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f, 0xfc, 0xff, 0xff, 0x0f}

// NewRandomKey returns a fresh master key from crypto/rand.
func NewRandomKey() (*Key, error) {
	var buf [64]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return nil, fmt.Errorf("generate master key: %w", err)
	}
	return keyFromBytes(buf[:]), nil
}

// keyFromBytes splits 64 bytes as restic does: enc | mac.k | mac.r.
func keyFromBytes(b []byte) *Key {
	k := &Key{}
	copy(k.EncryptionKey[:], b[0:32])
	copy(k.MACKey.K[:], b[32:48])
	copy(k.MACKey.R[:], b[48:64])
	return k
}

// Valid reports whether k has non-zero key material.
func (k *Key) Valid() bool {
	return k != nil && k.EncryptionKey != [32]byte{} && k.MACKey.K != [16]byte{} && k.MACKey.R != [16]byte{}
}

// String, GoString, Format and LogValue keep key material out of logs and
// error messages however the key is printed.
func (k Key) String() string                { return "crypto.Key{redacted}" }
func (k Key) GoString() string              { return "crypto.Key{redacted}" }
func (k Key) LogValue() slog.Value          { return slog.StringValue("redacted") }
func (k Key) Format(f fmt.State, _ rune)    { _, _ = io.WriteString(f, k.String()) }
func (m MACKey) String() string             { return "crypto.MACKey{redacted}" }
func (m MACKey) GoString() string           { return "crypto.MACKey{redacted}" }
func (m MACKey) LogValue() slog.Value       { return slog.StringValue("redacted") }
func (m MACKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) }

// NonceSize implements cipher.AEAD.
func (k *Key) NonceSize() int { return IVSize }

// Overhead implements cipher.AEAD: the tag size (the IV is not included
// because AEAD callers carry the nonce themselves).
func (k *Key) Overhead() int { return MACSize }

// mac computes Poly1305-AES(r, AES-128_k(nonce), msg).
func (m *MACKey) mac(tag *[MACSize]byte, nonce, msg []byte) {
	poly1305.Sum(tag, msg, m.polyKey(nonce))
}

// polyKey is the one-time Poly1305 key of nonce: the clamped r, then
// AES-128_k(nonce).
func (m *MACKey) polyKey(nonce []byte) *[32]byte {
	block, err := aes.NewCipher(m.K[:])
	if err != nil {
		panic(err) // 16-byte key: unreachable
	}
	var pk [32]byte
	for i := range 16 {
		pk[i] = m.R[i] & clamp[i]
	}
	block.Encrypt(pk[16:], nonce)
	return &pk
}

func (k *Key) ctr(dst, src, iv []byte) {
	block, err := aes.NewCipher(k.EncryptionKey[:])
	if err != nil {
		panic(err) // 32-byte key: unreachable
	}
	cipher.NewCTR(block, iv).XORKeyStream(dst, src)
}

// Seal implements cipher.AEAD: it appends AES-256-CTR(plaintext) ‖ tag to
// dst. nonce must be 16 bytes; additionalData must be empty. dst and
// plaintext may overlap exactly (dst[:0] = plaintext[:0]).
func (k *Key) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	if len(nonce) != IVSize {
		panic(fmt.Sprintf("crypto: nonce is %d bytes, want %d", len(nonce), IVSize))
	}
	if len(additionalData) != 0 {
		panic("crypto: additional data is not supported")
	}
	ret, out := grow(dst, len(plaintext)+MACSize)
	ct := out[:len(plaintext)]
	k.ctr(ct, plaintext, nonce)
	var tag [MACSize]byte
	k.MACKey.mac(&tag, nonce, ct)
	copy(out[len(plaintext):], tag[:])
	return ret
}

// Open implements cipher.AEAD: it verifies the tag at the end of
// ciphertext in constant time and only then appends the plaintext to dst.
func (k *Key) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	if len(nonce) != IVSize {
		return nil, fmt.Errorf("%w: nonce is %d bytes", ErrInvalidCiphertext, len(nonce))
	}
	if len(additionalData) != 0 {
		return nil, errors.New("crypto: additional data is not supported")
	}
	if len(ciphertext) < MACSize {
		return nil, ErrInvalidCiphertext
	}
	if isZero(nonce) {
		return nil, ErrZeroIV
	}
	n := len(ciphertext) - MACSize
	ct, got := ciphertext[:n], ciphertext[n:]
	var want [MACSize]byte
	k.MACKey.mac(&want, nonce, ct)
	if subtle.ConstantTimeCompare(want[:], got) != 1 {
		return nil, ErrUnauthenticated
	}
	ret, out := grow(dst, n)
	k.ctr(out, ct, nonce)
	return ret, nil
}

// SealBox appends IV ‖ ciphertext ‖ tag to dst, with a fresh IV from
// crypto/rand. This is the layout of every sealed repository object.
func (k *Key) SealBox(dst, plaintext []byte) ([]byte, error) {
	var iv [IVSize]byte
	if err := NewIV(rand.Reader, &iv); err != nil {
		return nil, err
	}
	return k.SealBoxIV(dst, &iv, plaintext), nil
}

// SealBoxIV is SealBox with a caller-chosen IV. Only use it with IVs from a
// CSPRNG (or in tests): reusing an IV under the same key breaks everything.
func (k *Key) SealBoxIV(dst []byte, iv *[IVSize]byte, plaintext []byte) []byte {
	dst = append(dst, iv[:]...)
	return k.Seal(dst, iv[:], plaintext, nil)
}

// OpenBox verifies and decrypts a sealed box (IV ‖ ciphertext ‖ tag),
// appending the plaintext to dst.
func (k *Key) OpenBox(dst, box []byte) ([]byte, error) {
	if len(box) < Extension {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrInvalidCiphertext, len(box), Extension)
	}
	return k.Open(dst, box[:IVSize], box[IVSize:], nil)
}

// NewIV fills iv from r, retrying on the (astronomically unlikely, but
// rejected by readers) all-zero value.
func NewIV(r io.Reader, iv *[IVSize]byte) error {
	for range 4 {
		if _, err := io.ReadFull(r, iv[:]); err != nil {
			return fmt.Errorf("read random IV: %w", err)
		}
		if !isZero(iv[:]) {
			return nil
		}
	}
	return fmt.Errorf("read random IV: %w from random source", ErrZeroIV)
}

func isZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

// grow extends dst by n bytes, returning the whole slice and the new tail.
func grow(dst []byte, n int) (whole, tail []byte) {
	if total := len(dst) + n; cap(dst) >= total {
		whole = dst[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, dst)
	}
	return whole, whole[len(dst):]
}
