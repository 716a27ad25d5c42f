package main

import "github.com/drydock-backup/drydock/pkg/secret"

// urlFlag is a flag that holds a location as a secret.URL, so that the
// flag's value shows its password masked wherever it is printed.
type urlFlag struct{ u *secret.URL }

func (f urlFlag) Set(s string) error { *f.u = secret.NewURL(s); return nil }
func (f urlFlag) String() string     { return f.u.String() }

// Type is what help shows for the value, as for a string flag.
func (f urlFlag) Type() string { return "string" }
