package restorer

// Action is what a restore did with one entry, in restic's words.
type Action string

const (
	Restored  Action = "restored"  // created
	Updated   Action = "updated"   // a file that was there got the snapshot's content
	Unchanged Action = "unchanged" // kept as the target had it (Overwrite)
	Deleted   Action = "deleted"   // removed (Delete)
)

// Item is one entry a restore restored, updated, kept or deleted (or, in
// a dry run, would have).
type Item struct {
	Action Action
	// Path is the entry's snapshot path ("/a/b"); for Deleted, its path
	// in the target, which the snapshot lacks.
	Path string
	Size uint64 // a file's content
	File bool   // a regular file, whose size restic prints
}
