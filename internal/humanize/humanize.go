// Package humanize formats quantities for people.
package humanize

import "fmt"

// Bytes formats n in binary units with prec decimals ("1.5 MiB" for prec
// 1); below 1 KiB it prints whole bytes ("512 B"). restic's prune output
// uses prec 3.
func Bytes(n uint64, prec int) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.*f %ciB", prec, float64(n)/float64(div), "KMGTPE"[exp])
}
