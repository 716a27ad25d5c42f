package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/repo/crypto"
	"github.com/drydock-backup/drydock/pkg/repo/format"
	"github.com/drydock-backup/drydock/pkg/retention"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

const catUsage = "config|masterkey|snapshot|index|key|lock|pack|blob ID, or tree SNAPSHOT[:PATH]"

func newCatCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "cat config|masterkey|snapshot|index|key|lock|pack|blob|tree [ID]",
		Short: "Print one of the repository's objects, decrypted (a pack as stored), as restic's cat",
		Long: `Print one of the repository's objects: the config, the master key, a
snapshot (an ID, a unique prefix or "latest"), an index, key or lock file
or a pack (an ID or a unique prefix), a blob (its ID), or the tree of a
snapshot's directory (SNAPSHOT[:PATH]). JSON documents are printed
indented, as restic prints them; an index as stored; blobs and packs as
bytes. The master key gives access to everything: keep it safe.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || len(args) > 2 {
				return fmt.Errorf("cat needs a type and, but for config and masterkey, an ID: drydock cat %s (for example: drydock cat snapshot latest)", catUsage)
			}
			what, arg := args[0], ""
			if len(args) == 2 {
				arg = args[1]
			}
			switch what {
			case "config", "masterkey":
				if arg != "" {
					return fmt.Errorf("cat %s takes no ID", what)
				}
			case "snapshot", "index", "key", "lock", "pack", "blob", "tree":
				if arg == "" {
					return fmt.Errorf("cat %s needs an ID: drydock cat %s ID", what, what)
				}
			default:
				return fmt.Errorf("cat: unknown type %q; want %s", what, catUsage)
			}
			ctx := cmd.Context()
			run := func(ctx context.Context, r *repo.Repository) error { return runCat(ctx, r, g, what, arg) }
			switch what {
			case "config", "masterkey", "key", "lock":
				return g.withRepository(ctx, run)
			}
			return g.withListingLock(ctx, repo.LockMode{}, run)
		},
	}
}

func runCat(ctx context.Context, r *repo.Repository, g *globalOptions, what, arg string) error {
	out, err := catObject(ctx, r, g, what, arg)
	if err != nil {
		return err
	}
	_, err = g.stdout.Write(out)
	return err
}

// catObject returns what cat prints for what (and its argument).
func catObject(ctx context.Context, r *repo.Repository, g *globalOptions, what, arg string) ([]byte, error) {
	switch what {
	case "config":
		return indented(json.Marshal(r.Config()))
	case "masterkey":
		return indented(crypto.EncodeMasterKey(r.Key()))
	case "snapshot":
		sns, err := selectSnapshots(ctx, r, g, []string{arg}, retention.Filter{})
		if err != nil {
			return nil, err
		}
		return indented(r.LoadUnpacked(ctx, backend.SnapshotFile, sns[0].ID))
	case "index", "lock":
		t := map[string]backend.FileType{"index": backend.IndexFile, "lock": backend.LockFile}[what]
		id, err := findFile(ctx, r, t, arg)
		if err != nil {
			return nil, err
		}
		doc, err := r.LoadUnpacked(ctx, t, id)
		if t == backend.IndexFile {
			return withNewline(doc, err)
		}
		return indented(doc, err)
	case "key", "pack":
		t := map[string]backend.FileType{"key": backend.KeyFile, "pack": backend.PackFile}[what]
		id, err := findFile(ctx, r, t, arg)
		if err != nil {
			return nil, err
		}
		raw, err := r.LoadRaw(ctx, backend.Handle{Type: t, Name: id.String()})
		if t == backend.KeyFile {
			return indented(raw, err)
		}
		return raw, err
	case "blob":
		return catBlob(ctx, r, arg)
	case "tree":
		return catTree(ctx, r, g, arg)
	}
	return nil, fmt.Errorf("cat: unknown type %q", what)
}

// catBlob returns a blob's plaintext, data or tree, whichever the index
// has under id.
func catBlob(ctx context.Context, r *repo.Repository, arg string) ([]byte, error) {
	id, err := format.ParseID(arg)
	if err != nil {
		return nil, fmt.Errorf("cat blob: %q is not a blob ID (64 hex digits): %w", arg, err)
	}
	if err := r.LoadIndex(ctx); err != nil {
		return nil, err
	}
	for _, t := range []format.BlobType{format.DataBlob, format.TreeBlob} {
		if r.Index().Has(format.BlobHandle{ID: id, Type: t}) {
			return r.LoadBlob(ctx, t, id, nil)
		}
	}
	return nil, fmt.Errorf("cat blob: blob %s is not in the index", id.Str())
}

// catTree returns the tree blob of SNAPSHOT[:PATH], a directory.
func catTree(ctx context.Context, r *repo.Repository, g *globalOptions, arg string) ([]byte, error) {
	ref, dir, _ := strings.Cut(arg, ":")
	sn, err := findSnapshot(ctx, r, g, ref, retention.Filter{})
	if err != nil {
		return nil, err
	}
	n, err := snaptree.LookupDir(ctx, r, *sn.Tree, dir)
	if err != nil {
		return nil, fmt.Errorf("cat tree %s: %w", arg, err)
	}
	return r.LoadBlob(ctx, format.TreeBlob, *n.Subtree, nil)
}

// findFile resolves s, an ID or a unique prefix of one, among the files
// of type t.
func findFile(ctx context.Context, r *repo.Repository, t backend.FileType, s string) (format.ID, error) {
	if id, err := format.ParseID(s); err == nil {
		return id, nil
	}
	if s == "" || strings.Trim(strings.ToLower(s), "0123456789abcdef") != "" {
		return format.ID{}, fmt.Errorf("cat %s: %q is not an ID or a prefix of one (hex digits)", t, s)
	}
	ids, err := r.List(ctx, t)
	if err != nil {
		return format.ID{}, err
	}
	var found []format.ID
	for _, id := range ids {
		if strings.HasPrefix(id.String(), strings.ToLower(s)) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return format.ID{}, fmt.Errorf("cat %s: no %s file has an ID starting with %q", t, t, s)
	case 1:
		return found[0], nil
	}
	return format.ID{}, fmt.Errorf("cat %s: %q is the start of %d %s IDs; give more of it", t, s, len(found), t)
}

// indented is restic's way of printing a JSON document: two spaces, and
// a newline at the end.
func indented(doc []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, doc, "", "  "); err != nil {
		return nil, errors.Join(errors.New("not a JSON document"), err)
	}
	return withNewline(b.Bytes(), nil)
}

func withNewline(b []byte, err error) ([]byte, error) {
	if err != nil || bytes.HasSuffix(b, []byte("\n")) {
		return b, err
	}
	return append(b, '\n'), nil
}
