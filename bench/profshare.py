#!/usr/bin/env python3
"""Split a drydock backup's CPU profile into the components of
docs/performance.md: each sample goes to the first rule that matches its
stack (leaf first), so the shares add up to 100%.

    python3 bench/profshare.py BINARY PROFILE [PROFILE...]

Needs `go` on PATH (it reads `go tool pprof -traces`).
"""
import re
import subprocess
import sys

# (component, regexp over the leaf frame, regexp any frame must match or None)
SYSCALL = r"linux\.Syscall6|RawSyscall|runtime\.(exitsyscall|entersyscall)"
RULES = [
    ("syscall: read file data", SYSCALL, r"syscall\.(pread|read)$"),
    ("syscall: write packs", SYSCALL, r"syscall\.(pwrite|write|Fsync|Fdatasync)$|unix\.(Linkat|Renameat)"),
    ("syscall: open/stat/xattr/readdir", SYSCALL, r"Fstatat|Lstat|openat|xattr|Getdents|ReadDir|[fF]stat|Close"),
    ("syscall: other", SYSCALL, None),
    ("compressibility probe", None, r"compress\.Incompressible"),
    ("zstd (compression)", None, r"klauspost/compress"),
    ("SHA-256 of pack files", r"sha256\.block", r"pack\.\(\*Writer\)\.write"),
    ("SHA-256 of blob IDs", r"sha256\.block", r"archiver\.\(\*archiver\)\.saveChunk|format\.Hash|SaveBlob$"),
    ("SHA-256 (other)", r"sha256\.block", None),
    ("chunker", None, r"pkg/chunker\."),
    ("AES-CTR", None, r"fips140/aes\.|crypto/aes\."),
    ("Poly1305", None, r"poly1305"),
    ("scrypt (key derivation)", None, r"scrypt"),
    ("copy: chunk off the reader", r"memmove", r"archiver\.\(\*archiver\)\.getBuf"),
    ("copy: into the pack buffer", r"memmove", r"bufio\.\(\*Writer\)\.Write"),
    ("copy: other", r"memmove", None),
    ("GC and allocation", None, r"runtime\.(gcBgMarkWorker|mallocgc|gcDrain|memclrNoHeapPointers|bgsweep|bgscavenge|gcStart|scanobject|scanObject|growslice|markroot)"),
    ("scheduler/runtime", None, r"^runtime\.|^internal/runtime"),
]

def traces(binary, prof):
    out = subprocess.run(["go", "tool", "pprof", "-traces", binary, prof],
                         capture_output=True, text=True, check=True).stdout
    for block in out.split("-----------+-------------------------------------------------------")[1:]:
        lines = [l for l in block.strip("\n").split("\n") if l.strip()]
        if not lines:
            continue
        m = re.match(r"\s*([\d.]+)(ms|s|us)\s+(.*)", lines[0])
        if not m:
            continue
        v = float(m.group(1)) * {"ms": 1e-3, "s": 1.0, "us": 1e-6}[m.group(2)]
        frames = [m.group(3).strip()] + [l.strip() for l in lines[1:]]
        frames = [re.sub(r" \(inline\)$", "", f) for f in frames]
        yield v, frames

def classify(frames):
    for name, leaf, anyf in RULES:
        if leaf and not re.search(leaf, frames[0]):
            continue
        if anyf and not any(re.search(anyf, f) for f in frames):
            continue
        return name
    return "other"

def main():
    binary, profs = sys.argv[1], sys.argv[2:]
    for prof in profs:
        shares, total = {}, 0.0
        for v, frames in traces(binary, prof):
            c = classify(frames)
            shares[c] = shares.get(c, 0.0) + v
            total += v
        print(f"{prof}: {total:.2f} s of samples")
        for name, v in sorted(shares.items(), key=lambda kv: -kv[1]):
            print(f"  {name:36s} {v:6.2f} s {100*v/total:5.1f}%")

if __name__ == "__main__":
    main()
