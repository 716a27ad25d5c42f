package appplan

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Labels drydock reads from containers and volumes. The names are part of
// drydock's public interface (LABELS.md documents each one); never rename.
const (
	LabelBackup      = "drydock.backup"
	LabelStop        = "drydock.stop"
	LabelTier        = "drydock.tier"
	LabelHookPre     = "drydock.hook.pre"
	LabelHookPost    = "drydock.hook.post"
	LabelHookUser    = "drydock.hook.user"
	LabelHookTimeout = "drydock.hook.timeout"
	LabelGroup       = "drydock.group"
	LabelDependsOn   = "drydock.depends-on"
	LabelMaxDowntime = "drydock.max-downtime"
	// LabelDump is a command whose stdout is stored in the app's snapshot.
	LabelDump           = "drydock.dump"
	LabelDumpName       = "drydock.dump.name"
	LabelDumpAllowEmpty = "drydock.dump.allow-empty"
	LabelSaveImage      = "drydock.save-image"
	// LabelScaledFrom is set by drydock, not by users: on a Swarm service
	// it scaled to 0, the replica count to scale back to. Another drydock
	// (on another node) finding it leaves the service alone.
	LabelScaledFrom = "drydock.swarm.scaled-from"
	// LabelVerify is a command a restore drill runs inside the booted copy
	// of the container: the drill passes only if it exits 0.
	LabelVerify = "drydock.verify"
	// LabelDrill is set by drydock, not by users: on the containers and
	// volumes a restore drill creates, the drill's ID. Discovery never
	// sees them, so no backup stops or stores them.
	LabelDrill = "drydock.drill"
	// LabelDrillOf is set by drydock on a drill's container: the name of
	// the container it is a copy of.
	LabelDrillOf = "drydock.drill.of"
	// LabelHostLock is set by drydock on HostLockVolume, the volume of
	// the host lock and stop journal. Discovery never sees it.
	LabelHostLock = "drydock.hostlock"
)

// StopPause is the drydock.stop value that freezes a container (docker
// pause) for the final pass instead of stopping it.
const StopPause = "pause"

// Compose labels that locate a project's files.
const (
	ComposeConfigFiles = "com.docker.compose.project.config_files"
	ComposeWorkingDir  = "com.docker.compose.project.working_dir"
	ComposeEnvFile     = "com.docker.compose.project.environment_file"
)

// SaveImage says when a container's image is saved into the snapshot.
type SaveImage string

// SaveImage values: never (unset or false), when the image has no
// registry digest (true), always.
const (
	SaveImageNever    SaveImage = ""
	SaveImageUnpushed SaveImage = "true"
	SaveImageAlways   SaveImage = "always"
)

func parseSaveImage(labels map[string]string) (SaveImage, error) {
	v, ok := labels[LabelSaveImage]
	if !ok {
		return SaveImageNever, nil
	}
	if v == string(SaveImageAlways) {
		return SaveImageAlways, nil
	}
	b, err := parseBool(v)
	if err != nil {
		return SaveImageNever, fmt.Errorf("label %s=%q: want true, false or always", LabelSaveImage, Clip(v))
	}
	if b {
		return SaveImageUnpushed, nil
	}
	return SaveImageNever, nil
}

// parseDumpName checks a drydock.dump.name: one path component.
func parseDumpName(labels map[string]string) (string, error) {
	v, ok := labels[LabelDumpName]
	if !ok {
		return "", nil
	}
	v = strings.TrimSpace(v)
	if v == "" || v == "." || v == ".." || strings.ContainsAny(v, "/\x00") {
		return "", fmt.Errorf("label %s=%q: want a file name (no slash)", LabelDumpName, Clip(v))
	}
	return v, nil
}

// Labels docker compose sets on the containers it creates.
const (
	ComposeProject         = "com.docker.compose.project"
	ComposeService         = "com.docker.compose.service"
	ComposeDependsOn       = "com.docker.compose.depends_on"
	ComposeOneoff          = "com.docker.compose.oneoff"
	ComposeContainerNumber = "com.docker.compose.container-number"
)

// Tier says how valuable a volume's content is. Only TierData is backed up.
type Tier string

// Tiers, from most to least valuable.
const (
	TierData        Tier = "data"
	TierCache       Tier = "cache"
	TierRebuildable Tier = "rebuildable"
)

// rank orders tiers by value, so that conflicting labels resolve to the
// safest choice (backing up too much rather than too little).
func (t Tier) rank() int {
	switch t {
	case TierData:
		return 3
	case TierCache:
		return 2
	case TierRebuildable:
		return 1
	}
	return 0
}

// ParseTier parses a drydock.tier value.
func ParseTier(s string) (Tier, error) {
	switch t := Tier(s); t {
	case TierData, TierCache, TierRebuildable:
		return t, nil
	}
	return "", fmt.Errorf("tier %q: want data, cache or rebuildable (lower case)", Clip(s))
}

// knownLabels are every label drydock reads.
var knownLabels = []string{LabelBackup, LabelStop, LabelTier, LabelHookPre, LabelHookPost, LabelHookUser,
	LabelHookTimeout, LabelGroup, LabelDependsOn, LabelMaxDowntime, LabelDump, LabelDumpName,
	LabelDumpAllowEmpty, LabelSaveImage, LabelScaledFrom, LabelVerify, LabelDrill, LabelDrillOf, LabelBuildContextMaxSize,
	LabelHostLock}

// checkLabelKey refuses a label that looks like drydock's but is not one
// (Drydock.Backup, drydock.backups): taken as absent, a mistyped opt-out
// would silently back up, a mistyped opt-in silently not.
func checkLabelKey(k string) error {
	if !strings.HasPrefix(strings.ToLower(k), "drydock.") || slices.Contains(knownLabels, k) {
		return nil
	}
	for _, known := range knownLabels {
		if strings.EqualFold(k, known) {
			return fmt.Errorf("label %q: labels are case-sensitive, did you mean %s?", Clip(k), known)
		}
	}
	return fmt.Errorf("label %q: not a drydock label (see drydock volumes ls and the README's label table)", Clip(k))
}

// OptBool is a tri-state label value: unset, true or false.
type OptBool int8

// OptBool values.
const (
	Unset OptBool = iota
	True
	False
)

// Bool returns the value, or def when unset.
func (o OptBool) Bool(def bool) bool {
	switch o {
	case True:
		return true
	case False:
		return false
	}
	return def
}

func (o OptBool) String() string {
	switch o {
	case True:
		return "true"
	case False:
		return "false"
	}
	return "unset"
}

func parseOptBool(labels map[string]string, key string) (OptBool, error) {
	v, ok := labels[key]
	if !ok {
		return Unset, nil
	}
	b, err := parseBool(v)
	if err != nil {
		return Unset, fmt.Errorf("label %s=%q: want true or false", key, Clip(v))
	}
	if b {
		return True, nil
	}
	return False, nil
}

// parseStop reads drydock.stop: a boolean or exactly "pause".
func parseStop(labels map[string]string) (OptBool, bool, error) {
	if labels[LabelStop] == StopPause {
		return True, true, nil
	}
	v, err := parseOptBool(labels, LabelStop)
	if err != nil {
		return Unset, false, fmt.Errorf("label %s=%q: want true, false or %s", LabelStop, Clip(labels[LabelStop]), StopPause)
	}
	return v, false, nil
}

// parseBool takes exactly the documented spellings: true/false, 1/0, t/f,
// TRUE/FALSE. Nothing is guessed (strconv.ParseBool also takes "True").
func parseBool(v string) (bool, error) {
	switch v {
	case "true", "1", "t", "TRUE":
		return true, nil
	case "false", "0", "f", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", Clip(v))
}

// Settings are the drydock labels of one container or volume, parsed.
// Hook fields are only meaningful on containers.
type Settings struct {
	Backup OptBool
	// Stop is True also for drydock.stop=pause, which sets Pause.
	Stop        OptBool
	Pause       bool // drydock.stop=pause: frozen, not stopped
	Tier        Tier // "" when unset
	Group       string
	DependsOn   []string
	HookPre     []string // exec argv; nil when unset
	HookPost    []string
	HookUser    string
	HookTimeout time.Duration // 0 when unset
	MaxDowntime time.Duration // 0 when unset
	Dump        []string      // exec argv of drydock.dump; nil when unset
	DumpName    string        // "" when unset: <container>.dump
	DumpEmptyOK OptBool
	SaveImage   SaveImage
	Verify      []string // exec argv of drydock.verify; nil when unset
}

// ParseSettings reads the drydock labels from labels. It returns every
// malformed label in one error, and the settings it could parse.
func ParseSettings(labels map[string]string) (Settings, error) {
	var s Settings
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		note(checkLabelKey(k))
	}
	labels = withinSize(labels, note)
	var err error
	s.Backup, err = parseOptBool(labels, LabelBackup)
	note(err)
	s.Stop, s.Pause, err = parseStop(labels)
	note(err)
	if v, ok := labels[LabelTier]; ok {
		s.Tier, err = ParseTier(v)
		note(err)
	}
	s.Group = strings.TrimSpace(labels[LabelGroup])
	s.DependsOn = splitList(labels[LabelDependsOn])
	if v, ok := labels[LabelHookPre]; ok {
		s.HookPre, err = ParseCommand(v)
		note(wrapLabel(LabelHookPre, err))
	}
	if v, ok := labels[LabelHookPost]; ok {
		s.HookPost, err = ParseCommand(v)
		note(wrapLabel(LabelHookPost, err))
	}
	s.HookUser = strings.TrimSpace(labels[LabelHookUser])
	s.HookTimeout, err = parseDuration(labels, LabelHookTimeout)
	note(err)
	s.MaxDowntime, err = parseDuration(labels, LabelMaxDowntime)
	note(err)
	if v, ok := labels[LabelDump]; ok {
		s.Dump, err = ParseCommand(v)
		note(wrapLabel(LabelDump, err))
	}
	s.DumpName, err = parseDumpName(labels)
	note(err)
	s.DumpEmptyOK, err = parseOptBool(labels, LabelDumpAllowEmpty)
	note(err)
	s.SaveImage, err = parseSaveImage(labels)
	note(err)
	if v, ok := labels[LabelVerify]; ok {
		s.Verify, err = ParseCommand(v)
		note(wrapLabel(LabelVerify, err))
	}
	_, err = ParseBuildContextMax(labels)
	note(err)
	if len(errs) > 0 {
		return s, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return s, nil
}

// withinSize returns labels without the drydock labels longer than
// MaxLabelSize, each noted as an error: they are not read at all.
func withinSize(labels map[string]string, note func(error)) map[string]string {
	out := labels
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if !strings.HasPrefix(strings.ToLower(k), "drydock.") {
			continue
		}
		if err := checkLabelSize(k, labels[k]); err != nil {
			note(err)
			if len(out) == len(labels) {
				out = maps.Clone(labels)
			}
			delete(out, k)
		}
	}
	return out
}

// parseDuration reads a positive Go duration; 0 when the label is unset.
func parseDuration(labels map[string]string, key string) (time.Duration, error) {
	v, ok := labels[key]
	if !ok {
		return 0, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("label %s=%q: want a positive duration like 30s or 5m", key, Clip(v))
	}
	return d, nil
}

func wrapLabel(key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("label %s: %w", key, err)
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
