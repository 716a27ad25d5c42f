// Package secret holds what must never be printed: passwords, keys and
// tokens (Value), and locations that may carry a password in their user
// info (URL). Every way of showing one — String, every fmt verb, slog,
// JSON and YAML — shows "***" in place of the secret, so that no error
// message, log line or status depends on its author remembering to
// redact. Reveal returns the plain text, for the one place that hands it
// to a key derivation, an HTTP client or an SDK.
//
// The plain text is kept behind a pointer: fmt prints a pointer inside
// a struct as an address, so even a secret in an unexported field of a
// printed struct (where fmt cannot call its methods) stays hidden.
//
// It is a package of its own because the configuration, the CLI, the
// locations and every backend hold secrets, and it depends on nothing of
// theirs: a leaf every layer may import.
package secret
