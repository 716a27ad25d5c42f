package rclone

import (
	"context"
	"fmt"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/rest"
)

// partialTimeout bounds the clean-up after a failed Save.
const partialTimeout = 30 * time.Second

// Save implements backend.Backend. rclone before 1.63 writes an upload in
// place, and when a request is reset mid-way over HTTP/2 (a cancelled
// save) it may keep what it got under the real name, and refuse to
// remove it while its handler, which never learns of the reset, holds it:
// seen with rclone 1.60, half a pack kept for minutes. The Backend
// contract promises nothing partial. So a failed Save looks, and removes a
// file of the wrong size; if rclone refuses, it is started again (its
// stuck handler ends with it) and asked once more. No one else uploads
// through this rclone, and a complete file of the same name (another
// host's; names are content hashes) has the right size and stays. The
// config is left alone: an earlier one may differ in size.
func (b *Backend) Save(ctx context.Context, h backend.Handle, rd backend.RewindReader) error {
	s, done, err := b.current()
	if err != nil {
		return err
	}
	err = s.rest.Save(ctx, h, rd)
	done()
	if err == nil || h.Type == backend.ConfigFile {
		return err
	}
	if cerr := b.removePartial(context.WithoutCancel(ctx), h, rd.Length()); cerr != nil {
		return fmt.Errorf("%w; %w", err, cerr)
	}
	return err
}

// removePartial removes h if it exists with another size than want.
func (b *Backend) removePartial(ctx context.Context, h backend.Handle, want int64) error {
	ctx, cancel := context.WithTimeout(ctx, partialTimeout)
	defer cancel()
	size, err := b.Stat(ctx, h)
	if err != nil || size == want {
		return nil // absent, complete, or rclone unreachable: nothing to do here
	}
	if err := b.Remove(ctx, h); err == nil {
		b.log.Warn("removed the partial upload rclone kept after a failed save", "file", h.String(), "size", size, "want", want)
		return nil
	}
	if err := b.restart(ctx); err != nil {
		return fmt.Errorf("rclone kept %d of %s's %d bytes and could not be restarted to remove them: %w", size, h, want, err)
	}
	if err := b.Remove(ctx, h); err != nil {
		return fmt.Errorf("rclone kept %d of %s's %d bytes, which could not be removed: %w", size, h, want, err)
	}
	b.log.Warn("restarted rclone to remove the partial upload it kept after a failed save", "file", h.String(), "size", size, "want", want)
	return nil
}

// restart replaces the rclone process, once no request runs on it.
func (b *Backend) restart(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed
	}
	_ = b.srv.p.kill()
	_ = b.srv.rest.Close()
	srv, err := startServer(ctx, b.cfg, rest.Open)
	if err != nil {
		return err
	}
	b.srv = srv
	return nil
}
