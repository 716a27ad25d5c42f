package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/drydock-backup/drydock/internal/humanize"
	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/drill"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/retention"
)

// runDrill runs `verify --app APP --boot`: a restore drill.
func runDrill(ctx context.Context, g *globalOptions, opts verifyOptions, ref string) error {
	env, _, err := openVolumes(ctx, &opts.volumes, g, false)
	if err != nil {
		return err
	}
	defer env.close()
	if swept, err := drill.Sweep(ctx, env.cli, env.stateDir, g.logger()); err != nil {
		fmt.Fprintf(g.stderr, "warning: %v\n", err)
	} else if len(swept) > 0 {
		fmt.Fprintf(g.stderr, "removed what interrupted restore drills %v left behind\n", swept)
	}
	var res *drill.Result
	err = g.withLock(ctx, false, func(ctx context.Context, r *repo.Repository) error {
		def, err := loadAppDefinition(ctx, r, g, opts.app, ref)
		if err != nil {
			return err
		}
		if !g.quiet && !g.json {
			fmt.Fprintf(g.stdout, "restore drill of app %s, snapshot %s of %s\n", opts.app, def.Snapshot.ID.Str(), def.Snapshot.Time.Format("2006-01-02 15:04:05"))
		}
		res, err = drill.Run(ctx, env.restoreEnv(r, g), def, drill.Options{Timeout: opts.bootTimeout, SavedImages: opts.savedImages, StateDir: env.stateDir, Logger: g.logger()})
		return err
	})
	if res == nil {
		return err
	}
	printWarnings(g, res.Warnings)
	switch {
	case g.json:
		if jerr := json.NewEncoder(g.stdout).Encode(struct {
			MessageType string `json:"message_type"`
			*drill.Result
		}{"summary", res}); jerr != nil {
			return errors.Join(err, jerr)
		}
	case !g.quiet:
		printDrill(g, res)
	}
	return err
}

func printDrill(g *globalOptions, res *drill.Result) {
	for _, v := range res.Volumes {
		if v.Empty && v.Excluded != "" {
			fmt.Fprintf(g.stdout, "  volume %s: not backed up (%s), booted empty\n", v.Name, v.Excluded)
			continue
		}
		if v.Empty {
			fmt.Fprintf(g.stdout, "  volume %s: not in the snapshot, booted empty\n", v.Name)
			continue
		}
		fmt.Fprintf(g.stdout, "  volume %s: %d files, %s restored into %s\n", v.Name, v.Files, humanize.Bytes(v.Bytes, 3), v.Scratch)
	}
	for _, c := range res.Containers {
		var notes []string
		if c.Health != "" {
			notes = append(notes, c.Health)
		}
		if c.Running {
			notes = append(notes, "running")
		}
		if c.Verify != nil {
			notes = append(notes, fmt.Sprintf("drydock.verify %q: %s", c.Verify, oneLine(c.Output)))
		}
		if len(notes) == 0 {
			notes = append(notes, "started (not checked: the drill stopped first)")
		}
		fmt.Fprintf(g.stdout, "  container %s as %s: %s\n", c.Name, c.Copy, strings.Join(notes, "; "))
	}
	verdict := "PASSED"
	if !res.Passed {
		verdict = "FAILED"
	}
	cleaned := "everything it created was removed"
	if !res.CleanedUp {
		cleaned = "cleanup failed: the next drydock start retries it"
	}
	fmt.Fprintf(g.stdout, "drill %s %s in %.1fs; %s\n", res.ID, verdict, res.Seconds, cleaned)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	if s == "" {
		return "ok, no output"
	}
	return s
}

// appSnapshot resolves ref among the snapshots of app.
func appSnapshot(ctx context.Context, r *repo.Repository, g *globalOptions, app, ref string) (repo.Snapshot, error) {
	if ref != "latest" {
		sn, err := findSnapshot(ctx, r, g, ref, retention.Filter{})
		if err == nil && !appdef.HoldsApp(sn, app) {
			err = fmt.Errorf("snapshot %s holds no app %s (its apps: %v)", sn.ID.Str(), app, appdef.Apps(sn))
		}
		return sn, err
	}
	sns, err := latestCandidates(ctx, r)
	if err != nil {
		return repo.Snapshot{}, err
	}
	return appdef.Latest(sns, app)
}
