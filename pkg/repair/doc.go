// Package repair mends a repository as restic's repair commands do. Each
// repair writes what replaces the damaged part before it removes that
// part, under an exclusive lock that it checks again before removing
// anything.
package repair
