// Package console is drydock's web console: an http.Handler that lets an
// operator browse the snapshots of the repositories it serves, folder by
// folder, and download files and folders, from pages that work without
// JavaScript and from a JSON API under /api/v1/ that answers from the same
// code.
//
// Whoever drives the console reads every backed-up file, so every page and
// API call needs the console's token: given once in the login form, which
// sets a session cookie, or as "Authorization: Bearer TOKEN". State
// changes are POST only and refused when another site sends them; pages
// forbid inline script and framing. A listener that is not on loopback
// needs TLS, or an explicit plain-HTTP choice for a proxy that terminates
// TLS in front (CheckListen).
//
// The repositories are opened by the caller and kept open: the console
// reads each request under a shared lock and brings the index up to date
// in the lock's wait; decoded trees come from the repository's tree cache
// (repo.Options.TreeCache), so folders browsed once open at once.
package console
