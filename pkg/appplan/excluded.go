package appplan

import (
	"maps"
	"slices"
)

// Excluded reports whether a volume is deliberately not backed up, and
// why: drydock.backup=false, or a tier other than data, on the volume or
// on the containers mounting it (mounters: name -> labels), by the rules
// a backup applies. A volume merely not opted in is not excluded: nobody
// said it should be left out.
func Excluded(volumeLabels map[string]string, mounters map[string]map[string]string) (why string, excluded bool) {
	s, err := ParseSettings(volumeLabels)
	t := &target{settings: s, err: err}
	for _, name := range slices.Sorted(maps.Keys(mounters)) {
		cs, cerr := ParseSettings(mounters[name])
		t.uses = append(t.uses, use{c: &Container{Name: name, Settings: cs, SettingsErr: cerr}})
	}
	ok, tier, why := decide(t)
	switch {
	case ok, t.malformed():
		return "", false
	case tier != "" && tier != TierData:
		return why, true
	case s.Backup == False || slices.ContainsFunc(t.uses, func(u use) bool { return u.c.Settings.Backup == False }):
		return why, true
	}
	return "", false
}
