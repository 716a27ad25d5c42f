package compress

import (
	"bytes"
	"sync"
	"testing"
)

// Encoders are made as concurrent callers need them, not one per core up
// front, and reused.
func TestEncodersMadeOnDemand(t *testing.T) {
	p := pool(ModeMax) // a level no other test in this package uses
	in := bytes.Repeat([]byte("drydock "), 1000)
	for range 50 {
		Encode(nil, in, ModeMax)
	}
	if n := p.created.Load(); n != 1 {
		t.Fatalf("50 calls one after another made %d encoders, want 1", n)
	}
	const callers = 3
	var start, done sync.WaitGroup
	start.Add(callers)
	for range callers {
		done.Go(func() {
			e := p.get() // held by every caller at once
			start.Done()
			start.Wait()
			out, err := Decode(nil, e.EncodeAll(in, nil), int64(len(in)))
			if err != nil || !bytes.Equal(out, in) {
				t.Errorf("round trip: %v", err)
			}
			p.put(e)
		})
	}
	done.Wait()
	if n := p.created.Load(); n != callers {
		t.Fatalf("%d callers at once made %d encoders in all, want %d", callers, n, callers)
	}
}
