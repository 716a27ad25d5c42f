package apprestore

import (
	"context"
	"fmt"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
)

// Rollback is what a whole-app restore that failed before it swapped any
// data in did to undo itself: what it had created and removed again, and
// what it found and left as it was.
type Rollback struct {
	Removed Resources `json:"removed"`
	Kept    Resources `json:"left_as_it_was"`
	// Images loaded from the snapshot stay on the host.
	Images []string `json:"images_loaded,omitempty"`
	// Errors are what could not be removed; it is still there.
	Errors []string `json:"errors,omitempty"`
}

// Resources names containers, volumes and networks.
type Resources struct {
	Containers []string `json:"containers,omitempty"`
	Volumes    []string `json:"volumes,omitempty"`
	Networks   []string `json:"networks,omitempty"`
}

// rollback removes the containers, volumes and networks the restore
// created, in the reverse order, consumers before their providers.
func (ru *run) rollback(ctx context.Context) *Rollback {
	rb := &Rollback{}
	fail := func(what string, err error) { rb.Errors = append(rb.Errors, fmt.Sprintf("remove %s: %v", what, err)) }
	for i := len(ru.rep.Containers) - 1; i >= 0; i-- {
		c := &ru.rep.Containers[i]
		if c.ImageLoaded {
			rb.Images = append(rb.Images, c.Image)
		}
		switch c.Action {
		case Kept:
			rb.Kept.Containers = append(rb.Kept.Containers, c.Name)
		case Created:
			err := ru.env.Docker.ContainerRemove(ctx, c.Name, container.RemoveOptions{Force: true, RemoveVolumes: true})
			if err != nil && !cerrdefs.IsNotFound(err) {
				fail("container "+c.Name, err)
				continue
			}
			rb.Removed.Containers = append(rb.Removed.Containers, c.Name)
			c.Action, c.Why = Removed, "created, then removed again: the restore failed"
		}
	}
	slices.Reverse(rb.Kept.Containers)
	ru.rep.Started = slices.DeleteFunc(ru.rep.Started, func(n string) bool { return slices.Contains(rb.Removed.Containers, n) })
	var created []string
	for _, t := range ru.targets {
		if t.res.Created {
			created = append(created, t.Name)
		} else {
			rb.Kept.Volumes = append(rb.Kept.Volumes, t.Name)
		}
	}
	for _, v := range append(created, ru.rep.EmptyVolumes...) {
		if err := ru.env.Docker.VolumeRemove(ctx, v, false); err != nil && !cerrdefs.IsNotFound(err) {
			fail("volume "+v, err)
			continue
		}
		rb.Removed.Volumes = append(rb.Removed.Volumes, v)
	}
	for _, n := range slices.Backward(ru.rep.Networks) {
		if err := ru.env.Docker.NetworkRemove(ctx, n); err != nil && !cerrdefs.IsNotFound(err) {
			fail("network "+n, err)
			continue
		}
		rb.Removed.Networks = append(rb.Removed.Networks, n)
	}
	return rb
}
