package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Repository versions.
const (
	// Version1 repositories have no compression anywhere.
	Version1 = 1
	// Version2 repositories add compressed blobs and 0x02+zstd files.
	Version2 = 2
)

// ErrUnsupportedVersion is returned for config versions other than 1 and 2.
var ErrUnsupportedVersion = errors.New("unsupported repository version")

// Polynomial is the chunker polynomial; JSON holds it as bare lowercase hex.
// Whether it is irreducible is checked by the chunker, not here.
type Polynomial uint64

// MarshalJSON encodes p like restic: a string of hex digits, no 0x, no
// leading zeros.
func (p Polynomial) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatUint(uint64(p), 16) + `"`), nil
}

// UnmarshalJSON decodes a hex string.
func (p *Polynomial) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("chunker polynomial: %w", err)
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return fmt.Errorf("chunker polynomial %q: %w", s, err)
	}
	*p = Polynomial(v)
	return nil
}

// Config is the repository's config document (stored sealed, never
// compressed, without a version byte).
type Config struct {
	Version           uint       `json:"version"`
	ID                string     `json:"id"`
	ChunkerPolynomial Polynomial `json:"chunker_polynomial"`
}

// Validate checks the fields restic checks before using a repository.
func (c *Config) Validate() error {
	if c.Version != Version1 && c.Version != Version2 {
		return fmt.Errorf("config: %w %d (want 1 or 2)", ErrUnsupportedVersion, c.Version)
	}
	if c.ID == "" {
		return errors.New("config: empty repository id")
	}
	if c.ChunkerPolynomial == 0 {
		return errors.New("config: chunker polynomial is zero")
	}
	return nil
}

// EncodeConfig returns the JSON plaintext of c (no trailing newline).
func EncodeConfig(c *Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// DecodeConfig parses and validates a config plaintext.
func DecodeConfig(data []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decode config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}
