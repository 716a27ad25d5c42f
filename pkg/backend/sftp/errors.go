package sftp

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/pkg/sftp"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// translate maps an error from the SFTP client, once, at the boundary:
// the server's "no such file" and "permission denied" become the backend
// sentinels, other answers of the server stay as they are (permanent), and
// everything else means the session broke (ssh died, the network went
// away, the protocol got out of step). Then c is dropped so that the next
// operation reconnects, and the error is marked transient for the retry
// layer, with what ssh said about it.
func (b *Backend) translate(c *conn, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", backend.ErrNotExist, err)
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w: %w", backend.ErrPermission, err)
	}
	var status *sftp.StatusError
	if errors.As(err, &status) && !lostCode(status.FxCode()) {
		return err
	}
	if errors.Is(err, backend.ErrNotExist) || errors.Is(err, backend.ErrRange) {
		return err // already ours
	}
	b.drop(c)
	msg := fmt.Sprintf("connection to %s lost", b.cfg)
	if why := c.why(); why != "" {
		msg += "; " + why
	}
	return backend.MarkTransient(fmt.Errorf("%w (%s; the next operation reconnects)", err, msg))
}

// lostCode reports the status codes the client uses for a broken session.
func lostCode(code error) bool {
	return code == sftp.ErrSSHFxConnectionLost || code == sftp.ErrSSHFxNoConnection
}
