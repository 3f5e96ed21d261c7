# ALTCOS installer and image tools. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
CACHE ?= $(CURDIR)/.cache
OUT ?= $(CURDIR)/out
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
export CACHE OUT

.DEFAULT_GOAL := help

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## install the Debian packages the builds and tests use (root)
	@scripts/install-deps.sh

build: ## build the binaries into bin/
	$(GO) build -o bin/ ./cmd/...

test: deps ## tier 0 and tier 1 tests (tier 1 needs root and the tools; ALTCOS_REQUIRE_TOOLS=1 fails instead of skipping)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

test-short: ## tier 0 only: no root, no tools, fast
	$(GO) test -short ./...

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

.PHONY: help deps build test test-short lint
