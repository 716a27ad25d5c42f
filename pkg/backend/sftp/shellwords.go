package sftp

import (
	"errors"
	"strings"
)

// splitShellWords splits s into words the way a POSIX shell splits a
// simple command line, without expansions: words are separated by
// unquoted blanks; single quotes keep everything literally; inside double
// quotes a backslash escapes only $ ` " \ and newline; elsewhere a
// backslash escapes the next character. sftp.command and sftp.args use it,
// so they read as they would typed into a shell.
func splitShellWords(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			n, err := readDoubleQuoted(s[i+1:], &cur)
			if err != nil {
				return nil, err
			}
			i += n // at the closing quote
			inWord = true
		case c == '\\':
			if i+1 == len(s) {
				return nil, errors.New("backslash at the end")
			}
			i++
			if s[i] != '\n' { // backslash-newline continues the line
				cur.WriteByte(s[i])
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// readDoubleQuoted appends the content of a double-quoted string whose
// opening quote was just consumed and returns how many bytes of s it used,
// closing quote included.
func readDoubleQuoted(s string, out *strings.Builder) (int, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i + 1, nil
		case '\\':
			if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
				i++
				if s[i] != '\n' {
					out.WriteByte(s[i])
				}
				continue
			}
			out.WriteByte(c)
		default:
			out.WriteByte(c)
		}
	}
	return 0, errors.New("unterminated double quote")
}
