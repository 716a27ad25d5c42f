package sftp_test

import (
	"context"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/interoptest"
	"github.com/drydock-backup/drydock/internal/testkit/sshtest"
	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/backend/sftp"
)

// resticOn runs stock restic on the SFTP repository at rel (relative to
// the server's root), connecting with sftp.command as a user with an ssh
// configuration would.
func resticOn(t *testing.T, srv *sshtest.Server, rel string) func(args ...string) string {
	t.Helper()
	return interoptest.Restic(t, "-r", "sftp:"+sshtest.HostAlias+":"+rel, "-o", "sftp.command="+srv.Command())
}

// drydock's repository layer writes a snapshot of the fixture over SFTP;
// stock restic, over its own ssh connection, finds no error reading every
// byte and restores the fixture exactly.
func TestDrydockWritesResticReads(t *testing.T) {
	srv := sshtest.Start(t)
	be, err := sftp.Create(t.Context(), commandConfig(t, srv, "dd/repo"))
	if err != nil {
		t.Fatal(err)
	}
	interoptest.DrydockWritesResticReads(t, be, resticOn(t, srv, "dd/repo"))
}

// Stock restic initialises a repository over SFTP and backs the fixture
// up; drydock opens it with the location string restic used and restores
// the snapshot exactly.
func TestResticWritesDrydockReads(t *testing.T) {
	srv := sshtest.Start(t)
	interoptest.ResticWritesDrydockReads(t, resticOn(t, srv, "rr"), func(ctx context.Context) (backend.Backend, error) {
		return sftp.Open(ctx, commandConfig(t, srv, "rr"))
	})
}
