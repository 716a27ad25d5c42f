// Package snapedit changes existing snapshots, as restic's tag and rewrite
// commands do: their tags, or their contents less what is excluded. A
// snapshot file cannot change (its name is its hash), so each changed
// snapshot is written anew, naming the first version of itself in
// Original; the old file is removed once the new one is stored (tag,
// rewrite --forget) or kept beside it (rewrite).
package snapedit
