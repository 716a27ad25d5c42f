package appplan

import (
	"strings"
	"testing"
)

func TestParseBuildContextMax(t *testing.T) {
	for v, want := range map[string]int64{"1KiB": 1024, "20MiB": 20 << 20, "1g": 1 << 30, "512": 512, " 2m ": 2 << 20} {
		if got, err := ParseBuildContextMax(map[string]string{LabelBuildContextMaxSize: v}); err != nil || got != want {
			t.Errorf("%q: %d (%v), want %d", v, got, err, want)
		}
	}
	if got, err := ParseBuildContextMax(nil); err != nil || got != DefaultBuildContextMaxSize {
		t.Errorf("unset: %d (%v)", got, err)
	}
	for _, v := range []string{"", "lots", "-1MiB", "1 parsec"} {
		if _, err := ParseBuildContextMax(map[string]string{LabelBuildContextMaxSize: v}); err == nil {
			t.Errorf("%q: no error", v)
		}
	}
	if _, err := ParseSettings(map[string]string{LabelBuildContextMaxSize: "lots"}); err == nil || !strings.Contains(err.Error(), LabelBuildContextMaxSize) {
		t.Errorf("ParseSettings with a bad size: %v", err)
	}
	if _, err := ParseSettings(map[string]string{LabelBuildContextMaxSize: "5MiB"}); err != nil {
		t.Errorf("ParseSettings with a good size: %v", err)
	}
}
