package location

import (
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// leakPassword is a password typed into locations; no error may show it.
const leakPassword = "hunter2-Xk7"

// TestErrorsHideThePassword: whatever is wrong with a location holding a
// password, the errors of Check, CheckOptions and Open name it masked.
func TestErrorsHideThePassword(t *testing.T) {
	pw := leakPassword
	for _, l := range []string{
		"s3:https://user:" + pw + "@host/",              // no bucket
		"s3:ftp://user:" + pw + "@host/bucket",          // wrong scheme
		"sftp://user:" + pw + "@127.0.0.1:1/repo",       // sftp takes no passwords
		"rest:https://user:" + pw + "@host:port/",       // bad port
		"rest:https://user:" + pw + "@host/?x=1",        // query
		"rest:ftp://user:" + pw + "@host/",              // wrong scheme
		"rest:http://user:" + pw + "@127.0.0.1:1/repo/", // nothing listening
		"b2://user:" + pw + "@bucket/",                  // unsupported
	} {
		loc := secret.NewURL(l)
		var errs []error
		errs = append(errs, Check(loc), CheckOptions(loc, map[string]string{"rest.connections": "x"}))
		for _, create := range []bool{false, true} {
			_, err := Open(t.Context(), loc, Options{Create: create, Extended: map[string]string{"bogus": "1"}})
			errs = append(errs, err)
			_, err = Open(t.Context(), loc, Options{Create: create})
			errs = append(errs, err)
		}
		_, err := InitIfMissing(t.Context(), loc, t.TempDir()+"/pw", Options{}, repo.Options{})
		errs = append(errs, err)
		for i, err := range errs {
			if err != nil && strings.Contains(err.Error(), pw) {
				t.Errorf("%s: error %d shows the password: %v", loc, i, err)
			}
		}
	}
}
