package appplan

import (
	"strings"
	"testing"
)

func TestMergeLabelsPrecedence(t *testing.T) {
	svc := &Service{Name: "shop", Labels: map[string]string{
		LabelBackup: "true", LabelHookPre: "a", LabelScaledFrom: "2", "com.example": "x",
	}}
	got, err := mergeLabels(svc, map[string]string{LabelHookPre: "a", LabelStop: "pause"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{LabelBackup: "true", LabelHookPre: "a", LabelStop: "pause"}
	if len(got) != len(want) {
		t.Errorf("merged %v, want %v (drydock's marker and foreign labels of the service left out)", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("merged %s=%q, want %q", k, got[k], v)
		}
	}
	_, err = mergeLabels(svc, map[string]string{LabelBackup: "false"})
	if err == nil || !strings.Contains(err.Error(), `drydock.backup is "true" on Swarm service shop and "false" on its container`) {
		t.Errorf("conflict: err %v", err)
	}
}
