package rest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// do sends one request to the repository path relPath (which may carry a
// query), with basic auth from the URL. size is the body's length (-1 for
// no body). Transport errors name the redacted location instead of the
// URL net/http would put in its *url.Error.
func (b *Backend) do(ctx context.Context, method, relPath string, body io.Reader, size int64, hdr http.Header) (*http.Response, error) {
	u, err := b.base.Parse(relPath)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, b.display(relPath), err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, b.display(relPath), stripURL(err))
	}
	if size >= 0 {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if a := b.auth; a != nil {
		req.SetBasicAuth(a.User, a.Password.Reveal())
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, b.display(relPath), stripURL(err))
	}
	return resp, nil
}

// stripURL replaces a *url.Error by the error it wraps, which keeps what
// backend.IsTransient looks at (net.OpError, timeouts, EOF) but not the
// URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// display names relPath for messages: the redacted location joined with it.
func (b *Backend) display(relPath string) string {
	return b.cfg.String() + relPath
}

// statusError maps a response to nil (2xx) or an error: 404 ErrNotExist,
// 401 and 403 ErrPermission, 416 ErrRange, 5xx, 429 and 408 transient, with
// the first line of the server's message.
func (b *Backend) statusError(resp *http.Response, method, relPath string) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg := fmt.Sprintf("%s %s: %s", method, b.display(relPath), resp.Status)
	if text := serverMessage(resp); text != "" {
		msg += ": " + text
	}
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound:
		return fmt.Errorf("%w: %s", backend.ErrNotExist, msg)
	case code == http.StatusUnauthorized:
		return fmt.Errorf("%w: %s (check the user and password in the URL or RESTIC_REST_USERNAME/RESTIC_REST_PASSWORD)", backend.ErrPermission, msg)
	case code == http.StatusForbidden:
		return fmt.Errorf("%w: %s", backend.ErrPermission, msg)
	case code == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("%w: %s", backend.ErrRange, msg)
	case code >= 500, code == http.StatusTooManyRequests, code == http.StatusRequestTimeout:
		return backend.MarkTransient(errors.New(msg))
	}
	return errors.New(msg)
}

// serverMessage returns the first line of a short text body.
func serverMessage(resp *http.Response) string {
	if resp.Body == nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// drain reads a little of what is left of the body, so the connection can
// be reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
}
