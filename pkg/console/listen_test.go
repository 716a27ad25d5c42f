package console

import (
	"errors"
	"testing"
)

// TestCheckListen: plain HTTP only on loopback, unless asked for; TLS
// needs both files.
func TestCheckListen(t *testing.T) {
	for _, c := range []struct {
		l       Listen
		wantErr error // nil: accepted; errAny: refused for another reason
	}{
		{Listen{Addr: "127.0.0.1:9868"}, nil},
		{Listen{Addr: "127.1.2.3:9868"}, nil},
		{Listen{Addr: "[::1]:9868"}, nil},
		{Listen{Addr: "localhost:9868"}, nil},
		{Listen{Addr: "0.0.0.0:9868"}, ErrPlainHTTP},
		{Listen{Addr: ":9868"}, ErrPlainHTTP},
		{Listen{Addr: "[::]:9868"}, ErrPlainHTTP},
		{Listen{Addr: "192.168.1.5:9868"}, ErrPlainHTTP},
		{Listen{Addr: "backup.example:9868"}, ErrPlainHTTP},
		{Listen{Addr: "0.0.0.0:9868", PlainHTTP: true}, nil},
		{Listen{Addr: "0.0.0.0:9868", CertFile: "c.pem", KeyFile: "k.pem"}, nil},
		{Listen{Addr: "0.0.0.0:9868", CertFile: "c.pem"}, errAny},
		{Listen{Addr: "127.0.0.1:9868", KeyFile: "k.pem"}, errAny},
		{Listen{Addr: "no-port"}, errAny},
	} {
		err := CheckListen(c.l)
		switch {
		case c.wantErr == nil && err != nil:
			t.Errorf("%+v: %v, want accepted", c.l, err)
		case c.wantErr == errAny && err == nil:
			t.Errorf("%+v: accepted, want refused", c.l)
		case c.wantErr == ErrPlainHTTP && !errors.Is(err, ErrPlainHTTP):
			t.Errorf("%+v: %v, want %v", c.l, err, ErrPlainHTTP)
		}
	}
}

var errAny = errors.New("any error")
