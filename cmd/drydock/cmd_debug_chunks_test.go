package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDebugChunksMatchesResticVectors runs the command on the streams of
// restic's chunk vectors and compares its output line by line.
func TestDebugChunksMatchesResticVectors(t *testing.T) {
	raw, err := os.ReadFile("../../pkg/chunker/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Name, Seed, Mode, Polynomial string
		Size                         int
		Chunks                       []struct {
			Start, Length int
			Cut           string
		}
	}
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		if v.Mode != "" || v.Size > 16<<20 {
			continue // the chunker package covers the rest; this tests the command
		}
		t.Run(v.Name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "stream")
			if err := os.WriteFile(file, vectorStream(v.Seed, v.Size), 0o600); err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, c := range v.Chunks {
				fmt.Fprintf(&want, "%d %d %s\n", c.Start, c.Length, c.Cut)
			}
			var out bytes.Buffer
			root := newRootCommand(&out, &out)
			root.SetArgs([]string{"debug", "chunks", "--polynomial", v.Polynomial, file})
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want.String() {
				t.Fatalf("output differs:\n got: %q\nwant: %q", out.String(), want.String())
			}
		})
	}
}

func vectorStream(seed string, size int) []byte {
	var buf []byte
	var ctr [8]byte
	for i := uint64(0); len(buf) < size; i++ {
		binary.BigEndian.PutUint64(ctr[:], i)
		b := sha256.Sum256(append([]byte(seed), ctr[:]...))
		buf = append(buf, b[:]...)
	}
	return buf[:size]
}

func TestDebugChunksRejectsBadPolynomial(t *testing.T) {
	for _, c := range []struct{ pol, msg string }{
		{"0", "zero"},
		{"7", "degree"},
		{"3da3358b4dc172", "not irreducible"},
		{"banana", "hexadecimal"},
	} {
		var out bytes.Buffer
		root := newRootCommand(&out, &out)
		root.SetArgs([]string{"debug", "chunks", "--polynomial", c.pol, "-"})
		root.SetIn(strings.NewReader("data"))
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("polynomial %s: error %v, want one mentioning %q", c.pol, err, c.msg)
		}
		if out.Len() != 0 {
			t.Errorf("polynomial %s: printed %q before failing", c.pol, out.String())
		}
	}
}

func TestBenchChunkerJSON(t *testing.T) {
	var out bytes.Buffer
	root := newRootCommand(&out, &out)
	root.SetArgs([]string{"bench", "chunker", "--size", "20000000", "--runs", "1", "--json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	var r benchChunkerResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if r.Bytes != 20000000 || r.Chunks < 5 || r.ChunkerMBps <= 0 || r.SHA256MBps <= 0 || r.Ratio <= 0 {
		t.Fatalf("implausible result %+v", r)
	}
	if got := r.MeanChunkSize * float64(r.Chunks); got < 19999999 || got > 20000001 {
		t.Fatalf("mean chunk size %v times %d chunks is not the data size", r.MeanChunkSize, r.Chunks)
	}
}
