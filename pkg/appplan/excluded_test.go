package appplan

import (
	"strings"
	"testing"
)

func TestExcluded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		vol      map[string]string
		mounters map[string]map[string]string
		want     string // "" not excluded, else a part of the reason
	}{
		{"cache on the volume", map[string]string{LabelBackup: "true", LabelTier: "cache"}, nil, "drydock.tier=cache"},
		{"rebuildable on a container", nil, map[string]map[string]string{"web": {LabelBackup: "true", LabelTier: "rebuildable"}}, "drydock.tier=rebuildable"},
		{"backup=false on the volume", map[string]string{LabelBackup: "false"}, nil, "drydock.backup=false"},
		{"backup=false on a container", nil, map[string]map[string]string{"web": {LabelBackup: "false"}}, "drydock.backup=false on container web"},
		{"data, opted in", map[string]string{LabelBackup: "true"}, nil, ""},
		{"never opted in", nil, map[string]map[string]string{"web": {}}, ""},
		{"malformed", map[string]string{LabelTier: "Cache"}, nil, ""},
	} {
		why, ok := Excluded(tc.vol, tc.mounters)
		if ok != (tc.want != "") || !strings.Contains(why, tc.want) {
			t.Errorf("%s: excluded %v (%q), want %q", tc.name, ok, why, tc.want)
		}
	}
}
