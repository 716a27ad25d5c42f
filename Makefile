# drydock — build, test, benchmark, lint.
# Go installed the Debian way (/usr/local/go) need not be on a login
# shell's PATH; the tests run go themselves, so they get it too.
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
BIN     ?= bin/drydock
PKGS    ?= ./...
# Tests run with the race detector; heavy packages get a generous timeout
# (cmd/drydock, with Docker, MinIO, sshd, FUSE and restic, is the longest).
TESTFLAGS ?= -race -count=1 -timeout 50m

.PHONY: build test bench lint fuzz-short image

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/drydock

test: build
	$(GO) vet $(PKGS)
	$(GO) test $(TESTFLAGS) $(PKGS)
	# The race detector shortens the chunker's vector tests; run them in full too.
	$(GO) test -count=1 -run 'Vectors|OneByteReads' ./pkg/chunker/
	$(GO) test -count=1 -run 'TestAppDumpMemory' ./cmd/drydock/ # multi-GB dump, peak RSS; too slow under -race

# Every fuzz target (the parsers of repository data) for FUZZTIME each;
# go test fuzzes one target at a time. The seed corpora also run in test.
FUZZTIME ?= 10s
fuzz-short:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

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
