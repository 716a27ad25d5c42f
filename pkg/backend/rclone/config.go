package rclone

import (
	"fmt"
	"log/slog"
	"strings"
)

// Defaults as restic's: -o rclone.program and -o rclone.args.
const (
	DefaultProgram = "rclone"
	DefaultArgs    = "serve restic --stdio --b2-hard-delete"
)

// Config describes an rclone repository.
type Config struct {
	// Remote is rclone's REMOTE:PATH (or a local path), as rclone takes it.
	Remote string
	// Program is the rclone binary; default DefaultProgram.
	Program string
	// Args are the arguments before Remote, split at spaces; default
	// DefaultArgs. They must make rclone serve the REST protocol on stdio.
	Args string
	// Connections bounds concurrent requests (as rest.connections);
	// default the REST backend's.
	Connections int
	Logger      *slog.Logger
}

// ParseLocation parses "rclone:REMOTE:PATH".
func ParseLocation(location string) (Config, error) {
	remote, ok := strings.CutPrefix(location, "rclone:")
	if !ok {
		return Config{}, fmt.Errorf("parse rclone location %q: does not start with \"rclone:\"", location)
	}
	if remote == "" {
		return Config{}, fmt.Errorf("parse rclone location %q: no remote; want rclone:REMOTE:PATH", location)
	}
	return Config{Remote: remote}, nil
}

// String is the location as given.
func (c Config) String() string { return "rclone:" + c.Remote }

// command returns the program and its arguments, defaults applied.
func (c Config) command() (string, []string) {
	program, args := c.Program, c.Args
	if program == "" {
		program = DefaultProgram
	}
	if args == "" {
		args = DefaultArgs
	}
	return program, append(strings.Fields(args), c.Remote)
}
