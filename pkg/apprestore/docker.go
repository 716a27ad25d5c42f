package apprestore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	dvolume "github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/drydock-backup/drydock/pkg/appdef"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/snaptree"
)

// EnsureVolume returns the volume called name, creating it from saved
// (driver, options, labels) when it does not exist; created says so. A
// missing volume with nothing saved is created with the local driver.
func EnsureVolume(ctx context.Context, cli *client.Client, name string, saved *dvolume.Volume) (v dvolume.Volume, created bool, err error) {
	v, exists, err := inspectVolume(ctx, cli, name)
	if err != nil || exists {
		return v, false, err
	}
	opts := volumeCreateOptions(name, saved)
	v, err = cli.VolumeCreate(ctx, opts)
	if err != nil {
		return v, false, fmt.Errorf("create volume %s (driver %q): %w", name, opts.Driver, err)
	}
	return v, true, nil
}

// inspectVolume returns volume name and whether it exists.
func inspectVolume(ctx context.Context, cli *client.Client, name string) (dvolume.Volume, bool, error) {
	v, err := cli.VolumeInspect(ctx, name)
	switch {
	case err == nil:
		return v, true, nil
	case cerrdefs.IsNotFound(err):
		return v, false, nil
	}
	return v, false, fmt.Errorf("inspect volume %s: %w", name, err)
}

// volumeCreateOptions create volume name as saved describes it.
func volumeCreateOptions(name string, saved *dvolume.Volume) dvolume.CreateOptions {
	opts := dvolume.CreateOptions{Name: name}
	if saved != nil {
		opts.Driver, opts.DriverOpts, opts.Labels = saved.Driver, saved.Options, saved.Labels
	}
	return opts
}

// ImageOptions tune EnsureImage.
type ImageOptions struct {
	// PreferSaved loads the image the snapshot saved, if it holds one,
	// even when this host has an image under the container's reference.
	PreferSaved bool
}

// Image is the image EnsureImage chose for a container.
type Image struct {
	Ref    string // reference or ID to create the container from
	Loaded bool   // loaded from the snapshot (docker load)
	// Warning, if set, says the image is not the one the container ran.
	Warning string
}

// EnsureImage returns the image to create a copy of saved container c
// from: its reference if this host has it (with a warning if that now
// names another image than the container ran: rebuilt under the same
// tag), else the image's ID; if the host has neither, or PreferSaved,
// the image archive the snapshot holds is loaded first (docker load).
func EnsureImage(ctx context.Context, cli *client.Client, r *repo.Repository, def *appdef.Definition, c container.InspectResponse, opts ImageOptions, log *slog.Logger) (Image, error) {
	name := appdef.ContainerName(c)
	ch, err := chooseImage(ctx, cli, def, c, opts)
	if err != nil || ch.load == nil {
		return ch.Image, err
	}
	img := *ch.load
	log.Info("loading image from the snapshot", "container", name, "file", img.File, "bytes", img.Node.Size)
	if err := loadImage(ctx, cli, r, img); err != nil {
		return Image{}, fmt.Errorf("container %s: load image %s from the snapshot: %w", name, img.File, err)
	}
	ref, id, err := localImage(ctx, cli, c)
	if err == nil && ref == "" {
		err = fmt.Errorf("container %s: image %s loaded from the snapshot, but Docker still has no image %s", name, img.File, shortImageID(c.Image))
	}
	return Image{Ref: ref, Loaded: true, Warning: rebuiltWarning(c, id, false)}, err
}

// imageChoice is what EnsureImage decided before it acts: the host's
// image (Ref), or the snapshot's archive to load.
type imageChoice struct {
	Image
	load *appdef.Image
}

// chooseImage decides which image saved container c is created from
// (see EnsureImage), changing nothing; an error when there is none.
func chooseImage(ctx context.Context, cli *client.Client, def *appdef.Definition, c container.InspectResponse, opts ImageOptions) (imageChoice, error) {
	img, has := def.ImageFor(c)
	if !opts.PreferSaved || !has {
		ref, id, err := localImage(ctx, cli, c)
		if err != nil || ref != "" {
			return imageChoice{Image: Image{Ref: ref, Warning: rebuiltWarning(c, id, has)}}, err
		}
	}
	if !has {
		return imageChoice{}, fmt.Errorf("container %s: image %s (%s) is not on this host and the snapshot holds no copy of it: pull or build it (docker pull %s), or back the app up with the label drydock.save-image=true",
			appdef.ContainerName(c), c.Config.Image, shortImageID(c.Image), c.Config.Image)
	}
	return imageChoice{load: &img}, nil
}

// rebuiltWarning says that the image the host has under c's reference,
// id, is not the one c ran.
func rebuiltWarning(c container.InspectResponse, id string, saved bool) string {
	if id == "" || c.Image == "" || id == c.Image {
		return ""
	}
	w := fmt.Sprintf("container %s: image %s is %s on this host, not %s as at backup time (rebuilt or pulled since): created from this host's image",
		appdef.ContainerName(c), c.Config.Image, shortImageID(id), shortImageID(c.Image))
	if saved {
		w += "; --saved-images uses the one the snapshot saved"
	}
	return w
}

// localImage finds c's image on this host: its reference, whatever image
// that names now (id), else the image's ID. "" when it has neither.
func localImage(ctx context.Context, cli *client.Client, c container.InspectResponse) (ref, id string, err error) {
	if c.Config.Image != "" {
		ins, err := cli.ImageInspect(ctx, c.Config.Image)
		if err == nil {
			return c.Config.Image, ins.ID, nil
		}
		if !cerrdefs.IsNotFound(err) {
			return "", "", fmt.Errorf("inspect image %s: %w", c.Config.Image, err)
		}
	}
	if c.Image == "" {
		return "", "", nil
	}
	_, err = cli.ImageInspect(ctx, c.Image)
	switch {
	case err == nil:
		return c.Image, c.Image, nil
	case cerrdefs.IsNotFound(err):
		return "", "", nil
	}
	return "", "", fmt.Errorf("inspect image %s: %w", shortImageID(c.Image), err)
}

// loadImage streams a `docker save` archive from the snapshot into
// `docker load`.
func loadImage(ctx context.Context, cli *client.Client, r *repo.Repository, img appdef.Image) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(snaptree.WriteContent(ctx, r, img.Node, pw)) }()
	defer pr.Close() // unblocks the writer if Docker stops reading early
	res, err := cli.ImageLoad(ctx, pr, client.ImageLoadWithQuiet(true))
	if err != nil {
		pr.CloseWithError(err)
		return err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if i := strings.Index(string(out), `"errorDetail"`); i >= 0 {
		return fmt.Errorf("docker load: %s", strings.TrimSpace(string(out[i:])))
	}
	return nil
}

func shortImageID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// EnsureNetwork creates a user-defined network of the app's as it was
// saved, unless it exists; created says so.
func EnsureNetwork(ctx context.Context, cli *client.Client, saved network.Inspect) (created bool, err error) {
	if exists, err := networkExists(ctx, cli, saved.Name); err != nil || exists {
		return false, err
	}
	ipam := saved.IPAM
	opts := network.CreateOptions{Driver: saved.Driver, Scope: saved.Scope, EnableIPv6: &saved.EnableIPv6, IPAM: &ipam,
		Internal: saved.Internal, Attachable: saved.Attachable, Options: saved.Options, Labels: saved.Labels}
	if _, err := cli.NetworkCreate(ctx, saved.Name, opts); err != nil {
		return false, fmt.Errorf("create network %s (driver %s): %w", saved.Name, saved.Driver, err)
	}
	return true, nil
}

func networkExists(ctx context.Context, cli *client.Client, name string) (bool, error) {
	_, err := cli.NetworkInspect(ctx, name, network.InspectOptions{})
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("inspect network %s: %w", name, err)
}

// Create creates the container spec describes and connects its further
// networks. A container that cannot be connected is removed again.
func Create(ctx context.Context, cli *client.Client, spec appdef.Spec) (string, error) {
	res, err := cli.ContainerCreate(ctx, spec.Config, spec.HostConfig, spec.Networking, nil, spec.Name)
	if err != nil {
		return "", fmt.Errorf("create container %s: %w", spec.Name, err)
	}
	for _, ep := range spec.Connect {
		if err := cli.NetworkConnect(ctx, ep.Network, res.ID, ep.Settings); err != nil {
			_ = cli.ContainerRemove(context.WithoutCancel(ctx), res.ID, container.RemoveOptions{Force: true})
			return "", fmt.Errorf("container %s: connect network %s: %w", spec.Name, ep.Network, err)
		}
	}
	return res.ID, nil
}

// RunningUsers lists the running containers that mount volume name.
func RunningUsers(ctx context.Context, cli *client.Client, name string) ([]string, error) {
	list, err := cli.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("volume", name))})
	if err != nil {
		return nil, fmt.Errorf("list containers using volume %s: %w", name, err)
	}
	var running []string
	for _, c := range list {
		if c.State == container.StateRunning && len(c.Names) > 0 {
			running = append(running, strings.TrimPrefix(c.Names[0], "/"))
		}
	}
	return running, nil
}

// CheckUnused fails when a running container still mounts the volume: it
// would go on seeing the old directory, which is then removed.
func CheckUnused(ctx context.Context, cli *client.Client, name string) error {
	running, err := RunningUsers(ctx, cli, name)
	if err != nil {
		return err
	}
	if len(running) > 0 {
		return fmt.Errorf("volume %s is used by running containers drydock does not stop for it (%s): stop them and retry",
			name, strings.Join(running, ", "))
	}
	return nil
}
