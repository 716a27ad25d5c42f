package backend_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/drydock-backup/drydock/pkg/backend"
)

// What forget and prune print about retained files: one line per kind,
// in layout order, with the latest end of retention; the JSON the same.
func TestKeptFilesLines(t *testing.T) {
	local := time.Local // people read local time; the test fixes it
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = local })
	early := time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC)
	late := time.Date(2027, 1, 6, 12, 30, 0, 0, time.UTC)
	k := backend.KeptFiles{}
	k.Add(backend.SnapshotFile, backend.Retention{Mode: backend.Governance, Until: early})
	k.Add(backend.PackFile, backend.Retention{Mode: backend.Governance, Until: late})
	k.Add(backend.PackFile, backend.Retention{Mode: backend.Governance, Until: early})
	k.Add(backend.IndexFile, backend.Retention{Mode: backend.Governance, Until: early})
	want := []string{
		"kept 2 packs under retention (S3 Object Lock) until 2027-01-06 12:30:00 UTC at the latest",
		"kept 1 index file under retention (S3 Object Lock) until 2027-01-05 10:00:00 UTC at the latest",
		"kept 1 snapshot under retention (S3 Object Lock) until 2027-01-05 10:00:00 UTC at the latest",
	}
	if got := k.Lines(); !slices.Equal(got, want) {
		t.Errorf("lines:\n%q\nwant\n%q", got, want)
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `[{"type":"pack","files":2,"until":"2027-01-06T12:30:00Z"},{"type":"index","files":1,"until":"2027-01-05T10:00:00Z"},{"type":"snapshot","files":1,"until":"2027-01-05T10:00:00Z"}]`
	if string(b) != wantJSON {
		t.Errorf("JSON %s\nwant %s", b, wantJSON)
	}
	ext := backend.Extension{Extended: map[backend.FileType]int{backend.ConfigFile: 1, backend.PackFile: 3}, Until: late}
	wantExt := []string{
		"extended the retention of 1 config file until 2027-01-06 12:30:00 UTC",
		"extended the retention of 3 packs until 2027-01-06 12:30:00 UTC",
	}
	if got := ext.Lines(); !slices.Equal(got, wantExt) {
		t.Errorf("extension lines:\n%q\nwant\n%q", got, wantExt)
	}
}
