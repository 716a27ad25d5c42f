package appplan

import "errors"

// joinErrs is errors.Join that returns a lone error unwrapped, so that a
// single failure reads as itself.
func joinErrs(errs []error) error {
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
