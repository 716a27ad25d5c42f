# drydock — build, test, benchmark, lint.
# Go installed the Debian way (/usr/local/go) need not be on a login
# shell's PATH; the tests run go themselves, so they get it too.
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
BIN     ?= bin/drydock
PKGS    ?= ./...
# Tests run with the race detector; heavy packages get a generous timeout.
TESTFLAGS ?= -race -count=1 -timeout 30m

.PHONY: build test bench lint fuzz-short image

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/drydock

test: build
	$(GO) vet $(PKGS)
	$(GO) test $(TESTFLAGS) $(PKGS)
	# The race detector shortens the chunker's vector tests; run them in full too.
	$(GO) test -count=1 -run 'Vectors|OneByteReads' ./pkg/chunker/
	$(GO) test -count=1 -run 'TestAppDumpMemory' ./cmd/drydock/ # multi-GB dump, peak RSS; too slow under -race

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/...

lint:
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.6.1 $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

# drydock:latest, locally and without a registry (see "drydock as a
# container" in README.md); as root the first time (debootstrap of the base).
image:
	bash scripts/build-image.sh
