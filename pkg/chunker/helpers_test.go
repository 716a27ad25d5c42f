package chunker_test

import (
	"errors"
	"io"
	"math/rand"
	"testing"

	"github.com/drydock-backup/drydock/pkg/chunker"
)

// readPlan returns the size of the next read.
type readPlan func() int

func fixedReads(n int) readPlan { return func() int { return n } }

func randomReads(seed int64) readPlan {
	r := rand.New(rand.NewSource(seed))
	return func() int {
		if r.Intn(4) == 0 {
			return 1 + r.Intn(128)
		}
		return 1 + r.Intn(3<<20)
	}
}

// plannedReader returns data in reads whose sizes follow a plan.
type plannedReader struct {
	data []byte
	plan readPlan
}

func (r *plannedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.data), r.plan())
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// chunkReader chunks data through a Chunker and checks that the chunk data
// tiles the input exactly.
func chunkReader(t testing.TB, data []byte, pol chunker.Pol, params chunker.Params, plan readPlan) []chunker.Boundary {
	t.Helper()
	return chunkReaderBuf(t, data, pol, params, plan, nil)
}

// chunkReaderBuf is chunkReader with a Chunker that starts with buf.
func chunkReaderBuf(t testing.TB, data []byte, pol chunker.Pol, params chunker.Params, plan readPlan, buf []byte) []chunker.Boundary {
	t.Helper()
	c, err := chunker.NewChunker(&plannedReader{data: data, plan: plan}, pol, params, buf)
	if err != nil {
		t.Fatal(err)
	}
	var out []chunker.Boundary
	for {
		ch, err := c.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if int(ch.Start) > len(data) || string(ch.Data) != string(data[ch.Start:int(ch.Start)+ch.Length]) {
			t.Fatalf("chunk at %d: data does not match the input", ch.Start)
		}
		out = append(out, chunker.Boundary{Start: int(ch.Start), Length: ch.Length, Cut: ch.Cut})
	}
	return out
}
