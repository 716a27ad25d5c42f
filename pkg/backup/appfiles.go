package backup

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"path"
	"sync"
	"time"

	"github.com/drydock-backup/drydock/pkg/appplan"
	"github.com/drydock-backup/drydock/pkg/archiver"
	"github.com/drydock-backup/drydock/pkg/repo/format"
)

// AppRoot is the snapshot directory above every app's own: the files of
// an app that are not in its volumes live only in the snapshot, here.
const AppRoot = "/.drydock/apps"

// AppDir is the snapshot directory of app's dumps (dumps/<name>),
// definition (definition/...) and saved images (images/<ref>.tar). It is
// one of the snapshot's paths, so that parents are found per app.
func AppDir(app string) string { return path.Join(AppRoot, pathName(app)) }

// DumpPath is where an app's snapshot holds the dump of that name.
func DumpPath(app, name string) string { return path.Join(AppDir(app), "dumps", pathName(name)) }

// pathName makes a name one path component: an app named after groups may
// hold any character.
func pathName(s string) string {
	if s == "." || s == ".." {
		return url.PathEscape(s) + "_"
	}
	return url.PathEscape(s)
}

// appClaims are where a snapshot holds an app's files: reported only
// once the snapshot is written.
type appClaims struct {
	Dumps      []string
	Definition string
	Images     []string
}

// appFiles are the virtual files of an app's snapshot: its dumps,
// streamed from their commands; its definition; the images it saves.
func (b *volumeRun) appFiles(ctx context.Context, st *appState, app appplan.App) ([]archiver.VirtualFile, error) {
	dir := AppDir(app.Name)
	now := time.Now()
	var vfs []archiver.VirtualFile
	for _, d := range app.Dumps {
		p := DumpPath(app.Name, d.Name)
		vfs = append(vfs, archiver.VirtualFile{Path: p, Mode: 0o600, ModTime: now,
			Open: b.withStep(st, "dump "+d.Name, func(ctx context.Context) (io.ReadCloser, error) { return b.m.OpenDump(ctx, d) })})
		st.claims.Dumps = append(st.claims.Dumps, p)
	}
	def, warnings, err := b.m.Definition(ctx, app)
	if err != nil {
		return nil, fmt.Errorf("app definition: %w", err)
	}
	st.report.Warnings = append(st.report.Warnings, warnings...)
	for _, f := range def {
		vfs = append(vfs, definitionVirtual(dir, f, now))
	}
	if len(def) > 0 {
		st.claims.Definition = path.Join(dir, "definition")
	}
	for _, img := range app.Images {
		s, ok, why, err := b.m.ImageToSave(ctx, img)
		if err != nil {
			return nil, err
		}
		if !ok {
			b.opts.Logger.Info("image not saved", "app", app.Name, "container", img.Container.Name, "why", why)
			continue
		}
		p := path.Join(dir, "images", s.File)
		if containsPath(vfs, p) {
			continue // two containers of one image
		}
		vfs = append(vfs, archiver.VirtualFile{Path: p, Mode: 0o600, ModTime: now, Open: b.withStep(st, "saving image "+img.Image, s.Open)})
		st.claims.Images = append(st.claims.Images, p)
	}
	return vfs, nil
}

func containsPath(vfs []archiver.VirtualFile, p string) bool {
	for _, f := range vfs {
		if f.Path == p {
			return true
		}
	}
	return false
}

// prebuilt turns the nodes a warm pass stored into virtual files for the
// final pass, so that no dump runs twice and the final pass, while the app
// is stopped, streams nothing.
func prebuilt(nodes map[string]*format.Node) []archiver.VirtualFile {
	vfs := make([]archiver.VirtualFile, 0, len(nodes))
	for p, n := range nodes {
		vfs = append(vfs, archiver.VirtualFile{Path: p, Node: n})
	}
	return vfs
}

// withStep wraps open so that st's progress names step from the open until
// the close of the stream.
func (b *volumeRun) withStep(st *appState, step string, open func(context.Context) (io.ReadCloser, error)) func(context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		rc, err := open(ctx)
		if err != nil {
			return nil, err
		}
		b.setStep(st, "", step)
		return &stepStream{ReadCloser: rc, end: func() { b.setStep(st, step, "") }}, nil
	}
}

// stepStream ends its step when closed.
type stepStream struct {
	io.ReadCloser
	end  func()
	once sync.Once
}

func (s *stepStream) Close() error {
	s.once.Do(s.end)
	return s.ReadCloser.Close()
}
