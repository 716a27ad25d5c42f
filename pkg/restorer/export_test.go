package restorer

// SetMaxOpen lets tests force files to be closed and opened again between
// packs; it returns a function that restores the limit.
func SetMaxOpen(n int32) func() {
	old := maxOpen
	maxOpen = n
	return func() { maxOpen = old }
}
