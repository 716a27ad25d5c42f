// Package chunker splits byte streams into content-defined chunks exactly
// where restic's Rabin-fingerprint chunker splits them.
//
// # The algorithm
//
// A chunk boundary is decided by a Rabin fingerprint over a sliding window of
// the last 64 bytes: the window, read as a polynomial over GF(2), is reduced
// modulo the repository's random irreducible polynomial of degree 53. A
// position is a cut candidate when the low AverageBits (20) bits of that
// fingerprint are zero. Chunks are at least MinSize (512 KiB) and at most
// MaxSize (8 MiB) long; the last chunk of a stream ends at EOF.
//
// restic does not hash the first MinSize-64 bytes of a chunk. At the first
// position where a cut is allowed, exactly 64 bytes have been hashed, so the
// fingerprint there — and at every later position — depends only on the 64
// bytes that end at that position, not on where the chunk began. This package
// exploits that:
//
//   - Whether a position is a candidate is a pure function of the input, so a
//     search range can be split into several lanes that are hashed
//     independently and interleaved, which keeps the CPU's execution units
//     busy instead of waiting on the latency of one rolling hash.
//   - The byte leaving the window is read from the input (64 bytes back)
//     instead of from a ring buffer.
//   - Boundaries found on several cores from different starting points
//     resynchronise after a chunk or two, which gives a multi-core mode whose
//     output is identical to the sequential one (see SplitParallel).
//
// # Using it
//
// Splitter is the core: it finds boundaries in caller-owned buffers, fed one
// after another, without copying them. Chunker wraps a Splitter around an
// io.Reader. Tables for a polynomial are computed once per process and shared;
// a Splitter or Chunker is used by one goroutine, any number may run at once.
package chunker
