// Command sha256walk hashes every regular file under its arguments with
// crypto/sha256 (SHA-NI where the CPU has it), one file at a time, and
// prints the bytes hashed. It is the yardstick of bench/cpu.sh: the CPU
// time a backup spends is quoted as a multiple of this program's over the
// same files.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

func main() {
	var total int64
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for _, root := range os.Args[1:] {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			h.Reset()
			n, err := io.CopyBuffer(h, f, buf)
			total += n
			return err
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "sha256walk:", err)
			os.Exit(1)
		}
	}
	fmt.Println(total)
}
