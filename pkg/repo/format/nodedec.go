package format

import (
	"encoding/base64"
	"os"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeTreeFast parses a tree in the compact layout restic's encoder and
// ours write (docs/format.md §8.1): no white space but the final newline, each node's
// keys lower-case, known and unique. Every backup decodes the parent's
// trees, and encoding/json's reflection was most of a no-change backup's
// CPU time. Anything else, or anything whose meaning under encoding/json
// is not plain (generic attributes, surrogate escapes, invalid UTF-8,
// numbers that are not plain digits), returns ok == false and the caller
// decodes with encoding/json, which stays the reference:
// FuzzDecodeTree checks that both agree whenever this one succeeds.
func decodeTreeFast(data []byte) (t *Tree, ok bool) {
	d := &treeDecoder{b: data}
	if !d.lit(`{"nodes":[`) {
		return nil, false
	}
	t = &Tree{Nodes: []*Node{}} // as encoding/json decodes "[]"
	if !d.lit("]") {
		for {
			n, ok := d.node()
			if !ok {
				return nil, false
			}
			t.Nodes = append(t.Nodes, n)
			if d.lit("]") {
				break
			}
			if !d.lit(",") {
				return nil, false
			}
		}
	}
	if !d.lit("}") {
		return nil, false
	}
	d.lit("\n")
	return t, d.i == len(d.b)
}

type treeDecoder struct {
	b []byte
	i int
}

// lit consumes s if it comes next.
func (d *treeDecoder) lit(s string) bool {
	if len(d.b)-d.i < len(s) || string(d.b[d.i:d.i+len(s)]) != s {
		return false
	}
	d.i += len(s)
	return true
}

// Node keys, in encoding order; each may appear once.
var nodeKeys = map[string]int{
	"name": 0, "type": 1, "mode": 2, "mtime": 3, "atime": 4, "ctime": 5, "uid": 6, "gid": 7,
	"user": 8, "group": 9, "inode": 10, "device_id": 11, "size": 12, "links": 13,
	"linktarget": 14, "linktarget_raw": 15, "extended_attributes": 16, "device": 17,
	"content": 18, "subtree": 19, "error": 20,
}

func (d *treeDecoder) node() (*Node, bool) {
	if !d.lit("{") {
		return nil, false
	}
	n := &Node{}
	var seen uint32
	for first := true; !d.lit("}"); first = false {
		if !first && !d.lit(",") {
			return nil, false
		}
		key, ok := d.plainBytes()
		if !ok || !d.lit(":") {
			return nil, false
		}
		k, known := nodeKeys[string(key)]
		if !known || seen&(1<<k) != 0 {
			return nil, false
		}
		seen |= 1 << k
		if !d.field(n, k) {
			return nil, false
		}
	}
	name, err := UnquoteName(n.Name)
	if err != nil {
		return nil, false // encoding/json's path reports it
	}
	n.Name = name
	return n, true
}

// field decodes the value of key number k (nodeKeys) into n.
func (d *treeDecoder) field(n *Node, k int) bool {
	ok := true
	var v uint64
	switch k {
	case 0:
		n.Name, ok = d.str()
	case 1:
		var s string
		s, ok = d.str()
		n.Type = NodeType(s)
	case 2:
		v, ok = d.uint(32)
		n.Mode = os.FileMode(v)
	case 3:
		ok = d.time(&n.ModTime)
	case 4:
		ok = d.time(&n.AccessTime)
	case 5:
		ok = d.time(&n.ChangeTime)
	case 6:
		v, ok = d.uint(32)
		n.UID = uint32(v)
	case 7:
		v, ok = d.uint(32)
		n.GID = uint32(v)
	case 8:
		n.User, ok = d.str()
	case 9:
		n.Group, ok = d.str()
	case 10:
		n.Inode, ok = d.uint(64)
	case 11:
		n.DeviceID, ok = d.uint(64)
	case 12:
		n.Size, ok = d.uint(64)
	case 13:
		n.Links, ok = d.uint(64)
	case 14:
		n.LinkTarget, ok = d.str()
	case 15:
		n.LinkTargetRaw, ok = d.bytes()
	case 16:
		n.ExtendedAttributes, ok = d.xattrs()
	case 17:
		n.Device, ok = d.uint(64)
	case 18:
		n.Content, ok = d.ids()
	case 19:
		if !d.lit("null") {
			var id ID
			if ok = d.id(&id); ok {
				n.Subtree = &id
			}
		}
	case 20:
		n.Error, ok = d.str()
	}
	return ok
}

// plainBytes reads a string without escapes or non-ASCII bytes (a key, a
// base64 value) and returns its bytes, which alias the input.
func (d *treeDecoder) plainBytes() ([]byte, bool) {
	if !d.lit(`"`) {
		return nil, false
	}
	start := d.i
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			return s, true
		case c < 0x20 || c >= 0x80 || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// str reads a JSON string: valid UTF-8, escapes other than surrogate
// pairs. null decodes to "" as encoding/json does for a string field.
func (d *treeDecoder) str() (string, bool) {
	if d.lit("null") {
		return "", true
	}
	if !d.lit(`"`) {
		return "", false
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := string(d.b[start:d.i])
			d.i++
			return s, true
		case c == '\\':
			return d.escapedStr(start)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				return "", false // encoding/json would substitute U+FFFD
			}
			d.i += size
		}
	}
	return "", false
}

// escapedStr continues str from the first backslash.
func (d *treeDecoder) escapedStr(start int) (string, bool) {
	out := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(out), true
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return "", false
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				if d.i+4 > len(d.b) {
					return "", false
				}
				v, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 16)
				if err != nil || utf16.IsSurrogate(rune(v)) {
					return "", false
				}
				d.i += 4
				out = utf8.AppendRune(out, rune(v))
			default:
				return "", false
			}
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			out = append(out, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			out = append(out, d.b[d.i:d.i+size]...)
			d.i += size
		}
	}
	return "", false
}

// uint reads a non-negative integer of plain digits that fits in bits.
func (d *treeDecoder) uint(bits int) (uint64, bool) {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	digits := d.b[start:d.i]
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return 0, false
	}
	v, err := strconv.ParseUint(string(digits), 10, bits)
	return v, err == nil
}

// time decodes a quoted timestamp exactly as encoding/json does, through
// time.Time.UnmarshalJSON.
func (d *treeDecoder) time(t *time.Time) bool {
	if !d.lit(`"`) {
		return false
	}
	start := d.i - 1
	for d.i < len(d.b) && d.b[d.i] != '"' {
		if d.b[d.i] == '\\' || d.b[d.i] < 0x20 {
			return false
		}
		d.i++
	}
	if !d.lit(`"`) {
		return false
	}
	return t.UnmarshalJSON(d.b[start:d.i]) == nil
}

// bytes reads a base64 string, or null, as encoding/json does for []byte.
func (d *treeDecoder) bytes() ([]byte, bool) {
	if d.lit("null") {
		return nil, true
	}
	s, ok := d.plainBytes()
	if !ok {
		return nil, false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, s)
	return b[:n], err == nil
}

func (d *treeDecoder) xattrs() ([]ExtendedAttribute, bool) {
	if d.lit("null") {
		return nil, true
	}
	if !d.lit("[") {
		return nil, false
	}
	xs := []ExtendedAttribute{}
	for first := true; !d.lit("]"); first = false {
		if !first && !d.lit(",") || !d.lit(`{"name":`) {
			return nil, false
		}
		var x ExtendedAttribute
		var ok bool
		if x.Name, ok = d.str(); !ok || !d.lit(`,"value":`) {
			return nil, false
		}
		if x.Value, ok = d.bytes(); !ok || !d.lit("}") {
			return nil, false
		}
		xs = append(xs, x)
	}
	return xs, true
}

func (d *treeDecoder) ids() (IDs, bool) {
	if d.lit("null") {
		return nil, true
	}
	if !d.lit("[") {
		return nil, false
	}
	ids := IDs{}
	for first := true; !d.lit("]"); first = false {
		if !first && !d.lit(",") {
			return nil, false
		}
		var id ID
		if !d.id(&id) {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

// id reads a quoted ID as ID.UnmarshalJSON does.
func (d *treeDecoder) id(id *ID) bool {
	if len(d.b)-d.i < 2*IDSize+2 || d.b[d.i] != '"' || d.b[d.i+2*IDSize+1] != '"' {
		return false
	}
	if id.UnmarshalText(d.b[d.i+1:d.i+1+2*IDSize]) != nil {
		return false
	}
	d.i += 2*IDSize + 2
	return true
}
