// Package lockowner tells which repository locks were left by a drydock of
// this installation that has died.
//
// restic's rule calls a lock stale when it is older than 30 minutes or was
// made on this host by a PID that no longer exists. Neither helps a drydock
// in a container that was killed: the next container is PID 1 on the same
// host name again, so the old lock looks alive for 30 minutes and blocks
// check, prune and retention. "Same state directory" alone does not prove
// the old holder dead either: the daemon and `docker exec ... drydock`
// share one.
//
// So every lock drydock writes names its installation (a random ID kept in
// the state directory) and its process (a random ID per process), and each
// process holds the file lockowners/<process> in the state directory
// flocked (internal/heldfile) for as long as it lives. The kernel drops
// the flock when the process dies, also across containers sharing the
// state volume. A lock of this installation and host whose process file
// can be flocked is provably dead; one whose file is flocked belongs to a live drydock; one
// whose file is missing is left to restic's rule.
package lockowner

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/internal/heldfile"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// Files in the state directory.
const (
	InstallationFile = "installation-id"
	OwnersDir        = "lockowners"
)

// sweepAfter is how long the file of a dead process is kept after it last
// wrote a lock: its locks may sit in a repository nothing of this
// installation opened since. After a week they are older than restic's
// 30 minutes, and 'drydock unlock' removes them as stale.
const sweepAfter = 7 * 24 * time.Hour

// Owner marks this process's locks and recognises those of dead drydocks
// of the same installation. Its methods are safe for concurrent use.
type Owner struct {
	installation string
	self         string
	host         string
	dir          string // the state directory's OwnersDir
	log          *slog.Logger

	mu   sync.Mutex
	f    *os.File // our process file, flocked; nil once closed
	keep bool     // a lock of ours may be left behind: keep our file
}

// Open reads (or creates) the installation ID in stateDir, an existing
// directory, removes the files of processes dead for a long time, and
// creates and flocks this process's file. log may be nil.
func Open(stateDir string, log *slog.Logger) (*Owner, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	inst, err := installationID(stateDir)
	if err != nil {
		return nil, err
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("host name: %w", err)
	}
	o := &Owner{installation: inst, self: newID(), host: host, dir: filepath.Join(stateDir, OwnersDir), log: log}
	if err := os.Mkdir(o.dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("lock owners directory: %w", err)
	}
	o.sweep()
	if o.f, err = o.create(); err != nil {
		return nil, err
	}
	return o, nil
}

// Process is this process's ID, as its locks carry it.
func (o *Owner) Process() string { return o.self }

// create makes our process file, held (internal/heldfile) from the moment
// it has its name, so no other process can mistake it for dead.
func (o *Owner) create() (*os.File, error) {
	f, err := heldfile.Create(filepath.Join(o.dir, o.self),
		fmt.Sprintf("drydock pid %d on %s since %s\n", os.Getpid(), o.host, time.Now().Format(time.RFC3339)))
	if err != nil {
		return nil, fmt.Errorf("lock owner file: %w", err)
	}
	return f, nil
}

// Mark stamps doc, a lock about to be written, as this process's, and
// records its time on our file, which tells a later sweep how recent our
// newest lock is.
func (o *Owner) Mark(doc *format.Lock) {
	doc.Installation, doc.Process = o.installation, o.self
	if err := os.Chtimes(filepath.Join(o.dir, o.self), doc.Time, doc.Time); err != nil {
		o.log.Debug("cannot record the lock time on the lock owner file", "err", err)
	}
}

// Left records that a lock file of this process could not be removed: our
// file then outlives us, so that the next drydock can tell the lock dead.
func (o *Owner) Left() {
	o.mu.Lock()
	o.keep = true
	o.mu.Unlock()
}

// Dead tells whether doc was written by a drydock of this installation on
// this host that is no longer running: its process file exists and nobody
// holds its flock. Any doubt (another installation or host, a missing or
// unreadable file, this very process) answers false.
func (o *Owner) Dead(doc format.Lock) bool {
	if doc.Installation != o.installation || doc.Hostname != o.host || doc.Process == o.self || !validID(doc.Process) {
		return false
	}
	return heldfile.Abandoned(filepath.Join(o.dir, doc.Process))
}

// Close removes our process file unless a lock of ours may be left behind,
// and drops its flock. Call it once no lock of this process is held.
func (o *Owner) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil
	}
	var err error
	if !o.keep {
		err = os.Remove(filepath.Join(o.dir, o.self))
	}
	err = errors.Join(err, o.f.Close())
	o.f = nil
	return err
}

// sweep removes the files of processes that are dead and wrote their last
// lock more than sweepAfter ago.
func (o *Owner) sweep() {
	entries, err := os.ReadDir(o.dir)
	if err != nil {
		o.log.Warn("cannot list lock owner files", "dir", o.dir, "err", err)
		return
	}
	for _, e := range entries {
		if !validID(strings.TrimPrefix(e.Name(), heldfile.TempPrefix)) {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < sweepAfter {
			continue
		}
		o.removeIfDead(filepath.Join(o.dir, e.Name()))
	}
}

func (o *Owner) removeIfDead(path string) {
	f, ok := heldfile.Claim(path)
	if !ok {
		return // alive, or removed meanwhile
	}
	defer f.Close()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		o.log.Warn("cannot remove the file of a dead lock owner", "file", path, "err", err)
	}
}

// installationID reads stateDir's installation ID, creating it on first
// use. Two processes starting at once agree: the ID is written to a
// temporary file and linked into place, which fails if another got there
// first, whose ID is then read.
func installationID(stateDir string) (string, error) {
	path := filepath.Join(stateDir, InstallationFile)
	if id, err := readID(path); !errors.Is(err, fs.ErrNotExist) {
		return id, err
	}
	tmp, err := os.CreateTemp(stateDir, ".installation-id-*")
	if err != nil {
		return "", fmt.Errorf("create installation ID: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(newID() + "\n")
	err = errors.Join(err, tmp.Sync(), tmp.Close())
	if err != nil {
		return "", fmt.Errorf("write installation ID: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create installation ID: %w", err)
	}
	return readID(path)
}

func readID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(b))
	if !validID(id) {
		return "", fmt.Errorf("%s holds no installation ID (want 32 hex digits); remove it to make a new one", path)
	}
	return id, nil
}

// newID returns 128 random bits in hex.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// validID accepts what newID makes, and so no path separators.
func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
