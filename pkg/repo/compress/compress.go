// Package compress holds the zstd settings shared by every compressed object
// in a restic-compatible repository: pack blobs (header types 2/3) and the
// 0x02-prefixed "unpacked" files (index, snapshot, lock).
//
// The options mirror restic's (no frame checksum, 512 KiB window, one frame
// per EncodeAll call). Exact compressed bytes never matter for compatibility
// because every ID is computed over the uncompressed plaintext, but a small
// window keeps decoder memory low for anyone reading our repositories.
//
// Encoders and decoders are created lazily, shared process-wide and are safe
// for concurrent use: encoders are pooled here, decoders by klauspost's
// DecodeAll.
package compress

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
)

// Mode selects how hard to compress, like restic's --compression flag.
// The zero value is ModeAuto.
type Mode int

const (
	// ModeAuto is zstd's default speed (≈ level 3), restic's default.
	ModeAuto Mode = iota
	// ModeOff stores data blobs uncompressed. Tree blobs and unpacked files
	// are still compressed in v2 repositories (restic does the same, and
	// prune repacks uncompressed trees), so Encode treats ModeOff as ModeAuto.
	ModeOff
	// ModeMax is zstd's best compression (≈ level 11).
	ModeMax
	// ModeFastest is zstd's fastest level (≈ level 1), restic 0.19's
	// "fastest". Tree blobs use it in modes auto and off: on small JSON it
	// compresses as well as the default level at a third of the CPU time
	// when the encoder's tables are cold, as they are between trees
	// (docs/performance.md).
	ModeFastest
)

// String returns the flag spelling of m.
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeOff:
		return "off"
	case ModeMax:
		return "max"
	case ModeFastest:
		return "fastest"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Set parses a flag value ("auto", "off", "fastest", "max"); it implements
// pflag.Value.
func (m *Mode) Set(s string) error {
	switch s {
	case "auto":
		*m = ModeAuto
	case "off":
		*m = ModeOff
	case "max":
		*m = ModeMax
	case "fastest":
		*m = ModeFastest
	default:
		return fmt.Errorf("invalid compression mode %q: want auto, off, fastest or max", s)
	}
	return nil
}

// Type implements pflag.Value.
func (m *Mode) Type() string { return "mode" }

// CompressData reports whether data blobs are compressed in this mode.
func (m Mode) CompressData() bool { return m != ModeOff }

// WindowSize is the zstd window restic uses for writing.
const WindowSize = 512 << 10

// MaxDecodedSize is the absolute upper bound for one decoded object. It is
// far above anything restic writes (blobs are < 4 GiB by format) and exists
// only so a corrupt or hostile frame cannot claim unbounded memory.
const MaxDecodedSize = 4 << 30

// ErrTooLarge is returned when a frame decodes to more than the caller's limit.
var ErrTooLarge = errors.New("zstd: decoded size exceeds limit")

// Encoders are single-threaded and pooled per level, made only as
// concurrent callers need them. klauspost's own pool builds all of its
// GOMAXPROCS encoders (about 1.4 MiB each at the default level) at the
// first call: a restore that compresses one lock file held 22 MiB of them
// on 16 cores, and would hold 90 MiB on 64.
var (
	encMu    sync.Mutex
	encPools = map[zstd.EncoderLevel]*encoderPool{}
)

// encoderPool keeps up to GOMAXPROCS idle encoders of one level.
type encoderPool struct {
	level   zstd.EncoderLevel
	free    chan *zstd.Encoder
	created atomic.Int64 // for tests
}

func pool(m Mode) *encoderPool {
	level := zstd.SpeedDefault
	switch m {
	case ModeMax:
		level = zstd.SpeedBestCompression
	case ModeFastest:
		level = zstd.SpeedFastest
	}
	encMu.Lock()
	defer encMu.Unlock()
	p, ok := encPools[level]
	if !ok {
		p = &encoderPool{level: level, free: make(chan *zstd.Encoder, runtime.GOMAXPROCS(0))}
		encPools[level] = p
	}
	return p
}

func (p *encoderPool) get() *zstd.Encoder {
	select {
	case e := <-p.free:
		return e
	default:
	}
	e, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(p.level),
		zstd.WithEncoderCRC(false),
		zstd.WithWindowSize(WindowSize),
		zstd.WithEncoderConcurrency(1),
	)
	if err != nil {
		// Only reachable with invalid constant options above.
		panic(fmt.Sprintf("compress: zstd encoder options: %v", err))
	}
	p.created.Add(1)
	return e
}

func (p *encoderPool) put(e *zstd.Encoder) {
	select {
	case p.free <- e:
	default: // more callers than cores at once: let the collector have it
	}
}

// Encode appends one zstd frame holding src to dst and returns the result.
func Encode(dst, src []byte, m Mode) []byte {
	p := pool(m)
	e := p.get()
	defer p.put(e)
	return e.EncodeAll(src, dst)
}

// Decoders are cached per power-of-two size class so that each call gets a
// limit close to what it asked for without building a decoder per call.
var (
	decMu    sync.Mutex
	decoders = map[int]*zstd.Decoder{}
)

const minClassBits = 20 // 1 MiB

func decoder(limit uint64) *zstd.Decoder {
	class := bits.Len64(limit - 1)
	if class < minClassBits {
		class = minClassBits
	}
	decMu.Lock()
	defer decMu.Unlock()
	if d, ok := decoders[class]; ok {
		return d
	}
	// Each concurrent DecodeAll keeps its own decoder state: as many as
	// cores (the option's 0) grew a 16-core restore's memory for no speed,
	// since at most 8 packs are opened at once.
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(min(runtime.GOMAXPROCS(0), 8)),
		zstd.WithDecoderMaxMemory(uint64(1)<<class),
		zstd.WithDecoderLowmem(true),
	)
	if err != nil {
		panic(fmt.Sprintf("compress: zstd decoder options: %v", err))
	}
	decoders[class] = d
	return d
}

// Decode appends the decompressed content of src (one or more zstd frames)
// to dst. It fails with ErrTooLarge if the output would exceed limit bytes;
// limit <= 0 or above MaxDecodedSize means MaxDecodedSize.
func Decode(dst, src []byte, limit int64) ([]byte, error) {
	if limit <= 0 || limit > MaxDecodedSize {
		limit = MaxDecodedSize
	}
	start := len(dst)
	out, err := decoder(uint64(limit)).DecodeAll(src, dst)
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return dst, fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, limit)
	}
	if err != nil {
		return dst, fmt.Errorf("zstd: %w", err)
	}
	if int64(len(out)-start) > limit {
		return dst, fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, limit)
	}
	return out, nil
}
