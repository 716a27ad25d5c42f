package backend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RetentionMode is an S3 Object Lock mode. Under both, a file version
// cannot be deleted or overwritten before its retention ends; governance
// lets a credential with s3:BypassGovernanceRetention lift it, compliance
// lets nobody, and a compliance retention can only be extended.
type RetentionMode string

// The two retention modes, as -o s3.object-lock spells them.
const (
	Governance RetentionMode = "governance"
	Compliance RetentionMode = "compliance"
)

// ObjectLock is the retention every file but locks gets when it is saved:
// retained for Duration from then, in Mode. The zero value means none.
type ObjectLock struct {
	Mode     RetentionMode
	Duration time.Duration
}

// ErrRetained: the storage refused to delete or overwrite a file under
// retention (S3 Object Lock).
var ErrRetained = errors.New("the file is under retention (S3 Object Lock) and cannot be deleted yet")

// ParseObjectLock parses MODE:DURATION, e.g. "governance:30d" or
// "compliance:720h". DURATION is a number of days with "d" or a Go
// duration ("36h", "90s").
func ParseObjectLock(s string) (ObjectLock, error) {
	usage := func(why string) error {
		return fmt.Errorf("object lock %q: %s (want MODE:DURATION, MODE governance or compliance, DURATION such as 30d or 720h)", s, why)
	}
	mode, dur, ok := strings.Cut(s, ":")
	if !ok {
		return ObjectLock{}, usage("no duration")
	}
	o := ObjectLock{Mode: RetentionMode(strings.ToLower(mode))}
	if o.Mode != Governance && o.Mode != Compliance {
		return ObjectLock{}, usage(fmt.Sprintf("unknown mode %q", mode))
	}
	var err error
	if days, found := strings.CutSuffix(dur, "d"); found {
		var n int
		n, err = strconv.Atoi(days)
		o.Duration = time.Duration(n) * 24 * time.Hour
	} else {
		o.Duration, err = time.ParseDuration(dur)
	}
	if err != nil || o.Duration < time.Second {
		return ObjectLock{}, usage(fmt.Sprintf("duration %q is not a positive number of days or a duration of at least 1s", dur))
	}
	return o, nil
}

// IsZero reports whether o asks for no retention.
func (o ObjectLock) IsZero() bool { return o.Mode == "" }

// String returns o as ParseObjectLock reads it.
func (o ObjectLock) String() string {
	if o.IsZero() {
		return ""
	}
	d := o.Duration.String()
	if o.Duration%(24*time.Hour) == 0 {
		d = strconv.Itoa(int(o.Duration/(24*time.Hour))) + "d"
	}
	return string(o.Mode) + ":" + d
}

// Due reports whether a retention ending at until should be extended at
// now: less than half the policy's duration is left. Extending then, to
// now+Duration, keeps every needed file retained for at least half the
// duration at any time, with one extension per half duration.
func (o ObjectLock) Due(until, now time.Time) bool {
	return until.Sub(now) < o.Duration/2
}

// Retention is the retention of one stored file; the zero value means
// none.
type Retention struct {
	Mode  RetentionMode
	Until time.Time
}

// Active reports whether r still protects the file at now.
func (r Retention) Active(now time.Time) bool { return r.Until.After(now) }

// Retainer is implemented by storage that keeps files under retention (S3
// with Object Lock): files cannot be deleted before their retention ends.
type Retainer interface {
	// ObjectLock returns the retention given to every file but locks.
	ObjectLock() ObjectLock
	// Retention returns h's retention, the zero value if it has none.
	Retention(ctx context.Context, h Handle) (Retention, error)
	// Retain extends h's retention to until in mode. It never shortens
	// one: the storage refuses that (compliance), or needs a bypass
	// drydock never asks for (governance).
	Retain(ctx context.Context, h Handle, mode RetentionMode, until time.Time) error
}

// AsRetainer returns be, or the first backend it wraps, as a Retainer,
// if it gives files a retention.
func AsRetainer(be Backend) (Retainer, bool) {
	for {
		if r, ok := be.(Retainer); ok {
			return r, !r.ObjectLock().IsZero()
		}
		u, ok := be.(Unwrapper)
		if !ok {
			return nil, false
		}
		be = u.Unwrap()
	}
}
