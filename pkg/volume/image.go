package volume

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/drydock-backup/drydock/pkg/appplan"
)

// SavedImage is an image to store in an app's snapshot, as `docker save`
// writes it.
type SavedImage struct {
	Ref  string // what is saved: the container's image reference, else its ID
	File string // file name in the snapshot: <ref>.tar
	// Open streams `docker save Ref`; `docker load` reads it back.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// ImageToSave decides whether img is saved now: with
// drydock.save-image=true only an image that has no registry digest (built
// or loaded locally, never pushed or pulled); always with always. ok is
// false when it is not saved, with why.
func (m *Manager) ImageToSave(ctx context.Context, img appplan.ImageSave) (s SavedImage, ok bool, why string, err error) {
	ins, _, err := m.host.ImageInspectWithRaw(ctx, img.ImageID)
	if err != nil {
		return s, false, "", fmt.Errorf("inspect image %s of container %s: %w", img.Image, img.Container.Name, err)
	}
	if img.When == appplan.SaveImageUnpushed && len(ins.RepoDigests) > 0 {
		return s, false, fmt.Sprintf("image %s has a registry digest (%s); %s=always saves it anyway", img.Image, ins.RepoDigests[0], appplan.LabelSaveImage), nil
	}
	// Saving by reference keeps the tag for `docker load`, if it still
	// names the container's image.
	ref := img.ImageID
	if img.Image != "" {
		if byRef, _, err := m.host.ImageInspectWithRaw(ctx, img.Image); err == nil && byRef.ID == img.ImageID {
			ref = img.Image
		}
	}
	s = SavedImage{Ref: ref, File: FileName(strings.TrimPrefix(ref, "sha256:")) + ".tar"}
	s.Open = func(ctx context.Context) (io.ReadCloser, error) {
		rc, err := m.host.ImageSave(ctx, []string{ref})
		if err != nil {
			return nil, fmt.Errorf("save image %s: %w", ref, err)
		}
		return rc, nil
	}
	return s, true, "", nil
}
