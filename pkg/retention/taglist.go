package retention

import (
	"fmt"
	"slices"
	"strings"
)

// TagList is a set of tags that a snapshot must all carry to match, as one
// --tag or --keep-tag value "a,b" gives it.
type TagList []string

// ParseTagList splits s at commas and trims white space around each tag.
// Empty tags are kept: restic gives them a meaning (see Matches).
func ParseTagList(s string) TagList {
	parts := strings.Split(s, ",")
	l := make(TagList, len(parts))
	for i, p := range parts {
		l[i] = strings.TrimSpace(p)
	}
	return l
}

// String formats l as restic prints it in reasons: "[a, b]".
func (l TagList) String() string { return "[" + strings.Join(l, ", ") + "]" }

// Matches reports whether a snapshot with these tags satisfies l. It is
// restic 0.14's rule, quirks included: the tags are checked in order; an
// empty tag matches a snapshot without any tags and ends the check (so an
// empty --tag value selects untagged snapshots); any other tag must be
// among the snapshot's.
func (l TagList) Matches(tags []string) bool {
	for _, want := range l {
		if want == "" && len(tags) == 0 {
			return true
		}
		if !slices.Contains(tags, want) {
			return false
		}
	}
	return true
}

// TagLists is a list of tag lists, matched when any one of them matches.
// As a pflag.Value each --tag or --keep-tag flag adds one list.
type TagLists []TagList

// Set adds the tag list s.
func (ls *TagLists) Set(s string) error {
	*ls = append(*ls, ParseTagList(s))
	return nil
}

// String formats ls as "[[a, b] [c]]", and no lists as "" (so that flag
// help shows no default).
func (ls TagLists) String() string {
	if len(ls) == 0 {
		return ""
	}
	return fmt.Sprint([]TagList(ls))
}

// Type names the flag's value in help texts.
func (TagLists) Type() string { return "taglist" }

// MatchesAny reports whether tags satisfy at least one list; an empty ls
// matches everything, as an absent --tag filter does.
func (ls TagLists) MatchesAny(tags []string) bool {
	if len(ls) == 0 {
		return true
	}
	for _, l := range ls {
		if l.Matches(tags) {
			return true
		}
	}
	return false
}
