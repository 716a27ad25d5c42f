package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// Load implements backend.Backend with one GET, ranged unless the whole
// file is wanted. The range is checked against the file's size, from
// Content-Range, before fn runs.
func (b *Backend) Load(ctx context.Context, h backend.Handle, length int, offset int64, fn func(io.Reader) error) error {
	if err := check(ctx, h); err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	if length < 0 || offset < 0 {
		return fmt.Errorf("load %s: %w: negative offset %d or length %d", h, backend.ErrRange, offset, length)
	}
	release, err := b.acquire(ctx, h, false)
	if err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	defer release()
	hdr := http.Header{}
	ranged := offset > 0 || length > 0
	if ranged {
		end := ""
		if length > 0 {
			end = strconv.FormatInt(offset+int64(length)-1, 10)
		}
		hdr.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-"+end)
	}
	resp, err := b.do(ctx, http.MethodGet, rel(h), nil, -1, hdr)
	if err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	defer drain(resp)
	if err := b.statusError(resp, http.MethodGet, rel(h)); err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	body, n, err := rangeBody(resp, ranged, int64(length), offset)
	if err != nil {
		return fmt.Errorf("load %s: GET %s: %w", h, b.display(rel(h)), err)
	}
	if err := fn(backend.ExactReader(ctx, body, n)); err != nil {
		return fmt.Errorf("load %s: %w", h, err)
	}
	return nil
}

// rangeBody checks the answer to a (possibly ranged) GET and returns the
// body positioned at offset with the number of bytes to read. A server
// that ignores Range (200) gets its leading bytes skipped.
func rangeBody(resp *http.Response, ranged bool, length, offset int64) (io.Reader, int64, error) {
	total := resp.ContentLength
	if resp.StatusCode == http.StatusPartialContent {
		cr, ok := backend.ParseContentRange(resp.Header.Get("Content-Range"))
		if !ok {
			return nil, 0, fmt.Errorf("partial answer without a usable Content-Range (%q)", resp.Header.Get("Content-Range"))
		}
		if _, err := backend.CheckRange(cr.Total, length, offset); err != nil {
			return nil, 0, err
		}
		if cr.First != offset {
			return nil, 0, fmt.Errorf("partial answer with Content-Range %q to a request from offset %d", resp.Header.Get("Content-Range"), offset)
		}
		total = cr.Total
	} else if total < 0 {
		return nil, 0, errors.New("answer without Content-Length")
	}
	n, err := backend.CheckRange(total, length, offset)
	if err != nil {
		return nil, 0, err
	}
	if ranged && resp.StatusCode != http.StatusPartialContent && offset > 0 {
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
			return nil, 0, fmt.Errorf("skip to offset %d: %w", offset, err)
		}
	}
	return resp.Body, n, nil
}

// listEntry is one file in a version 2 listing.
type listEntry struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// List implements backend.Backend with GET {type}/. Version 2 listings
// carry sizes; a server that answers version 1 (names only) gets a HEAD
// per file. The listing is decoded as it arrives.
func (b *Backend) List(ctx context.Context, t backend.FileType, fn func(string, int64) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := backend.Dir(t)
	if dir == "" {
		return fmt.Errorf("list %s: %w: type cannot be listed", t, backend.ErrInvalidHandle)
	}
	release, err := b.acquire(ctx, backend.Handle{Type: t}, false)
	if err != nil {
		return fmt.Errorf("list %s/: %w", dir, err)
	}
	resp, err := b.do(ctx, http.MethodGet, dir+"/", nil, -1, http.Header{"Accept": {mediaV2}})
	if err != nil {
		release()
		return fmt.Errorf("list %s/: %w", dir, err)
	}
	defer drain(resp)
	if err := b.statusError(resp, http.MethodGet, dir+"/"); err != nil {
		release()
		if errors.Is(err, backend.ErrNotExist) {
			return nil // a missing directory lists nothing
		}
		return fmt.Errorf("list %s/: %w", dir, err)
	}
	v2 := strings.HasPrefix(resp.Header.Get("Content-Type"), mediaV2)
	names, err := decodeListing(resp.Body, v2, func(name string, size int64) error {
		if !backend.IsValidID(name) {
			return nil
		}
		return fn(name, size)
	})
	release() // the HEADs of a version 1 listing take slots of their own
	var cb *callbackError
	if errors.As(err, &cb) {
		return cb.err
	}
	if err != nil {
		return fmt.Errorf("list %s/: %w", dir, err)
	}
	for _, name := range names {
		if !backend.IsValidID(name) {
			continue
		}
		size, err := b.Stat(ctx, backend.Handle{Type: t, Name: name})
		if errors.Is(err, backend.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return fmt.Errorf("list %s/: %w", dir, err)
		}
		if err := fn(name, size); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// decodeListing reads a JSON array: version 2 entries go to fn as they are
// decoded; version 1 names are returned. An error of fn is returned as is.
func decodeListing(r io.Reader, v2 bool, fn func(string, int64) error) ([]string, error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("listing is not a JSON array (%v)", err)
	}
	var names []string
	for dec.More() {
		if !v2 {
			var name string
			if err := dec.Decode(&name); err != nil {
				return nil, fmt.Errorf("decode listing: %w", err)
			}
			names = append(names, name)
			continue
		}
		var e listEntry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("decode listing: %w", err)
		}
		if err := fn(e.Name, e.Size); err != nil {
			return nil, &callbackError{err}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("decode listing: %w", err)
	}
	return names, nil
}

// callbackError carries List's callback error through unchanged.
type callbackError struct{ err error }

func (c *callbackError) Error() string { return c.err.Error() }
func (c *callbackError) Unwrap() error { return c.err }
