package location_test

import (
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// -o s3.object-lock is checked before anything is opened: a bad value is a
// usage error, and it is for s3: repositories only.
func TestCheckOptionsObjectLock(t *testing.T) {
	for _, tc := range []struct{ loc, value, err string }{
		{"s3:http://127.0.0.1:9000/bucket", "governance:30d", ""},
		{"s3:http://127.0.0.1:9000/bucket", "compliance:720h", ""},
		{"s3:http://127.0.0.1:9000/bucket", "governance:soon", `duration "soon"`},
		{"s3:http://127.0.0.1:9000/bucket", "30d", "no duration"},
		{"/srv/repo", "governance:30d", "is for s3: repositories"},
	} {
		t.Run(tc.loc+" "+tc.value, func(t *testing.T) {
			err := location.CheckOptions(secret.NewURL(tc.loc), map[string]string{"s3.object-lock": tc.value})
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
}
