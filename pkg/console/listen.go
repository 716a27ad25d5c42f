package console

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Listen says where and how the console is served.
type Listen struct {
	Addr      string // host:port
	CertFile  string // TLS certificate (PEM); with KeyFile, serve HTTPS
	KeyFile   string
	PlainHTTP bool // serve plain HTTP on a non-loopback address (a TLS proxy is in front)
}

// ErrPlainHTTP is returned by CheckListen for plain HTTP on an address
// other hosts can reach.
var ErrPlainHTTP = errors.New("console on a non-loopback address without TLS")

// TLS reports whether l serves HTTPS.
func (l Listen) TLS() bool { return l.CertFile != "" }

// CheckListen decides whether l may be served: a listener that other
// hosts can reach carries the token and every file it shows, so it needs
// TLS, or PlainHTTP said on purpose for a TLS-terminating proxy in front.
// An address is loopback if its host is "localhost" or a loopback IP; an
// empty host or any other name listens beyond this host.
func CheckListen(l Listen) error {
	host, _, err := net.SplitHostPort(l.Addr)
	if err != nil {
		return fmt.Errorf("console listen address %q: %w", l.Addr, err)
	}
	if (l.CertFile == "") != (l.KeyFile == "") {
		return fmt.Errorf("console TLS needs both a certificate and a key file (have certificate %q, key %q)", l.CertFile, l.KeyFile)
	}
	if l.TLS() || l.PlainHTTP || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("%w: %s is reachable from other hosts; give a TLS certificate and key, or plain HTTP explicitly for a TLS-terminating proxy in front, or listen on 127.0.0.1", ErrPlainHTTP, l.Addr)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve checks l, listens and serves h until ctx is done, then shuts the
// server down, giving requests in flight a few seconds. ready, if not nil,
// is called with the address listened on once connections are accepted.
func Serve(ctx context.Context, l Listen, h http.Handler, ready func(net.Addr)) error {
	if err := CheckListen(l); err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if l.TLS() {
		cert, err := tls.LoadX509KeyPair(l.CertFile, l.KeyFile)
		if err != nil {
			return fmt.Errorf("console TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", l.Addr)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	if srv.TLSConfig != nil {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("console: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-done
	return nil
}
