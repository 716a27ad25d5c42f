package errjoin

import (
	"errors"
	"testing"
)

func TestJoin(t *testing.T) {
	a, b := errors.New("a"), errors.New("b")
	if Join() != nil || Join(nil, nil) != nil {
		t.Error("no errors joined into one")
	}
	if err := Join(nil, a, nil); err != a {
		t.Errorf("lone error %v, want a itself", err)
	}
	if err := Join(a, nil, b); !errors.Is(err, a) || !errors.Is(err, b) || err.Error() != "a\nb" {
		t.Errorf("joined %q", err)
	}
}
