package location

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/drydock-backup/drydock/pkg/backend"
	"github.com/drydock-backup/drydock/pkg/repo"
	"github.com/drydock-backup/drydock/pkg/secret"
)

// OpenRepository opens the repository at location with password: its
// storage (Open) and its key. The caller closes r.Backend().
//
// With a cache, a remote repository's key is derived from the key file
// that opened it last time while its storage is being reached (see
// prepareKey): on SFTP the ssh connection and scrypt each take a few
// hundred milliseconds, one after the other otherwise.
func OpenRepository(ctx context.Context, location secret.URL, password secret.Value, opts Options, ropts repo.Options) (*repo.Repository, error) {
	hint, hinted := "", []byte(nil)
	if opts.CacheDir != "" && IsRemote(location) {
		hint = keyHintPath(opts.CacheDir, location)
		hinted = prepareKey(hint, password)
	}
	be, err := Open(ctx, location, opts)
	if err != nil {
		return nil, err
	}
	if hint != "" {
		ropts.Cache = withCache(opts.CacheDir, opts.Logger)
	}
	r, err := repo.Open(ctx, be, password.Reveal(), ropts)
	if err != nil {
		be.Close()
		return nil, err
	}
	if hint != "" {
		saveKeyHint(hint, hinted, r.KeyFile(), opts.Logger)
	}
	return r, nil
}

// InitIfMissing creates the repository at location unless one exists
// there, with the password in passwordFile, which is created (random,
// mode 0600, its directory too) if it does not exist and never replaced.
// created says whether a repository was made. The CLI's default
// repository and the daemon's init: true both come through here.
func InitIfMissing(ctx context.Context, location secret.URL, passwordFile string, opts Options, ropts repo.Options) (created bool, err error) {
	be, err := Open(ctx, location, opts)
	if err == nil {
		_, serr := be.Stat(ctx, backend.Handle{Type: backend.ConfigFile})
		be.Close()
		if serr == nil {
			return false, nil
		}
	} else if !errors.Is(err, repo.ErrNoRepository) {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(passwordFile), 0o700); err != nil {
		return false, err
	}
	if err := CreatePasswordFile(passwordFile); err != nil {
		return false, err
	}
	pw, err := ReadPassword(passwordFile)
	if err != nil {
		return false, err
	}
	opts.Create = true
	be, err = Open(ctx, location, opts)
	if err != nil {
		return false, err
	}
	defer be.Close()
	if _, err := repo.Init(ctx, be, pw.Reveal(), repo.InitOptions{}, ropts); err != nil {
		return false, fmt.Errorf("init %s: %w", location, err)
	}
	return true, nil
}
