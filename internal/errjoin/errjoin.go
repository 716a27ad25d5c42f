// Package errjoin joins errors the way drydock reports several failures.
package errjoin

import "errors"

// Join is errors.Join that returns a lone error unwrapped, so that a
// single failure reads as itself (and errors.As on its type works without
// a walk through a joined list), and nil for none.
func Join(errs ...error) error {
	var kept []error
	for _, err := range errs {
		if err != nil {
			kept = append(kept, err)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	return errors.Join(kept...)
}
