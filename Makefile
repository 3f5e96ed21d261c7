# ALTCOS installer and image tools. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
CACHE ?= $(CURDIR)/.cache
OUT ?= $(CURDIR)/out
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
export CACHE OUT
# Build output is its own (empty) Go module, so `go vet ./...` and `go test ./...`
# never walk into OS trees and staging folders that come and go under it.
$(shell mkdir -p $(OUT) && { test -f $(OUT)/go.mod || echo 'module altcos.invalid/out' > $(OUT)/go.mod; })

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

lint: ## gofmt, go mod tidy (no diff), go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

examples: ## examples/*.ign from examples/*.bu by our Butane translation (make test fails when one is stale)
	$(GO) test -count=1 -run TestExamplesTranslate ./examples -update

.PHONY: help deps build test test-short lint examples

# --- machine tests and demo (issue 5) ---
# The artifacts are those of the sections below (ISO, PXE_DIR, QCOW2 and the
# deploy archive manifest in SYSROOT_DIR), built or reused first by
# vmtest-artifacts. VMTEST_BUDGET_SECS (set by .ci/run) bounds the whole
# target: what building the artifacts took is taken off, and scenarios that no
# longer fit are named and skipped; each scenario's wall time is printed.
# ALTCOS_VMTEST_BREAK=1 installs onto /dev/nonexistent to show a red run with
# the console tail. Console logs and disks: $(OUT)/vmtest/<test>/<scenario>/.
VMTEST_TARGETS ?= compose sysroot iso pxe qcow2
# VMTEST_RUN picks the tests: make vmtest VMTEST_RUN='TestScenarios/(pxe|qcow2)'
VMTEST_RUN ?= TestSmokeBoot|TestScenarios
VMTEST_ENV = ALTCOS_VMTEST=1 ALTCOS_VMTEST_ISO=$(ISO) ALTCOS_VMTEST_PXE_DIR=$(PXE_DIR) ALTCOS_VMTEST_QCOW2=$(QCOW2) \
  ALTCOS_VMTEST_MANIFEST=$(SYSROOT_DIR)/deploy.json ALTCOS_VMTEST_REPO=$(REPO) ALTCOS_TOOL_ALTCOS_BUILD=$(CURDIR)/bin/altcos-build \
  $(VMTEST_GPG)

vmtest-artifacts: ## build (or reuse) what the machine tests boot: make compose sysroot iso pxe qcow2
	@for t in $(VMTEST_TARGETS); do echo "vmtest: === make $$t"; $(MAKE) --no-print-directory $$t || exit 1; done
	$(GO) build -o bin/ ./cmd/altcos-build ./cmd/altcos-vmtest

vmtest: ## tier-2 QEMU machine tests: ISO install (BIOS, UEFI, interactive), PXE, QCOW2, bad input, power cut
	@mkdir -p $(OUT); date +%s > $(OUT)/.vmtest-start
	$(MAKE) --no-print-directory vmtest-artifacts
	@start=$$(cat $(OUT)/.vmtest-start); budget=$(VMTEST_BUDGET_SECS); timeout=150m; \
	if [ -n "$$budget" ]; then budget=$$(( budget - $$(date +%s) + start )); timeout=$$(( budget + 900 ))s; \
	  echo "vmtest: $${budget}s of VMTEST_BUDGET_SECS left for the scenarios"; fi; \
	echo "vmtest: $(VMTEST_ENV) go test -run '$(VMTEST_RUN)' ./vmtests/"; \
	VMTEST_BUDGET_SECS=$$budget $(VMTEST_ENV) $(GO) test -count=1 -v -timeout $$timeout -run '$(VMTEST_RUN)' ./vmtests/ 2>&1 | tee $(OUT)/vmtest.log; \
	exit $${PIPESTATUS[0]}

# make demo signs with $$ALTCOS_GPG_KEY, or a throwaway key (make demo-key),
# serves the release with altcos-build serve on 127.0.0.1:$(DEMO_PORT), and
# the ISO's unattended install fetches it from there (QEMU's user network
# reaches the host's 127.0.0.1 at 10.0.2.2). It shows one line per build step
# with its time (the step's output goes to $(DEMO_LOGS)/make-<step>.log, its
# tail on screen when it fails), then the demo's steps, the install's progress
# lines, ostree admin status from inside the installed system and the table of
# phase times. Each machine's console is kept in
# $(OUT)/vmtest/demo/<machine>.console.log (named on screen); a failure prints
# its tail. DEMO_VERBOSE=1 shows everything: the builds' output and every
# console whole.
DEMO_PORT ?= 18080
DEMO_GNUPG ?= $(CACHE)/demo-gnupg
DEMO_KEY = altcos-demo@altcos.invalid
DEMO_OWN_KEY := $(ALTCOS_GPG_KEY)
DEMO_LOGS = $(OUT)/demo-logs
demo: export ALTCOS_GPG_KEY := $(or $(DEMO_OWN_KEY),$(DEMO_KEY))
demo: export ALTCOS_GPG_HOMEDIR := $(if $(DEMO_OWN_KEY),$(ALTCOS_GPG_HOMEDIR),$(DEMO_GNUPG))
demo: deps ## the README's main command: test OS -> signed commit -> ISO -> signed release served -> unattended install from it in QEMU -> boot it
	@$(if $(DEMO_OWN_KEY),,$(MAKE) --no-print-directory demo-key)
	@mkdir -p $(DEMO_LOGS); : > $(DEMO_LOGS)/build.times; \
	for t in compose sysroot iso pxe sign; do \
	  log=$(DEMO_LOGS)/make-$$t.log; t0=$$(date +%s); args=; \
	  if [ $$t = sign ]; then args=BASE_URL=http://10.0.2.2:$(DEMO_PORT)/artifacts; fi; \
	  if [ "$(DEMO_VERBOSE)" = 1 ]; then $(MAKE) --no-print-directory $$t $$args 2>&1 | tee $$log; st=$${PIPESTATUS[0]}; \
	  else $(MAKE) --no-print-directory $$t $$args >$$log 2>&1; st=$$?; fi; \
	  took=$$(( $$(date +%s) - t0 )); \
	  if [ $$st -ne 0 ]; then echo "demo: make $$t FAILED after $${took}s; the end of $$log:"; tail -n 30 $$log; exit 1; fi; \
	  echo "demo: make $$t: $${took}s (output: $$log)"; printf 'make %s\t%s\n' $$t $$took >> $(DEMO_LOGS)/build.times; \
	done
	@$(if $(DEMO_OWN_KEY),,gpgconf --homedir $(DEMO_GNUPG) --kill gpg-agent)
	@$(GO) build -o bin/ ./cmd/altcos-build ./cmd/altcos-vmtest
	@bin/altcos-build serve $(SERVE_DIRS) --listen 127.0.0.1:$(DEMO_PORT) >$(OUT)/demo-serve.log 2>&1 & pid=$$!; trap 'kill $$pid' EXIT; \
	echo "demo: === the release is served at http://127.0.0.1:$(DEMO_PORT)/ (altcos-build serve: /streams/$(STREAM).json, /artifacts/; log $(OUT)/demo-serve.log); the machine sees it at http://10.0.2.2:$(DEMO_PORT)/"; \
	echo "demo: === install $(ISO) in QEMU from the stream, boot the installed disk"; \
	ALTCOS_TOOL_ALTCOS_BUILD=$(CURDIR)/bin/altcos-build bin/altcos-vmtest demo --iso $(ISO) --pxe-dir $(PXE_DIR) --manifest $(SYSROOT_DIR)/deploy.json --out $(OUT)/vmtest \
	  --stream $(STREAM) --stream-base-url http://10.0.2.2:$(DEMO_PORT)/streams/ \
	  --phase-times $(DEMO_LOGS)/build.times $(if $(filter 1,$(DEMO_VERBOSE)),--console)

.PHONY: vmtest-artifacts vmtest demo

# --- OS tree and commit (issue 3) ---
# The Debian-based test OS tree of $(STREAM) is made from its package list
# testos/streams/$(STREAM).txt (sisyphus, p10) and cached by the hash of its
# inputs under $(CACHE)/testos/<hash>/tree, linked from $(CACHE)/testos/tree;
# compose commits it on altcos/x86_64/$(STREAM) in the archive repo
# $(OUT)/repo, which holds every stream (make compose STREAM=p10).
# SOURCE_DATE_EPOCH, when set, makes the commit reproducible.
# The OS files laid over the tree are osfiles/ plus the update agent
# /usr/bin/altcos-update (altcos-updated.service runs it), staged together in
# $(OSFILES_STAGE). The static build is reproducible (-trimpath, no VCS
# stamp), so an unchanged agent leaves the OS files' hash, and with it "no
# new commit", as it was.
STREAM ?= sisyphus
ARCH ?= x86_64
TESTOS_TREE = $(CACHE)/testos/tree
REPO ?= $(OUT)/repo
OSFILES_STAGE = $(CACHE)/osfiles-staged

TESTOS_LIST = testos/streams/$(STREAM).txt

testos: ## compose the Debian-based test OS tree of $(STREAM) with mmdebstrap, or reuse the cached one (root)
	@test -f $(TESTOS_LIST) || { echo "testos: no package list $(TESTOS_LIST) for STREAM=$(STREAM); the streams are: $$(ls testos/streams | sed 's/\.txt$$//' | tr '\n' ' ')"; exit 1; }
	$(GO) run ./cmd/altcos-testos -packages $(TESTOS_LIST) -cache $(CACHE)/testos

osfiles-stage: ## osfiles/ plus a static /usr/bin/altcos-update in $(CACHE)/osfiles-staged (what compose lays over the tree)
	@rm -rf $(OSFILES_STAGE) && mkdir -p $(CACHE) && cp -a osfiles $(OSFILES_STAGE)
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -o $(OSFILES_STAGE)/usr/bin/altcos-update ./cmd/altcos-update

# Signed commits (issue 11): compose signs with ALTCOS_GPG_KEY (and
# ALTCOS_GPG_HOMEDIR) when set, otherwise with the throwaway test key that
# test-gpg-key makes once in $(TEST_GPG): a GnuPG home (home/) without a
# passphrase and the key's fingerprint (fingerprint). It is nobody's secret
# and never committed; the machine tests sign their updates with it
# (ALTCOS_VMTEST_GPG_HOMEDIR, ALTCOS_VMTEST_GPG_KEY).
TEST_GPG ?= $(OUT)/test-gpg
ifeq ($(ALTCOS_GPG_KEY),)
COMPOSE_KEY = test-gpg-key
COMPOSE_SIGN = --gpg-sign $$(cat $(TEST_GPG)/fingerprint) --gpg-homedir $(TEST_GPG)/home
VMTEST_GPG = ALTCOS_VMTEST_GPG_KEY=$$(cat $(TEST_GPG)/fingerprint) ALTCOS_VMTEST_GPG_HOMEDIR=$(TEST_GPG)/home
else
VMTEST_GPG = ALTCOS_VMTEST_GPG_KEY=$(ALTCOS_GPG_KEY) ALTCOS_VMTEST_GPG_HOMEDIR=$(ALTCOS_GPG_HOMEDIR)
endif

test-gpg-key: ## a throwaway signing key for test builds in $(TEST_GPG) (made once; compose signs with it unless ALTCOS_GPG_KEY is set)
	@test -s $(TEST_GPG)/fingerprint || { rm -rf $(TEST_GPG) && mkdir -p -m 0700 $(TEST_GPG)/home && \
	  gpg --batch --no-tty --homedir $(TEST_GPG)/home --passphrase '' --quick-generate-key 'ALTCOS test builds <test-builds@altcos.invalid>' ed25519 sign never && \
	  gpg --batch --homedir $(TEST_GPG)/home --with-colons --list-secret-keys | awk -F: '$$1 == "fpr" { print $$10; exit }' > $(TEST_GPG)/fingerprint.tmp && \
	  test -s $(TEST_GPG)/fingerprint.tmp && mv $(TEST_GPG)/fingerprint.tmp $(TEST_GPG)/fingerprint; }
	@echo "test-gpg-key: $$(cat $(TEST_GPG)/fingerprint) in $(TEST_GPG)/home"

compose: testos osfiles-stage $(COMPOSE_KEY) ## commit the test OS on altcos/x86_64/$(STREAM) in $(OUT)/repo, signed (no new commit when nothing changed)
	@mkdir -p $(OUT)
	$(GO) run ./cmd/altcos-build compose --repo $(REPO) --stream $(STREAM) --osfiles $(OSFILES_STAGE) $(COMPOSE_SIGN) $(TESTOS_TREE)

.PHONY: testos osfiles-stage test-gpg-key compose

# --- install (issue 7) ---
# sysroot: the deploy archive of the $(STREAM) commit in $(REPO), made by the
# real ostree (altcos-build sysroot): $(SYSROOT_DIR)/deploy.tar.zst + deploy.json.
# bench-install: 5 rounds of one install of that archive into a sparse 8 GiB
# image under $(CACHE)/bench-install, dd of the same bytes onto a loop device
# over a sparse image (the installer's kind of target; conv=fsync, as the
# install ends synced) and the seed installer's shell sequence
# (installer/testdata/seed-install.sh); prints min/median of each, their
# ratios and the installer's peak RSS. Without an archive the small test
# commit stands in, and the output says so.
SYSROOT_DIR ?= $(OUT)/sysroot
BENCH_DIR ?= $(CACHE)/bench-install

sysroot: ## make the deploy archive of the $(STREAM) commit in $(REPO) into $(OUT)/sysroot (after make compose; root)
	$(GO) run ./cmd/altcos-build sysroot --repo $(REPO) --stream $(STREAM) -o $(SYSROOT_DIR)

bench-install: ## time one install of $(OUT)/sysroot vs dd of the same bytes and the seed's shell sequence; peak RSS (root)
	@mkdir -p $(BENCH_DIR)
	ALTCOS_BENCH_INSTALL=1 ALTCOS_BENCH_ARCHIVE=$(SYSROOT_DIR) ALTCOS_BENCH_REPO=$(REPO) ALTCOS_BENCH_DIR=$(BENCH_DIR) \
	  $(GO) test -count=1 -v -timeout 30m -run '^TestBenchInstall$$' ./installer/ 2>&1 | grep -v '^=== RUN'; exit $${PIPESTATUS[0]}

.PHONY: sysroot bench-install

# --- live ISO and artifacts (issue 4) ---
# iso, pxe and qcow2 are built from the $(STREAM) commit in $(REPO) (kernel,
# modules, GRUB and mkfs.* from a checkout under $(CACHE)/checkouts) and the
# deploy archive in $(SYSROOT_DIR) (make sysroot). The live initramfs (u-root,
# about a minute to build) is shared by iso and pxe and rebuilt when the Go
# sources or the stream's ref change. SOURCE_DATE_EPOCH makes them reproducible.
ISO ?= $(OUT)/altcos-$(STREAM)-live.x86_64.iso
PXE_DIR ?= $(OUT)/pxe
QCOW2 ?= $(OUT)/altcos-$(STREAM)-qemu.x86_64.qcow2
LIVE_INITRAMFS ?= $(CACHE)/live/initramfs-$(STREAM).img
SYSROOT_DIR ?= $(OUT)/sysroot
REPO ?= $(OUT)/repo
STREAM ?= sisyphus
LIVE_SOURCES = $(shell find cmd initramfs installer internal deployarchive compose image altcos -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum

$(LIVE_INITRAMFS): $(LIVE_SOURCES) $(wildcard $(REPO)/refs/heads/altcos/$(ARCH)/$(STREAM))
	@mkdir -p $(dir $@)
	$(GO) run ./cmd/altcos-build iso initramfs --repo $(REPO) --stream $(STREAM) --cache $(CACHE) -o $@

live-initramfs: $(LIVE_INITRAMFS) ## the live initramfs (u-root + installer + mkfs + kernel modules) of the $(STREAM) commit

iso: $(LIVE_INITRAMFS) ## hybrid BIOS+UEFI live ISO of the $(STREAM) commit with its deploy archive (after make compose sysroot)
	@mkdir -p $(OUT)
	$(GO) run ./cmd/altcos-build iso --repo $(REPO) --stream $(STREAM) --archive $(SYSROOT_DIR) --initramfs $(LIVE_INITRAMFS) --cache $(CACHE) -o $(ISO)
	xorriso -indev $(ISO) -report_el_torito plain 2>/dev/null | grep 'El Torito boot img'
	fdisk -l $(ISO) | tail -n 3

pxe: $(LIVE_INITRAMFS) ## PXE kernel, live initramfs, rootfs (deploy archive as second initrd) and archive into $(OUT)/pxe
	@rm -f $(PXE_DIR)/altcos-*-live-*  # one version per folder: boot tools pick the files by name
	$(GO) run ./cmd/altcos-build pxe --repo $(REPO) --stream $(STREAM) --archive $(SYSROOT_DIR) --initramfs $(LIVE_INITRAMFS) --cache $(CACHE) -o $(PXE_DIR)

qcow2: ## QCOW2 of the $(STREAM) commit: the installer in image mode (platform qemu), qemu-img convert (root)
	@mkdir -p $(OUT) bin
	$(GO) build -o bin/ ./cmd/altcos-installer
	$(GO) run ./cmd/altcos-build qcow2 --archive $(SYSROOT_DIR) --installer $(CURDIR)/bin/altcos-installer -o $(QCOW2)

stream: ## $(OUT)/$(STREAM).json: FCOS-shaped stream metadata of the artifacts built so far
	$(GO) run ./cmd/altcos-build stream --archive $(SYSROOT_DIR) $(if $(wildcard $(ISO)),--iso $(ISO)) \
	  $(if $(wildcard $(PXE_DIR)),--pxe-dir $(PXE_DIR)) $(if $(wildcard $(QCOW2)),--qcow2 $(QCOW2)) $(if $(BASE_URL),--base-url $(BASE_URL)) -o $(OUT)/$(STREAM).json

bench-initramfs: ## kernel start -> live hints under QEMU TCG vs a bare busybox initramfs, same kernel, 10 boots each, min/median (BENCH_ISO=$(ISO); BENCH_COMPRESSIONS=none,gzip,lz4,xz boots those too)
	ALTCOS_BENCH_BOOT_ISO=$(or $(BENCH_ISO),$(ISO)) ALTCOS_BENCH_INITRD_COMPRESSIONS=$(BENCH_COMPRESSIONS) \
	  $(GO) test -count=1 -run '^$$' -bench '^BenchmarkBootToHints$$' -benchtime 10x -timeout 60m ./image/iso/

.PHONY: live-initramfs iso pxe qcow2 stream bench-initramfs

# --- updates (issue 12) ---
# bench-update: bytes fetched over loopback HTTP by `altcos-update upgrade`
# for a release changing 4 KiB of one file: by objects vs with a static delta
# (altcos-build delta), and a full release pull, from one run (root, ostree).
bench-update: ## bytes of an upgrade by objects vs by static delta, and of a full release (root)
	ALTCOS_BENCH_UPDATE=1 $(GO) test -count=1 -v -timeout 10m -run '^TestBenchUpdate$$' ./internal/cli/update/ 2>&1 | grep -E '^(bench-update|  [a-z]|--- |ok|FAIL)'; exit $${PIPESTATUS[0]}

.PHONY: bench-update

# --- download site (issue 11) ---
# The static download site of the stream metadata in $(OUT) (<stream>.json of
# make stream, and release indexes: <stream>.releases.json, <stream>/releases.json)
# in $(SITE_DIR); the artifacts' sizes and FILE.sig signatures are read from
# $(OUT) and $(PXE_DIR). To look at it:
#   bin/altcos-build serve --site out/site --artifacts out --artifacts out/pxe --stream-dir out --repo out/repo
SITE_DIR ?= $(OUT)/site

site: ## $(OUT)/site: the download site of $(OUT)/$(STREAM).json (after make stream)
	@test -f $(OUT)/$(STREAM).json || { echo "site: no $(OUT)/$(STREAM).json; run make stream first" >&2; exit 1; }
	$(GO) run ./cmd/altcos-build site --stream-dir $(OUT) --artifacts $(OUT) $(if $(wildcard $(PXE_DIR)),--artifacts $(PXE_DIR)) -o $(SITE_DIR)

.PHONY: site

# --- signing and publishing (issue 11) ---
# The signing key comes from the environment, as altcos-build compose and
# sign read it: ALTCOS_GPG_KEY (fingerprint, key ID or user ID) and
# ALTCOS_GPG_HOMEDIR (its GnuPG home; default gpg's own). demo-key makes a
# throwaway key without a passphrase in $(DEMO_GNUPG) at build time (never
# committed). BASE_URL is where the artifacts are published, for the
# stream's absolute locations: make sign BASE_URL=http://HOST:8080/artifacts
# then make serve, and altcos-installer install --stream $(STREAM)
# --stream-base-url http://HOST:8080/streams/ installs from it.
BASE_URL ?=
SERVE_ADDR ?= 127.0.0.1:8080
KEYRING_OUT ?= $(OUT)/altcos.gpg
SIGN_FILES = $(SYSROOT_DIR)/deploy.tar.zst $(SYSROOT_DIR)/deploy.json $(wildcard $(ISO) $(QCOW2) $(QCOW2).xz) \
  $(filter-out %.sig,$(wildcard $(PXE_DIR)/altcos-*))

demo-key: ## a throwaway signing key in $(DEMO_GNUPG) (made once, never committed): ALTCOS_GPG_HOMEDIR=$(DEMO_GNUPG) ALTCOS_GPG_KEY=$(DEMO_KEY)
	@gpg --batch --homedir $(DEMO_GNUPG) --list-secret-keys $(DEMO_KEY) >/dev/null 2>&1 || { \
	  mkdir -p -m 700 $(DEMO_GNUPG) && gpg --batch --no-tty --homedir $(DEMO_GNUPG) --passphrase '' \
	    --quick-generate-key 'ALTCOS demo, throwaway <$(DEMO_KEY)>' ed25519 sign never >$(DEMO_GNUPG)/generate.log 2>&1 \
	    || { cat $(DEMO_GNUPG)/generate.log >&2; exit 1; }; }
	@echo "demo-key: $(DEMO_KEY) in $(DEMO_GNUPG)"

sign: ## FILE.sig of the artifacts built so far with $$ALTCOS_GPG_KEY, the keyring $(OUT)/altcos.gpg, then make stream and its signature
	@test -n "$$ALTCOS_GPG_KEY" || { echo "sign: set ALTCOS_GPG_KEY (and ALTCOS_GPG_HOMEDIR) to the signing key; make demo-key makes a throwaway one" >&2; exit 1; }
	$(GO) run ./cmd/altcos-build sign --keyring $(KEYRING_OUT) $(SIGN_FILES)
	$(MAKE) --no-print-directory stream
	$(GO) run ./cmd/altcos-build sign $(OUT)/$(STREAM).json

serve: ## serve the site, the artifacts, the stream metadata and the repo at http://$(SERVE_ADDR)/ (altcos-build serve; Ctrl-C stops)
	@mkdir -p bin && $(GO) build -o bin/ ./cmd/altcos-build
	bin/altcos-build serve $(SERVE_DIRS) --listen $(SERVE_ADDR)

SERVE_DIRS = $(if $(wildcard $(SITE_DIR)),--site $(SITE_DIR)) --artifacts $(OUT) --artifacts $(SYSROOT_DIR) \
  $(if $(wildcard $(PXE_DIR)),--artifacts $(PXE_DIR)) --stream-dir $(OUT) $(if $(wildcard $(REPO)/config),--repo $(REPO))

.PHONY: demo-key sign serve
