package compress_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/drydock-backup/drydock/pkg/repo/compress"
)

func TestRoundTrip(t *testing.T) {
	inputs := [][]byte{nil, []byte("x"), bytes.Repeat([]byte("abc"), 100000)}
	for _, m := range []compress.Mode{compress.ModeAuto, compress.ModeOff, compress.ModeMax, compress.ModeFastest} {
		for _, in := range inputs {
			z := compress.Encode([]byte("pre"), in, m)
			if !bytes.HasPrefix(z, []byte("pre")) {
				t.Fatal("Encode did not append")
			}
			out, err := compress.Decode([]byte("dst"), z[3:], int64(len(in)))
			if err != nil {
				t.Fatalf("mode %v, %d bytes: %v", m, len(in), err)
			}
			if !bytes.Equal(out[3:], in) || string(out[:3]) != "dst" {
				t.Fatalf("mode %v: round trip differs", m)
			}
		}
	}
}

func TestDecodeLimit(t *testing.T) {
	in := make([]byte, 3<<20)
	z := compress.Encode(nil, in, compress.ModeAuto)
	for _, limit := range []int64{1, 1 << 20, 3<<20 - 1} {
		if _, err := compress.Decode(nil, z, limit); !errors.Is(err, compress.ErrTooLarge) {
			t.Errorf("limit %d: err = %v, want ErrTooLarge", limit, err)
		}
	}
	if _, err := compress.Decode(nil, z, 3<<20); err != nil {
		t.Errorf("exact limit: %v", err)
	}
	if _, err := compress.Decode(nil, []byte("not zstd"), 100); err == nil {
		t.Error("garbage decoded")
	}
}

func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := bytes.Repeat([]byte{byte(i)}, 10000*(i+1))
			out, err := compress.Decode(nil, compress.Encode(nil, in, compress.ModeAuto), 1<<20)
			if err != nil || !bytes.Equal(out, in) {
				t.Errorf("goroutine %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
}

func TestModeFlag(t *testing.T) {
	for _, s := range []string{"auto", "off", "max", "fastest"} {
		var m compress.Mode
		if err := m.Set(s); err != nil || m.String() != s {
			t.Errorf("Set(%q): %v, %v", s, m, err)
		}
	}
	var m compress.Mode
	if m.Set("better") == nil {
		t.Error("unknown mode accepted")
	}
	if compress.ModeOff.CompressData() || !compress.ModeAuto.CompressData() {
		t.Error("CompressData")
	}
}
