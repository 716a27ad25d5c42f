//go:build linux

package fsnode

// WithoutOpenat2 makes r resolve paths one component at a time, as on a
// kernel without openat2, so that tests cover both ways.
func WithoutOpenat2(r *Root) { r.openat2 = false }

// HasOpenat2 reports whether r resolves paths with openat2.
func HasOpenat2(r *Root) bool { return r.openat2 }
