package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/drydock-backup/drydock/pkg/location"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// keyOptions are the flags of key add and key passwd.
type keyOptions struct {
	newPasswordFile string
	user, host      string
}

func newKeyCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage the repository's keys (passwords)",
		Long: `Each key file holds the repository's master key, encrypted with one password.
"key passwd" replaces the key in use (how to rotate the password of the
default repository: update its password file afterwards), "key add" adds
another password, "key remove" deletes a key other than the one in use.`,
	}
	var opts keyOptions
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a key (password) to the repository",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeyAdd(cmd.Context(), g, opts, false)
		},
	}
	passwd := &cobra.Command{
		Use:   "passwd",
		Short: "Change the password: add a key for the new one, remove the key in use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeyAdd(cmd.Context(), g, opts, true)
		},
	}
	for _, c := range []*cobra.Command{add, passwd} {
		f := c.Flags()
		f.StringVar(&opts.newPasswordFile, "new-password-file", "", "file holding the new password (default: ask, or read a line from stdin)")
		f.StringVar(&opts.user, "user", "", "user name recorded in the new key (default: the current user)")
		f.StringVar(&opts.host, "host", "", "host name recorded in the new key (default: this host)")
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the repository's keys (* marks the one in use)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withReadLock(cmd.Context(), false, func(ctx context.Context, r *repo.Repository) error {
				return runKeyList(ctx, r, g)
			})
		},
	}
	readsWithoutLock(list)
	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a key (not the one in use)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withLockMode(cmd.Context(), deleting(true), func(ctx context.Context, r *repo.Repository) error {
				return runKeyRemove(ctx, r, g, args[0])
			})
		},
	}
	cmd.AddCommand(list, add, passwd, remove)
	return cmd
}

// keyJSON is an element of restic's key list --json.
type keyJSON struct {
	Current  bool   `json:"current"`
	ID       string `json:"id"`
	UserName string `json:"userName"`
	HostName string `json:"hostName"`
	Created  string `json:"created"`
}

func runKeyList(ctx context.Context, r *repo.Repository, g *globalOptions) error {
	keys, err := r.Keys(ctx)
	if err != nil {
		return err
	}
	if g.json {
		out := make([]keyJSON, 0, len(keys))
		for _, k := range keys {
			out = append(out, keyJSON{Current: k.Current, ID: k.ID.Str(), UserName: k.Username, HostName: k.Hostname,
				Created: k.Created.Local().Format(time.DateTime)})
		}
		return json.NewEncoder(g.stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, " ID\tUser\tHost\tCreated")
	for _, k := range keys {
		mark := " "
		if k.Current {
			mark = "*"
		}
		if k.Err != nil {
			fmt.Fprintf(tw, "%s%s\t\t\tunreadable: %v\n", mark, k.ID.Str(), k.Err)
			continue
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", mark, k.ID.Str(), k.Username, k.Hostname, k.Created.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

func runKeyAdd(ctx context.Context, g *globalOptions, opts keyOptions, replace bool) error {
	return g.withLockMode(ctx, deleting(replace), func(ctx context.Context, r *repo.Repository) error {
		pw, err := newPassword(g, opts.newPasswordFile)
		if err != nil {
			return err
		}
		ko := repo.KeyOptions{Username: opts.user, Hostname: opts.host}
		if !replace {
			id, err := r.AddKeyWith(ctx, pw.Reveal(), ko)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "saved new key as %s\n", id.Str())
			return nil
		}
		old := r.KeyID()
		id, err := r.ChangePassword(ctx, pw.Reveal(), ko)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "saved new key as %s, removed the old key %s\n", id.Str(), old.Str())
		return nil
	})
}

// newPassword reads the new password from file, else asks for it twice on
// a terminal, else reads one line from stdin.
func newPassword(g *globalOptions, file string) (secret.Value, error) {
	if file != "" {
		return location.ReadPassword(file)
	}
	var pw string
	switch f, tty := g.stdin.(*os.File); {
	case tty && term.IsTerminal(int(f.Fd())):
		ask := func(prompt string) (string, error) {
			fmt.Fprint(g.stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(g.stderr)
			return string(b), err
		}
		first, err := ask("enter new password: ")
		if err != nil {
			return secret.Value{}, err
		}
		again, err := ask("enter password again: ")
		if err != nil {
			return secret.Value{}, err
		}
		if first != again {
			return secret.Value{}, errors.New("the passwords do not match")
		}
		pw = first
	default:
		line, err := bufio.NewReader(g.stdin).ReadString('\n')
		if err != nil && line == "" {
			return secret.Value{}, fmt.Errorf("read the new password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if pw == "" {
		return secret.Value{}, errors.New("the new password is empty")
	}
	return secret.New(pw), nil
}

func runKeyRemove(ctx context.Context, r *repo.Repository, g *globalOptions, ref string) error {
	keys, err := r.Keys(ctx)
	if err != nil {
		return err
	}
	var match []format.ID
	for _, k := range keys {
		if strings.HasPrefix(k.ID.String(), ref) {
			match = append(match, k.ID)
		}
	}
	switch {
	case ref == "" || len(match) == 0:
		return fmt.Errorf("no key %q in this repository", ref)
	case len(match) > 1:
		return fmt.Errorf("key prefix %q is ambiguous (%d keys)", ref, len(match))
	}
	if err := r.RemoveKey(ctx, match[0]); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "removed key %s\n", match[0].Str())
	return nil
}
