// Package pathmatch matches absolute paths against restic's filter
// patterns, the ones its --exclude and --include flags take, so that a
// restic user's patterns select the same entries in drydock's backup,
// rewrite and restore.
//
// A pattern is split at '/' into components, each matched against one
// component of the path with filepath.Match; "**" stands for any number
// of components, none included. A pattern starting with '/' is anchored
// at the root; any other may start at any component. Either kind matches
// a path when it matches the path's first components (anchored) or any
// run of consecutive components (not anchored): "/srv/cache" matches
// /srv/cache/x, "*.tmp" matches /a/b.tmp/c, "logs/*.gz" matches
// /var/logs/old.gz. A pattern starting with '!' takes back what the
// patterns before it matched.
package pathmatch
