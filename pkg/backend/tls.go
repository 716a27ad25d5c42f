package backend

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSOptions are restic's global TLS flags, shared by every backend that
// speaks HTTPS (s3:, rest:): --cacert, --tls-client-cert and
// --insecure-tls. The zero value trusts the system's roots.
type TLSOptions struct {
	// CACerts name PEM files with the root certificates to trust; they
	// replace the system's roots.
	CACerts []string
	// ClientCert names one PEM file holding a client certificate and its
	// private key.
	ClientCert string
	// Insecure skips verifying the server's certificate.
	Insecure bool
}

// Config builds the client's TLS configuration. Errors name the file that
// could not be used.
func (o TLSOptions) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.Insecure} //nolint:gosec // the operator asked for it
	if len(o.CACerts) > 0 {
		pool := x509.NewCertPool()
		for _, f := range o.CACerts {
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("CA certificate: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA certificate %s: no PEM certificate in it", f)
			}
		}
		cfg.RootCAs = pool
	}
	if o.ClientCert != "" {
		pem, err := os.ReadFile(o.ClientCert)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		// One file holds both: X509KeyPair takes the certificates from the
		// first argument and the first private key from the second.
		cert, err := tls.X509KeyPair(pem, pem)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate %s (want certificate and private key in one PEM file): %w", o.ClientCert, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
