package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Snapshot is a snapshots/<id> document. ProgramVersion and Summary were
// added in restic 0.16/0.17; older readers ignore them.
type Snapshot struct {
	Time           time.Time        `json:"time"`
	Parent         *ID              `json:"parent,omitempty"`
	Tree           *ID              `json:"tree"`
	Paths          []string         `json:"paths"`
	Hostname       string           `json:"hostname,omitempty"`
	Username       string           `json:"username,omitempty"`
	UID            uint32           `json:"uid,omitempty"`
	GID            uint32           `json:"gid,omitempty"`
	Excludes       []string         `json:"excludes,omitempty"`
	Tags           []string         `json:"tags,omitempty"`
	Original       *ID              `json:"original,omitempty"`
	ProgramVersion string           `json:"program_version,omitempty"`
	Summary        *SnapshotSummary `json:"summary,omitempty"`
}

// SnapshotSummary holds backup statistics (restic 0.17+).
type SnapshotSummary struct {
	BackupStart         time.Time `json:"backup_start"`
	BackupEnd           time.Time `json:"backup_end"`
	FilesNew            uint      `json:"files_new"`
	FilesChanged        uint      `json:"files_changed"`
	FilesUnmodified     uint      `json:"files_unmodified"`
	DirsNew             uint      `json:"dirs_new"`
	DirsChanged         uint      `json:"dirs_changed"`
	DirsUnmodified      uint      `json:"dirs_unmodified"`
	DataBlobs           int       `json:"data_blobs"`
	TreeBlobs           int       `json:"tree_blobs"`
	DataAdded           uint64    `json:"data_added"`
	DataAddedPacked     uint64    `json:"data_added_packed"`
	TotalFilesProcessed uint      `json:"total_files_processed"`
	TotalBytesProcessed uint64    `json:"total_bytes_processed"`
}

// ErrSnapshotNoTree is returned for a snapshot without a root tree.
var ErrSnapshotNoTree = errors.New("snapshot has no tree")

// EncodeSnapshot returns the JSON plaintext of s (no trailing newline).
func EncodeSnapshot(s *Snapshot) ([]byte, error) {
	if s.Tree == nil || s.Tree.IsNull() {
		return nil, fmt.Errorf("encode snapshot: %w", ErrSnapshotNoTree)
	}
	if len(s.Paths) == 0 {
		return nil, errors.New("encode snapshot: no paths")
	}
	c := *s
	c.Time = ClampTime(c.Time)
	if c.Summary != nil {
		sum := *c.Summary
		sum.BackupStart, sum.BackupEnd = ClampTime(sum.BackupStart), ClampTime(sum.BackupEnd)
		c.Summary = &sum
	}
	return json.Marshal(&c)
}

// DecodeSnapshot parses a snapshot plaintext (already decompressed).
func DecodeSnapshot(data []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if s.Tree == nil || s.Tree.IsNull() {
		return nil, fmt.Errorf("decode snapshot: %w", ErrSnapshotNoTree)
	}
	return &s, nil
}
