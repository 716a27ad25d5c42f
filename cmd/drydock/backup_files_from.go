package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// filesFrom are backup's --files-from* flags: files naming targets.
type filesFrom struct {
	patterns, verbatim, raw []string
}

// targets returns the targets the files name, in restic's order: the
// --files-from patterns expanded, the --files-from-verbatim lines, the
// --files-from-raw names. "-" reads stdin. A pattern matching nothing is
// warned about on warn and skipped, as restic does.
func (f filesFrom) targets(stdin io.Reader, warn io.Writer) ([]string, error) {
	var out []string
	for _, name := range f.patterns {
		lines, err := readListLines(name, stdin)
		if err != nil {
			return nil, fmt.Errorf("--files-from: %w", err)
		}
		for _, line := range lines {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			matches, err := filepath.Glob(line)
			if err != nil {
				return nil, fmt.Errorf("--files-from %s: pattern %q: %w", name, line, err)
			}
			if len(matches) == 0 {
				fmt.Fprintf(warn, "warning: pattern %q does not match any files, skipping\n", line)
			}
			out = append(out, matches...)
		}
	}
	for _, name := range f.verbatim {
		lines, err := readListLines(name, stdin)
		if err != nil {
			return nil, fmt.Errorf("--files-from-verbatim: %w", err)
		}
		for _, line := range lines {
			if line != "" {
				out = append(out, line)
			}
		}
	}
	for _, name := range f.raw {
		b, err := readList(name, stdin)
		if err != nil {
			return nil, fmt.Errorf("--files-from-raw: %w", err)
		}
		names, err := splitNUL(b)
		if err != nil {
			return nil, fmt.Errorf("--files-from-raw %s: %w", name, err)
		}
		out = append(out, names...)
	}
	return out, nil
}

// readList reads a list file, or stdin for "-".
func readList(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// readListLines splits a list file into lines, a trailing \r dropped.
func readListLines(name string, stdin io.Reader) ([]string, error) {
	b, err := readList(name, stdin)
	if err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// splitNUL splits NUL-terminated names, as find -print0 writes them.
func splitNUL(b []byte) ([]string, error) {
	var names []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return nil, errors.New("the last name has no terminating NUL byte")
		}
		if i == 0 {
			return nil, errors.New("an empty name in the list")
		}
		names = append(names, string(b[:i]))
		b = b[i+1:]
	}
	return names, nil
}
