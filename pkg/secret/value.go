package secret

import (
	"fmt"
	"io"
	"log/slog"
)

// Mask is what a secret shows instead of itself.
const Mask = "***"

// Value is a password, key or token. The zero Value is empty and shows
// as "", which tells that nothing is set and no more.
type Value struct{ p *string }

// New returns s as a Value; New("") is the zero Value.
func New(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{&s}
}

// Reveal returns the plain text.
func (v Value) Reveal() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// IsZero reports whether v is empty.
func (v Value) IsZero() bool { return v.p == nil }

// String returns Mask, or "" if v is empty.
func (v Value) String() string {
	if v.p == nil {
		return ""
	}
	return Mask
}

// Format prints String for every verb (see format).
func (v Value) Format(f fmt.State, verb rune) { format(f, verb, v.String()) }

// LogValue logs String.
func (v Value) LogValue() slog.Value { return slog.StringValue(v.String()) }

// MarshalText writes String: JSON and YAML output shows the mask, never
// the secret. Nothing in drydock writes a configuration back, and a
// status or debug dump had better show "***" than fail.
func (v Value) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText takes the plain text, as a configuration file holds it.
func (v *Value) UnmarshalText(b []byte) error {
	*v = New(string(b))
	return nil
}

// format writes shown as fmt would write a string for %s, %q and %v
// (with their flags and width), and as it is for any other verb: the hex
// of a mask (%x) would hide nothing and show nothing.
func format(f fmt.State, verb rune, shown string) {
	switch verb {
	case 's', 'q':
		fmt.Fprintf(f, fmt.FormatString(f, verb), shown)
	case 'v':
		fmt.Fprintf(f, fmt.FormatString(f, 's'), shown)
	default:
		io.WriteString(f, shown)
	}
}
