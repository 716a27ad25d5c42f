package mount

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/drydock-backup/drydock/pkg/repo"
)

// DefaultPathTemplates are restic's: where each snapshot appears.
var DefaultPathTemplates = []string{"ids/%i", "snapshots/%T", "hosts/%h/%T", "tags/%t/%T"}

// entry is one name in the layout above the snapshots: a directory of
// further names, a snapshot's root directory, or a "latest" symlink to a
// sibling snapshot directory.
type entry struct {
	snapshot *repo.Snapshot    // the snapshot shown here, or the one a link leads to
	link     string            // a symlink's target; "" for directories
	names    map[string]*entry // a directory of the layout; nil for a snapshot
}

func (e *entry) isDir() bool { return e.names != nil }

// layout maps each path of the layout ("" for the mount's root, then
// "/snapshots", "/snapshots/2024-…") to its entry.
type layout map[string]*entry

// buildLayout places every snapshot (sorted oldest first) where each path
// template puts it. A template whose last verb is %T names the snapshot's
// directory by its time, made unique with "-1", "-2"… for equal times, and
// gets a "latest" link beside it to the newest one.
func buildLayout(sns []repo.Snapshot, templates []string, timeTemplate string) layout {
	l := layout{"": {names: map[string]*entry{}}}
	for _, t := range templates {
		if p := staticPrefix(t); p != "" {
			l.dir(path.Clean("/" + p))
		}
	}
	newest := map[string]time.Time{} // by directory, for its latest link
	for i := range sns {
		sn := &sns[i]
		for _, t := range templates {
			dirs, timeName := expand(t, timeTemplate, sn)
			for _, d := range dirs {
				if d != "" {
					d = "/" + d
				}
				full := path.Clean(d + l.unique(d, timeName))
				l.put(full, &entry{snapshot: sn})
				if timeName == "" {
					continue
				}
				dir, base := path.Split(full)
				if at, ok := newest[dir]; ok && sn.Time.Before(at) {
					continue
				}
				l.put(dir+"latest", &entry{snapshot: sn, link: base})
				newest[dir] = sn.Time
			}
		}
	}
	return l
}

// unique returns name, or name-N for the first N that no entry of prefix
// has yet.
func (l layout) unique(prefix, name string) string {
	out := name
	for i := 1; l[prefix+out] != nil; i++ {
		out = fmt.Sprintf("%s-%d", name, i)
	}
	return out
}

// dir returns the directory entry at p, making it and its parents.
func (l layout) dir(p string) *entry {
	if e := l[p]; e != nil && e.isDir() {
		return e
	}
	e := &entry{names: map[string]*entry{}}
	l.put(p, e)
	return e
}

// put stores e at p (not the root) and names it in its parent directory.
func (l layout) put(p string, e *entry) {
	l[p] = e
	i := strings.LastIndexByte(p, '/')
	parent := ""
	if i > 0 {
		parent = p[:i]
	}
	l.dir(parent).names[p[i+1:]] = e
}

// expand fills template's verbs from sn: %i and %I its short and full ID,
// %u the user, %h the host, %t each tag (one path per tag; none for an
// untagged snapshot), %T the time in timeTemplate. A %T at the end is not
// written into the paths but returned as timeName, so that the caller can
// make the name unique. Any other %x stands for x.
//
// Every value is made a single name (see asName); restic 0.19.1 leaves a
// lone tag or a host name as it is, so that "a/b" or "" there would make
// other directories than the template says.
func expand(template, timeTemplate string, sn *repo.Snapshot) (paths []string, timeName string) {
	when := sn.Time.Format(timeTemplate)
	out := []string{""}
	add := func(s string) {
		for i := range out {
			out[i] += s
		}
	}
	for i := 0; i < len(template); i++ {
		c := template[i]
		if c != '%' || i == len(template)-1 {
			add(string(c))
			continue
		}
		i++
		switch template[i] {
		case 'T':
			if i == len(template)-1 {
				return out, when
			}
			add(when)
		case 't':
			if len(sn.Tags) == 0 {
				return nil, ""
			}
			var fanned []string
			for _, tag := range sn.Tags {
				for _, o := range out {
					fanned = append(fanned, o+asName(tag))
				}
			}
			out = fanned
		case 'i':
			add(sn.ID.Str())
		case 'I':
			add(sn.ID.String())
		case 'u':
			add(asName(sn.Username))
		case 'h':
			add(asName(sn.Hostname))
		default:
			add(string(template[i]))
		}
	}
	return out, ""
}

// asName makes s one file name: "/" becomes "_", and "", "." and ".."
// become "_", "_" and "__", as restic does for tags.
func asName(s string) string {
	switch s {
	case "", ".":
		return "_"
	case "..":
		return "__"
	}
	return strings.ReplaceAll(s, "/", "_")
}

// staticPrefix is the directory part of template before its first verb
// ("hosts" for "hosts/%h/%T"): it exists even while no snapshot is in it.
// A template without verbs has none.
func staticPrefix(template string) string {
	for i := 0; i < len(template)-1; i++ {
		if template[i] != '%' {
			continue
		}
		if strings.IndexByte("iIuhtT", template[i+1]) >= 0 {
			j := strings.LastIndexByte(template[:i], '/')
			if j < 0 {
				return ""
			}
			return unescape(template[:j])
		}
		i++ // %% and the like are no verbs
	}
	return ""
}

// unescape resolves the %x that stand for x in a template without verbs.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// CheckTimeTemplate refuses a time template that cannot name a
// directory: empty, or starting or ending with "/".
func CheckTimeTemplate(t string) error {
	if t == "" {
		return fmt.Errorf("time template is empty")
	}
	if strings.HasPrefix(t, "/") || strings.HasSuffix(t, "/") {
		return fmt.Errorf("time template %q starts or ends with '/'", t)
	}
	return nil
}
