package backup

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// ErrUnknownSelector: a selector names no app, group or volume of the plan.
var ErrUnknownSelector = errors.New("no such app, group or volume in the plan")

// SelectApps narrows p to the apps a selector names: an app name, one of
// its groups, or one of its volumes (a volume selects its whole app, which
// is stopped and backed up as one). No selector keeps every app.
func SelectApps(p *appplan.Plan, selectors []string) (*appplan.Plan, error) {
	if len(selectors) == 0 {
		return p, nil
	}
	q := *p
	q.Apps = nil
	var errs []error
	for _, s := range selectors {
		found := false
		for _, a := range p.Apps {
			if appMatches(a, s) {
				found = true
				if !slices.Contains(q.Apps, a) {
					q.Apps = append(q.Apps, a)
				}
			}
		}
		if !found {
			errs = append(errs, unknownSelector(p, s))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortFunc(q.Apps, func(a, b *appplan.App) int { return strings.Compare(a.Name, b.Name) })
	return &q, nil
}

func appMatches(a *appplan.App, s string) bool {
	if a.Name == s || slices.Contains(a.Groups, s) {
		return true
	}
	return slices.ContainsFunc(a.Volumes, func(v appplan.Volume) bool { return v.Name == s })
}

func unknownSelector(p *appplan.Plan, s string) error {
	for _, sk := range p.Skipped {
		if sk.Name == s {
			return fmt.Errorf("%q: volume is not backed up: %s: %w", s, sk.Reason, ErrUnknownSelector)
		}
	}
	return fmt.Errorf("%q: %w (see drydock volumes ls)", s, ErrUnknownSelector)
}
