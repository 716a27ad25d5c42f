package main

import (
	"strings"
	"testing"

	"github.com/drydock-backup/drydock/internal/testkit/dockertest"
	"github.com/drydock-backup/drydock/pkg/appplan"
)

// TestVolumesHugeLabel: a 10 MiB hook label is refused with a short
// error naming it, in volumes ls and volumes backup alike, never echoed;
// a long command under the limit that fails is cut in the error.
func TestVolumesHugeLabel(t *testing.T) {
	f := newVolFixture(t)
	huge := f.Volume("hugelabel", map[string]string{appplan.LabelBackup: "true"})
	f.Container(dockertest.Spec{Name: "hugelabel", Mounts: []string{huge + ":/data"}, Labels: map[string]string{
		appplan.LabelHookPre: "echo " + strings.Repeat("x", 10<<20),
	}})
	long := f.Volume("longhook", map[string]string{appplan.LabelBackup: "true"})
	f.Container(dockertest.Spec{Name: "longhook", Mounts: []string{long + ":/data"}, Labels: map[string]string{
		appplan.LabelHookPre: `["/testapp","exit","1","` + strings.Repeat("y", 60<<10) + `"]`,
	}})

	const readable = 16 << 10
	out, errOut, code := f.c.runVolumes("ls", huge)
	t.Logf("volumes ls: exit %d, %d+%d bytes", code, len(out), len(errOut))
	if len(out)+len(errOut) > readable || !strings.Contains(out+errOut, "label drydock.hook.pre: value of 10485765 bytes, longer than the 64 KiB drydock reads") {
		t.Errorf("volumes ls: exit %d, %d bytes of output, want a short error naming the label:\n%.2000s\n%.2000s", code, len(out)+len(errOut), out, errOut)
	}
	out, errOut, code = f.c.runVolumes("backup", huge)
	t.Logf("volumes backup: exit %d, %d+%d bytes", code, len(out), len(errOut))
	if code == 0 || len(out)+len(errOut) > readable || !strings.Contains(errOut, "value of 10485765 bytes") {
		t.Errorf("volumes backup: exit %d, %d bytes of output, want a failure with a short error naming the label:\n%.2000s\n%.2000s", code, len(out)+len(errOut), out, errOut)
	}
	out, errOut, code = f.c.runVolumes("backup", long)
	t.Logf("volumes backup: exit %d, %d+%d bytes", code, len(out), len(errOut))
	if code != exitFailure || len(out)+len(errOut) > readable || !strings.Contains(errOut, "pre hook in container "+f.Name("longhook")) ||
		!strings.Contains(errOut, "... (61440 bytes)") {
		t.Errorf("volumes backup of the long hook: exit %d, %d bytes of output, want the hook's failure with its command cut:\n%.2000s\n%.2000s", code, len(out)+len(errOut), out, errOut)
	}
}
