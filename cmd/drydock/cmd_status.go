package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock-backup/drydock/pkg/orchestrate"
)

func newStatusCommand(g *globalOptions) *cobra.Command {
	var opts configOptions
	var addr string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running daemon's jobs: next runs, last results, downtime",
		Long: `Ask the running daemon (at the listen address of its configuration, or
--addr) for its jobs and print them. Exit code 1 if the daemon cannot be
reached or a job is unhealthy (its last success is older than twice its
schedule's interval); with --quiet it prints only that error, as the
image's HEALTHCHECK runs it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if addr == "" {
				cfg, err := opts.load(g)
				if err != nil {
					return err
				}
				if cfg.Listen == "off" {
					return fmt.Errorf("the daemon's configuration has listen: off: nothing to ask")
				}
				addr = cfg.Listen
			}
			st, err := fetchStatus(cmd.Context(), addr)
			if err != nil {
				return err
			}
			if g.json {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(st); err != nil {
					return err
				}
			} else if !g.quiet {
				printStatus(g.stdout, st)
			}
			var bad []string
			for _, j := range st.Jobs {
				if !j.Healthy {
					bad = append(bad, j.Job+" ("+taskKind(j)+")")
				}
			}
			if len(bad) > 0 {
				return fmt.Errorf("unhealthy: %s", strings.Join(bad, ", "))
			}
			return nil
		},
	}
	opts.addFlags(cmd)
	cmd.Flags().StringVar(&addr, "addr", "", "the daemon's listen address (default: from its configuration)")
	return cmd
}

// taskKind is the KIND column: backup, verify, or copy to DESTINATION.
func taskKind(j orchestrate.JobStatus) string {
	if j.Destination != "" {
		return j.Kind + " to " + j.Destination
	}
	return j.Kind
}

// runResultWord is the RESULT column for a finished run.
func runResultWord(r *orchestrate.RunResult) string {
	switch {
	case r.Error != "":
		return "FAILED"
	case r.Result == orchestrate.ResultInterrupted:
		return "interrupted"
	case len(r.Warnings) > 0:
		return fmt.Sprintf("ok, %d warnings", len(r.Warnings))
	case r.Unchanged != "":
		return fmt.Sprintf("ok, unchanged since %.8s", r.Unchanged)
	}
	return "ok"
}

func fetchStatus(ctx context.Context, addr string) (*orchestrate.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("is the daemon running? %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("daemon at %s: %s: %s", addr, resp.Status, b)
	}
	var st orchestrate.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("daemon at %s: bad status: %w", addr, err)
	}
	return &st, nil
}

func printStatus(w io.Writer, st *orchestrate.Status) {
	fmt.Fprintf(w, "drydock daemon since %s, configuration %s\n\n", st.Started.Format(time.RFC3339), st.ConfigFile)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tKIND\tREPOSITORY\tNEXT RUN\tLAST RUN\tRESULT\tDURATION\tHEALTH")
	for _, j := range st.Jobs {
		next, last, result, dur := "-", "never", "-", "-"
		if j.NextRun != nil {
			next = j.NextRun.Local().Format("2006-01-02 15:04:05")
		}
		if r := j.LastRun; r != nil {
			last = r.End.Local().Format("2006-01-02 15:04:05")
			result = runResultWord(r)
			dur = fmt.Sprintf("%.1fs", r.Seconds)
		}
		if j.Running {
			result = "running"
		}
		if j.AfterBackup {
			next = "after backup"
		}
		health := "ok"
		switch {
		case j.Behind:
			health = "BEHIND"
		case !j.Healthy:
			health = "UNHEALTHY"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.Job, taskKind(j), j.Repository, next, last, result, dur, health)
	}
	tw.Flush()
	for _, j := range st.Jobs {
		r := j.LastRun
		if r == nil {
			continue
		}
		switch {
		case r.Error != "":
			fmt.Fprintf(w, "\n%s (%s) failed: %s\n", j.Job, taskKind(j), r.Error)
		case r.Interrupted != "":
			fmt.Fprintf(w, "\n%s (%s) interrupted: %s\n", j.Job, taskKind(j), r.Interrupted)
		}
		for _, a := range r.Apps {
			fmt.Fprintf(w, "  %s: app %s down %.2fs", j.Job, a.App, a.DowntimeSeconds)
			if len(a.Killed) > 0 {
				fmt.Fprintf(w, ", killed at stop timeout: %s", strings.Join(a.Killed, ", "))
			}
			if a.Error != "" {
				fmt.Fprintf(w, ", failed: %s", a.Error)
			}
			fmt.Fprintln(w)
		}
		for _, dr := range r.Drills {
			verdict := "passed"
			if !dr.Passed {
				verdict = "FAILED: " + dr.Error
			}
			fmt.Fprintf(w, "  %s: restore drill of app %s (snapshot %.8s) %s in %.1fs\n", j.Job, dr.App, dr.Snapshot, verdict, dr.Seconds)
		}
		for _, warning := range r.Warnings {
			fmt.Fprintf(w, "  %s: warning: %s\n", j.Job, warning)
		}
	}
}
