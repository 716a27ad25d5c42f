package format

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// appendNode appends the JSON encoding of n, exactly as MarshalJSON (which
// goes through encoding/json) produces it, without reflection: trees are
// re-encoded for every directory of every backup, and encoding/json's
// reflection was most of a no-change backup's encoding time. Nodes with
// generic attributes (restic 0.17+, never written by drydock) or times
// whose zone time.Time.MarshalJSON refuses take the reflective path.
// TestAppendNodeMatchesEncodingJSON and FuzzAppendNode compare both.
func appendNode(b []byte, n *Node) ([]byte, error) {
	if len(n.GenericAttributes) > 0 || oddZone(n.ModTime) || oddZone(n.AccessTime) || oddZone(n.ChangeTime) {
		enc, err := n.MarshalJSON()
		return append(b, enc...), err
	}
	b = append(b, `{"name":`...)
	b = appendString(b, QuoteName(n.Name))
	b = append(b, `,"type":`...)
	b = appendString(b, string(n.Type))
	if n.Mode != 0 {
		b = append(b, `,"mode":`...)
		b = strconv.AppendUint(b, uint64(n.Mode), 10)
	}
	b = append(b, `,"mtime":`...)
	b = appendTime(b, n.ModTime)
	b = append(b, `,"atime":`...)
	b = appendTime(b, n.AccessTime)
	b = append(b, `,"ctime":`...)
	b = appendTime(b, n.ChangeTime)
	b = append(b, `,"uid":`...)
	b = strconv.AppendUint(b, uint64(n.UID), 10)
	b = append(b, `,"gid":`...)
	b = strconv.AppendUint(b, uint64(n.GID), 10)
	b = appendOptString(b, `,"user":`, n.User)
	b = appendOptString(b, `,"group":`, n.Group)
	b = appendOptUint(b, `,"inode":`, n.Inode)
	b = appendOptUint(b, `,"device_id":`, n.DeviceID)
	b = appendOptUint(b, `,"size":`, n.Size)
	b = appendOptUint(b, `,"links":`, n.Links)
	b = appendOptString(b, `,"linktarget":`, n.LinkTarget)
	if len(n.LinkTargetRaw) > 0 {
		b = append(b, `,"linktarget_raw":`...)
		b = appendBase64(b, n.LinkTargetRaw)
	}
	if len(n.ExtendedAttributes) > 0 {
		b = append(b, `,"extended_attributes":[`...)
		for i, a := range n.ExtendedAttributes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, a.Name)
			b = append(b, `,"value":`...)
			b = appendBase64(b, a.Value)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendOptUint(b, `,"device":`, n.Device)
	b = append(b, `,"content":`...)
	if n.Content == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range n.Content {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendID(b, &n.Content[i])
		}
		b = append(b, ']')
	}
	if n.Subtree != nil {
		b = append(b, `,"subtree":`...)
		b = appendID(b, n.Subtree)
	}
	b = appendOptString(b, `,"error":`, n.Error)
	return append(b, '}'), nil
}

func appendID(b []byte, id *ID) []byte {
	b = append(b, '"')
	b = hex.AppendEncode(b, id[:])
	return append(b, '"')
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

func appendOptUint(b []byte, key string, v uint64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendUint(append(b, key...), v, 10)
}

// appendBase64 encodes a byte slice as encoding/json does: a base64
// string, or null for nil.
func appendBase64(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// oddZone reports a zone offset that is not whole minutes within a day,
// which RFC 3339 cannot express and time.Time.MarshalJSON refuses.
func oddZone(t time.Time) bool {
	_, off := t.Zone()
	return off%60 != 0 || off <= -24*3600 || off >= 24*3600
}

// appendTime encodes t as time.Time.MarshalJSON does, after ClampTime.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = ClampTime(t).AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString encodes s as encoding/json does (HTML-safe escaping).
// Strings of plain printable ASCII, nearly every name, are copied; others
// go through encoding/json itself, so the escaping rules are its own.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s) // a string always encodes
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
