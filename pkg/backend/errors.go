package backend

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// kindError is a sentinel that also matches a standard error under
// errors.Is, so that ErrNotExist satisfies errors.Is(err, fs.ErrNotExist).
type kindError struct {
	msg  string
	also error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Is(target error) bool { return e.also != nil && target == e.also }

// Sentinel errors. Backends wrap them with %w together with the object and
// step that failed; callers test with errors.Is.
var (
	// ErrNotExist: the file does not exist. errors.Is(err, fs.ErrNotExist)
	// also holds for errors wrapping it.
	ErrNotExist error = &kindError{"file does not exist", fs.ErrNotExist}

	// ErrPermission: access was refused: file permissions, or for S3 wrong,
	// expired or missing credentials. errors.Is(err, fs.ErrPermission) also
	// holds.
	ErrPermission error = &kindError{"permission denied", fs.ErrPermission}

	// ErrLocationMissing: the repository location itself (local directory or
	// S3 bucket) does not exist.
	ErrLocationMissing error = &kindError{"repository location does not exist", nil}

	// ErrInvalidHandle: the handle cannot name a file in the layout (wrong
	// type, or a name that is not a 64-hex ID).
	ErrInvalidHandle error = &kindError{"invalid handle", nil}

	// ErrRange: a Load asked for bytes outside the file.
	ErrRange error = &kindError{"requested range is outside the file", nil}

	// ErrTransient marks errors that may go away on retry (server-side 5xx,
	// throttling). Backends mark such errors with MarkTransient; IsTransient
	// also recognises network errors without a mark.
	ErrTransient error = &kindError{"transient error", nil}
)

// transientError marks err as transient while keeping its message and chain.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }

func (e *transientError) Unwrap() error { return e.err }

func (e *transientError) Is(target error) bool { return target == ErrTransient }

// MarkTransient returns err marked as transient (errors.Is(err, ErrTransient)
// holds), with the same message. It returns nil for nil.
func MarkTransient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err}
}

// IsTransient reports whether retrying the operation that returned err may
// succeed: errors marked with MarkTransient, network timeouts, refused or
// reset connections, a connection closed in the middle of a body (io.EOF,
// io.ErrUnexpectedEOF) or by the server ("use of closed network
// connection", "server closed idle connection", minio-go's "Connection
// closed by foreign host"), and DNS failures other than "no such host". Context
// cancellation and the permanent sentinels (ErrNotExist, ErrPermission,
// ErrLocationMissing, ErrInvalidHandle, ErrRange) are never transient, even
// when they wrap a transient cause.
func IsTransient(err error) bool {
	switch {
	case err == nil,
		errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, ErrNotExist),
		errors.Is(err, ErrPermission),
		errors.Is(err, ErrLocationMissing),
		errors.Is(err, ErrInvalidHandle),
		errors.Is(err, ErrRange):
		return false
	case errors.Is(err, ErrTransient),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT):
		return true
	}
	if errors.Is(err, net.ErrClosed) || connectionLost(err) {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return !dns.IsNotFound // a misspelt host name stays wrong
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// lostConnection are messages of HTTP clients whose connection broke,
// where the cause survives only as text: net/http's unexported
// errServerClosedIdle, and minio-go, which replaces an EOF from the
// transport with "Connection closed by foreign host".
var lostConnection = []string{
	"Connection closed by foreign host",
	"server closed idle connection",
	"use of closed network connection",
	"connection reset by peer",
	"broken pipe",
	"connection refused",
}

// connectionLost reports an HTTP request (a *url.Error) that failed
// because its connection broke or could not be made, not because of what
// the server answered.
func connectionLost(err error) bool {
	var ue *url.Error
	if !errors.As(err, &ue) || ue.Err == nil {
		return false
	}
	msg := ue.Err.Error()
	for _, s := range lostConnection {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
