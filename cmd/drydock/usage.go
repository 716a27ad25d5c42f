package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// examples are shown with a usage error, by command path.
var examples = map[string]string{
	"drydock backup":          "drydock backup /etc /home",
	"drydock ls":              "drydock ls latest /etc",
	"drydock find":            "drydock find '*.sql'",
	"drydock diff":            "drydock diff 4f2a1c9e latest",
	"drydock dump":            "drydock dump latest /etc/hosts",
	"drydock restore":         "drydock restore latest --target /tmp/restore",
	"drydock key remove":      "drydock key remove 3b9f21a0",
	"drydock cat":             "drydock cat snapshot latest",
	"drydock list":            "drydock list snapshots",
	"drydock volumes restore": "drydock volumes restore latest pgdata",
	"drydock mount":           "drydock mount /mnt/restic",
}

// explainArgErrors makes every command below cmd say in drydock's words
// what is wrong with its arguments (what is missing, with an example)
// instead of cobra's "accepts 1 arg(s), received 0".
func explainArgErrors(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		explainArgErrors(c)
	}
	check := cmd.Args
	if check == nil {
		return
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if check(c, args) == nil {
			return nil
		}
		return argError(c, args)
	}
}

// argError describes the arguments of c that its check refused.
func argError(c *cobra.Command, args []string) error {
	required := requiredArgs(c.Use)
	var what string
	switch {
	case len(args) < len(required):
		what = strings.Join(required[len(args):], " and ") + " missing"
	case len(required) == 0 && !strings.Contains(c.Use, "["):
		what = fmt.Sprintf("takes no arguments, got %q", args)
	default:
		what = fmt.Sprintf("too many arguments (%d)", len(args))
	}
	// main prints "drydock: " before the error.
	name := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
	msg := fmt.Sprintf("%s: %s; usage: %s", name, what, usageLine(c))
	if ex, ok := examples[c.CommandPath()]; ok {
		msg += "; for example: " + ex
	}
	return fmt.Errorf("%s", msg)
}

// requiredArgs lists the placeholders Use names before its first optional
// part or flag: "restore SNAPSHOT --target DIR" requires SNAPSHOT.
func requiredArgs(use string) []string {
	words := strings.Fields(use)
	var req []string
	for _, w := range words[1:] {
		if strings.HasPrefix(w, "[") || strings.HasPrefix(w, "-") || w == "|" {
			break
		}
		// "SNAPSHOT[:SUBFOLDER]" requires SNAPSHOT.
		if i := strings.Index(w, "["); i > 0 {
			w = w[:i]
		}
		req = append(req, strings.TrimSuffix(w, "..."))
	}
	return req
}

// usageLine is the command's path and its Use without the name.
func usageLine(c *cobra.Command) string {
	_, rest, _ := strings.Cut(c.Use, " ")
	return strings.TrimSpace(c.CommandPath() + " " + rest)
}
