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

# The tests share the engine's host lock volume (every drydock on an engine
# does); one that the run created is removed after the last package, never
# during the run, when another package may hold the lock in it.
HOSTLOCK := drydock-hostlock
test: build
	$(GO) vet $(PKGS)
	@new=; docker volume inspect $(HOSTLOCK) >/dev/null 2>&1 || new=1; rc=0; \
	  $(GO) test $(TESTFLAGS) $(PKGS) || rc=$$?; \
	  echo "# The race detector shortens the chunker's vector tests; run them in full too."; \
	  [ $$rc != 0 ] || $(GO) test -count=1 -run 'Vectors|OneByteReads' ./pkg/chunker/ || rc=$$?; \
	  echo "# A multi-GB dump with peak RSS, too slow under -race."; \
	  [ $$rc != 0 ] || $(GO) test -count=1 -run 'TestAppDumpMemory' ./cmd/drydock/ || rc=$$?; \
	  if [ -n "$$new" ]; then docker volume rm $(HOSTLOCK) >/dev/null 2>&1 || true; fi; \
	  exit $$rc

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
