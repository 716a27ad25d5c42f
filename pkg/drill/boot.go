package drill

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/apprestore"
)

// bootAll creates and starts the copies wave by wave, providers first: a
// wave starts once every copy with a healthcheck in the waves before it
// reports healthy.
func (d *drill) bootAll(ctx context.Context) error {
	waves, warnings, err := appplan.StartWaves(d.boot)
	if err != nil {
		return fmt.Errorf("app %s: %w", d.def.App, err)
	}
	d.res.Warnings = append(d.res.Warnings, warnings...)
	for _, wave := range waves {
		for _, name := range wave {
			if err := d.bootOne(ctx, name); err != nil {
				return err
			}
		}
		for _, name := range wave {
			if err := d.waitHealthy(ctx, name); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *drill) bootOne(ctx context.Context, name string) error {
	c, _ := d.def.Container(name)
	img, err := apprestore.EnsureImage(ctx, d.env.Docker, d.env.Repo, d.def, c, apprestore.ImageOptions{PreferSaved: d.opts.SavedImages}, d.env.Logger)
	if err != nil {
		return err
	}
	if img.Loaded {
		d.res.Warnings = append(d.res.Warnings, fmt.Sprintf("container %s: image %s loaded from the snapshot (it stays on this host)", name, img.Ref))
	}
	if img.Warning != "" {
		d.res.Warnings = append(d.res.Warnings, img.Warning)
	}
	spec, err := appdef.Build(c, appdef.SpecOptions{
		Mode: appdef.Drill, Name: d.copyName(name), Image: img.Ref, Containers: d.names,
		Volumes: d.vols, Binds: d.binds, Inherited: d.def.Inherited(c),
		Labels: map[string]string{appplan.LabelDrill: d.res.ID, appplan.LabelDrillOf: name},
	})
	if err != nil {
		return err
	}
	d.res.Warnings = append(d.res.Warnings, spec.Warnings...)
	id, err := apprestore.Create(ctx, d.env.Docker, spec)
	if err != nil {
		return err
	}
	d.copies[name] = id
	d.res.Containers = append(d.res.Containers, ContainerResult{Name: name, Copy: spec.Name})
	d.env.Logger.Info("drill: starting copy", "app", d.def.App, "container", name, "copy", spec.Name)
	if err := d.env.Docker.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return fmt.Errorf("%w: start copy of container %s: %w", ErrFailed, name, err)
	}
	return nil
}

func (d *drill) result(name string) *ContainerResult {
	for i := range d.res.Containers {
		if d.res.Containers[i].Name == name {
			return &d.res.Containers[i]
		}
	}
	return nil
}

// waitHealthy waits until the copy of name reports healthy, if it has a
// healthcheck; a copy that exits or turns unhealthy fails the drill.
func (d *drill) waitHealthy(ctx context.Context, name string) error {
	id, res := d.copies[name], d.result(name)
	for {
		ins, err := d.env.Docker.ContainerInspect(ctx, id)
		if err != nil {
			return fmt.Errorf("inspect copy of container %s: %w", name, err)
		}
		st := ins.State
		if st == nil || !st.Running {
			return d.exited(ctx, name, ins)
		}
		if st.Health == nil {
			return nil // no healthcheck
		}
		res.Health = st.Health.Status
		switch st.Health.Status {
		case container.Healthy:
			return nil
		case container.Unhealthy:
			return fmt.Errorf("%w: copy of container %s is unhealthy: %s", ErrFailed, name, lastProbe(st.Health))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: copy of container %s not healthy (%s) within the drill's timeout: %s", ErrFailed, name, st.Health.Status, lastProbe(st.Health))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func lastProbe(h *container.Health) string {
	if h == nil || len(h.Log) == 0 {
		return "no probe result yet"
	}
	l := h.Log[len(h.Log)-1]
	return fmt.Sprintf("last probe exit %d: %s", l.ExitCode, strings.TrimSpace(l.Output))
}

// exited reports a copy that stopped, with the tail of its output.
func (d *drill) exited(ctx context.Context, name string, ins container.InspectResponse) error {
	code := -1
	if ins.State != nil {
		code = ins.State.ExitCode
	}
	return fmt.Errorf("%w: copy of container %s exited (code %d); its last output:\n%s", ErrFailed, name, code, d.logTail(ctx, ins.ID))
}

func (d *drill) logTail(ctx context.Context, id string) string {
	rc, err := d.env.Docker.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: "20"})
	if err != nil {
		return "(logs unavailable: " + err.Error() + ")"
	}
	defer rc.Close()
	var out bytes.Buffer
	_, _ = stdcopy.StdCopy(&out, &out, rc)
	return strings.TrimSpace(out.String())
}

// verifyAll runs each booted container's drydock.verify command (as the
// snapshot's definition has it) inside its copy.
func (d *drill) verifyAll(ctx context.Context) error {
	for _, c := range d.boot {
		name := appdef.ContainerName(c)
		s, err := appplan.ParseSettings(c.Config.Labels)
		if s.Verify == nil {
			continue
		}
		if err != nil {
			return fmt.Errorf("container %s: %w", name, err)
		}
		res := d.result(name)
		res.Verify = s.Verify
		timeout := s.HookTimeout
		if timeout == 0 {
			timeout = defaultVerifyTimeout
		}
		out, err := d.env.Volumes.RunHook(ctx, appplan.Hook{
			Container: appplan.ContainerRef{ID: d.copies[name], Name: res.Copy},
			Phase:     "verify", Cmd: s.Verify, User: s.HookUser, Timeout: timeout,
		})
		res.Output = strings.TrimSpace(out)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFailed, err)
		}
	}
	return nil
}

// stillRunning fails the drill if a copy has stopped since it started.
func (d *drill) stillRunning(ctx context.Context) error {
	for _, c := range d.boot {
		name := appdef.ContainerName(c)
		ins, err := d.env.Docker.ContainerInspect(ctx, d.copies[name])
		if err != nil {
			return fmt.Errorf("inspect copy of container %s: %w", name, err)
		}
		if ins.State == nil || !ins.State.Running {
			return d.exited(ctx, name, ins)
		}
		d.result(name).Running = true
	}
	return nil
}
