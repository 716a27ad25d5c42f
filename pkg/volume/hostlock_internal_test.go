package volume

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	dvolume "github.com/docker/docker/api/types/volume"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// signalWriter closes seen when a write contains want.
type signalWriter struct {
	want string
	once sync.Once
	seen chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// TestLockFileWaitsForHolder: with wait 0 a held lock fails at once,
// naming its holder; with a wait, it is taken as soon as the holder lets
// go.
func TestLockFileWaitsForHolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), HostLockFile)
	quiet := slog.New(slog.DiscardHandler)
	unlock, err := lockFile(t.Context(), p, "pid 1 on host a (state directory /a)", 0, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockFile(t.Context(), p, "b", 0, quiet); err == nil || !strings.Contains(err.Error(), "pid 1 on host a (state directory /a)") {
		t.Errorf("second lock: %v, want a refusal naming the holder", err)
	}
	w := &signalWriter{want: "waiting for the host lock", seen: make(chan struct{})}
	got := make(chan error, 1)
	go func() {
		u, err := lockFile(t.Context(), p, "b", time.Minute, slog.New(slog.NewTextHandler(w, nil)))
		if err == nil {
			u()
		}
		got <- err
	}()
	<-w.seen // it waits
	unlock()
	if err := <-got; err != nil {
		t.Errorf("waiting lock: %v", err)
	}
}

// lockVolumeAPI is Docker's VolumeCreate for the host lock volume, at dir.
type lockVolumeAPI struct {
	dockerAPI
	dir string
}

func (a lockVolumeAPI) VolumeCreate(_ context.Context, o dvolume.CreateOptions) (dvolume.Volume, error) {
	return dvolume.Volume{Name: o.Name, Driver: "local", Labels: o.Labels, Mountpoint: a.dir}, nil
}

func writeJournalAt(t *testing.T, dir string, j journal) {
	t.Helper()
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, JournalFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLockHostAdoptsStateDirJournal: a journal an older drydock left in the
// state directory is merged into the one beside the host lock, losing no
// container, and removed; the journal is kept beside the lock from then on.
func TestLockHostAdoptsStateDirJournal(t *testing.T) {
	state, host := t.TempDir(), t.TempDir()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	writeJournalAt(t, state, journal{Version: 1, Apps: map[string]journalEntry{
		"shop": {Containers: []appplan.ContainerRef{{ID: "1", Name: "db"}, {ID: "2", Name: "web"}}, Stops: map[string]time.Time{"1": at}},
		"wiki": {Containers: []appplan.ContainerRef{{ID: "5", Name: "wiki"}}},
	}})
	writeJournalAt(t, host, journal{Version: 1, Apps: map[string]journalEntry{
		"shop": {Containers: []appplan.ContainerRef{{ID: "2", Name: "web"}, {ID: "3", Name: "worker"}}},
		"blog": {Containers: []appplan.ContainerRef{{ID: "4", Name: "blog"}}},
	}})
	m := newManager(lockVolumeAPI{dir: host}, Options{StateDir: state})
	unlock, err := m.LockHost(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(state, JournalFile)); !os.IsNotExist(err) {
		t.Errorf("the state directory's journal is still there: %v", err)
	}
	got, err := m.Pending()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]appplan.ContainerRef{
		"shop": {{ID: "2", Name: "web"}, {ID: "3", Name: "worker"}, {ID: "1", Name: "db"}},
		"blog": {{ID: "4", Name: "blog"}},
		"wiki": {{ID: "5", Name: "wiki"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pending %+v, want %+v", got, want)
	}
	j, err := readJournalFile(filepath.Join(host, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	if !j.Apps["shop"].Stops["1"].Equal(at) {
		t.Errorf("the stop time of the moved entry was lost: %+v", j.Apps["shop"])
	}
	if err := m.journalAdd("new", []appplan.ContainerRef{{ID: "9"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(state, JournalFile)); !os.IsNotExist(err) {
		t.Errorf("a new entry went to the state directory: %v", err)
	}
}

// TestLockHostUnreachable: drydock in a container without the engine's
// volumes directory gets an error that says how to mount it.
func TestLockHostUnreachable(t *testing.T) {
	m := newManager(lockVolumeAPI{dir: filepath.Join(t.TempDir(), "absent")}, Options{StateDir: t.TempDir()})
	_, err := m.LockHost(t.Context(), 0)
	if err == nil || !strings.Contains(err.Error(), "not reachable here") || !strings.Contains(err.Error(), "-v /var/lib/docker/volumes:/var/lib/docker/volumes") {
		t.Errorf("err %v", err)
	}
}
