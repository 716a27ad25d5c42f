package appplan

import (
	"fmt"
	"strings"

	"github.com/docker/go-units"
)

// LabelBuildContextMaxSize, on a compose service's container, caps the
// bytes of its build context saved with the app's definition (e.g.
// 20MiB); LABELS.md documents it.
const LabelBuildContextMaxSize = "drydock.build-context.max-size"

// DefaultBuildContextMaxSize is the cap without the label.
const DefaultBuildContextMaxSize = 100 << 20

// ParseBuildContextMax reads LabelBuildContextMaxSize: a size in bytes,
// with binary units (20MiB, 1g); the default when unset.
func ParseBuildContextMax(labels map[string]string) (int64, error) {
	v, ok := labels[LabelBuildContextMaxSize]
	if !ok {
		return DefaultBuildContextMaxSize, nil
	}
	n, err := units.RAMInBytes(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("label %s=%q: want a size such as 20MiB or 1GiB", LabelBuildContextMaxSize, v)
	}
	return n, nil
}
