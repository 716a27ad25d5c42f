package sftp_test

import (
	"errors"
	"os/exec"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/testenv"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/backendtest"
	"github.com/drydock-backup/drydock/pkg/backend/sftp"
)

// SFTP has no append-only mode that keeps locks deletable. The nearest,
// OpenSSH's sftp-server -P remove, refuses every remove, locks included,
// so drydock cannot run there at all; CheckDeletes cannot tell it either,
// because the SFTP client answers the refused remove of a missing name
// with a directory removal's "no such file". A real delete is refused with
// ErrPermission, which forget and prune report as a refused delete.
// Plain sftp-server allows deletes. Both run as sftp.command (sftp-server
// speaks SFTP on its stdin and stdout), without sshd.
func TestCheckDeletes(t *testing.T) {
	server := "/usr/lib/openssh/sftp-server"
	_, err := exec.LookPath(server)
	testenv.RequireOrSkip(t, err == nil, "%s not found (Debian: apt-get install -y openssh-server)", server)
	for name, args := range map[string]string{"remove denied": " -P remove", "plain": ""} {
		t.Run(name, func(t *testing.T) {
			be, err := sftp.Create(t.Context(), sftp.Config{Path: t.TempDir(), Command: server + args})
			if err != nil {
				t.Fatal(err)
			}
			defer be.Close()
			if args == "" {
				backendtest.DeletesAllowed(t, be)
				return
			}
			if err := backend.CheckDeletes(t.Context(), be); err != nil {
				t.Errorf("CheckDeletes: %v, want nil: the refusal cannot be seen up front", err)
			}
			h := backendtest.Save(t, be, backend.SnapshotFile, []byte("a snapshot"))
			err = be.Remove(t.Context(), h)
			if !errors.Is(backend.RefusedDelete(h.Type, err), backend.ErrDeleteRefused) {
				t.Errorf("remove %v: %v, want ErrPermission", h, err)
			}
		})
	}
}
