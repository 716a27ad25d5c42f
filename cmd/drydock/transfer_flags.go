package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"
)

// transferOptions are restic's --limit-upload, --limit-download (KiB/s)
// and --pack-size (MiB, default $RESTIC_PACK_SIZE, else 16).
type transferOptions struct {
	limitUpload, limitDownload int
	packSizeMiB                int
}

// Pack sizes restic accepts, in MiB.
const minPackMiB, maxPackMiB = 4, 128

func (t *transferOptions) addFlags(f *pflag.FlagSet) {
	f.IntVar(&t.limitUpload, "limit-upload", 0, "limit uploads to the repository to `KiB/s` (0: no limit), as restic's")
	f.IntVar(&t.limitDownload, "limit-download", 0, "limit downloads from the repository to `KiB/s` (0: no limit), as restic's")
	f.IntVar(&t.packSizeMiB, "pack-size", 0, "target size of new pack files in `MiB`, 4 to 128 (default: $RESTIC_PACK_SIZE, else 16)")
}

// uploadRate and downloadRate are the limits in bytes a second.
func (t transferOptions) uploadRate() int64   { return int64(max(t.limitUpload, 0)) << 10 }
func (t transferOptions) downloadRate() int64 { return int64(max(t.limitDownload, 0)) << 10 }

// packSize is the target pack size in bytes (0: the repository's
// default), from the flag or RESTIC_PACK_SIZE.
func (t transferOptions) packSize(getenv func(string) string) (int, error) {
	mib, what := t.packSizeMiB, "--pack-size"
	if mib == 0 {
		v := getenv("RESTIC_PACK_SIZE")
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("RESTIC_PACK_SIZE=%q: want a number of MiB, %d to %d", v, minPackMiB, maxPackMiB)
		}
		mib, what = n, "RESTIC_PACK_SIZE"
	}
	if mib < minPackMiB || mib > maxPackMiB {
		return 0, fmt.Errorf("%s %d: want %d to %d MiB", what, mib, minPackMiB, maxPackMiB)
	}
	return mib << 20, nil
}

// checkTransfer rejects bad transfer flags before anything is opened.
func (g *globalOptions) checkTransfer() error {
	if g.transfer.limitUpload < 0 || g.transfer.limitDownload < 0 {
		return fmt.Errorf("--limit-upload and --limit-download take KiB/s, 0 or more")
	}
	_, err := g.transfer.packSize(g.getenv)
	return err
}
