# tailor: the two commands of the README are `make dev` and `make test`.
# Every target sets up what it needs first (.ci/setup is idempotent).

RULES    ?= www/tailor.toml
SITE     ?= build/site
ENGINE   ?= build/engine
PORT     ?= 8787
CARGO    ?= cargo
TAILOR   := target/debug/tailor
TOOLS    := WASM_BINDGEN_BIN=$(HOME)/.cargo/bin/wasm-bindgen WASM_OPT_BIN=$(CURDIR)/node_modules/.bin/wasm-opt ESBUILD_BIN=$(CURDIR)/node_modules/.bin/esbuild
ENGINE_SOURCES := $(shell find src -type f) Cargo.toml Cargo.lock

export WRANGLER_SEND_METRICS := false

.PHONY: dev test bench setup setup-browser engine engine-named cli site fault-site clean

## dev: the worker in front of www/ under local workerd, personalized.
dev: setup site
	@echo "tailor: serving www/ through the worker at http://localhost:$(PORT)/ (TAILOR_DEV=1: x-tailor-* headers stand in for geo and time)"
	node_modules/.bin/wrangler dev --port $(PORT) --ip 127.0.0.1 --var TAILOR_DEV:1 --show-interactive-dev-session=false

## test: every test (unit, conformance, CLI, corpus, the worker in workerd, the script in Chromium).
# The wasm tests: the lean engine's own (`--lib`: its JavaScript number and
# RegExp glue, src/jsrt.rs) and the demo ruleset decided in Chromium; the
# runtime the engines import (src/js/runtime.js) bound through wasm-bindgen
# (`bindgen-runtime`), as wasm-bindgen-test instantiates the module itself.
test: setup-browser site fault-site
	$(CARGO) test --all-targets
	CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=$(HOME)/.cargo/bin/wasm-bindgen-test-runner \
	  $(CARGO) test --target wasm32-unknown-unknown --no-default-features --features bindgen-runtime --lib --test browser_wasm
	node --test --test-concurrency=1 tests/edge/ tests/browser/ tests/node/

## bench: every benchmark (cargo bench, node, the worker under load, the script tag in
## Chromium, sizes), then BENCHMARKS.md. About 10 minutes; BENCH_QUICK=1 for a short trial.
bench: setup-browser site engine-named
	node benches/run.mjs; status=$$?; node benches/report.mjs && exit $$status

setup:
	@bash .ci/setup

setup-browser:
	@bash .ci/setup --browser

# The worker is built for speed: it runs on every request and its budget is
# 1 MB gzip, so opt-level 3 (+8% size) beats the browser engine's "z" there.
WORKER_PROFILE := CARGO_PROFILE_RELEASE_OPT_LEVEL=3

$(ENGINE)/worker/index_bg.wasm: $(ENGINE_SOURCES)
	$(TOOLS) $(WORKER_PROFILE) $(HOME)/.cargo/bin/worker-build --release --out-dir $(ENGINE)/worker -- --no-default-features --features edge
	@touch $@

COMMA := ,
WASM_FEATURES := --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int --enable-sign-ext --enable-multivalue --enable-mutable-globals
BROWSER_WASM := target/wasm32-unknown-unknown/release/tailor.wasm

# The browser engine: the wasm through wasm-opt, and the loader
# (pkg-template/src) bundled by esbuild as a script-tag IIFE and an ES module.
# Built with nightly's `-Cpanic=immediate-abort` and std rebuilt for it
# (`-Zbuild-std`): a panic (which the engine must never hit) traps at once
# instead of formatting a message, which drops Rust's panic and formatting
# machinery from every visitor's download (about 7 KB gzip);
# `-Zfmt-debug=none -Zlocation-detail=none` drop the `Debug` impls and
# source locations std still links (the engines never print them; 230 B).
# `--cfg tailor_nightly` lets the functions deciding runs through be
# optimized for speed inside the size-optimized build in the engines with
# `evaluate` (feature `fast-decide`, src/lib.rs). wasm-opt -O3 rather
# than -Oz: on this module it compresses smaller (gzip and brotli; -Oz wins
# only uncompressed) and runs faster; `--low-memory-unused` (the stack
# is first in memory, so its lowest kilobyte is only reached by an
# overflow) lets it fold constant offsets into loads and stores (300 B);
# `--one-caller-inline-max-function-size 50`: a function with one caller
# is inlined into it only when small (wasm-opt's default inlines it
# whatever its size); the larger ones left as functions compress better
# (raw +1 KB, gzip -640 B), and the three on the decision path that
# `evaluate` measurably missed (3 %) are inlined by LLVM instead
# (`#[inline(always)]`, +120 B); the target-features section is for
# tools, not browsers (100 B).
# This Makefile is a prerequisite: changing these flags rebuilds
# the engines.
# Without a usable nightly (.ci/setup
# installs rust-src for it) the stable build is used, and the size budget
# test says so.
BROWSER_RUSTFLAGS := -Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none --cfg tailor_nightly
BROWSER_WASM_OPT := -O3 --low-memory-unused --one-caller-inline-max-function-size 50
BROWSER_NIGHTLY_WASM := target/browser-nightly/wasm32-unknown-unknown/release/tailor.wasm
# $(call browser_wasm,FEATURES,OUT): the browser engine's wasm with FEATURES.
define browser_wasm
	if RUSTFLAGS="$(BROWSER_RUSTFLAGS)" $(CARGO) +nightly build --lib --release --target wasm32-unknown-unknown \
	     --no-default-features --features $(1) --target-dir target/browser-nightly -Zbuild-std=std,panic_abort; then \
	  cp $(BROWSER_NIGHTLY_WASM) $(2); \
	else \
	  echo "WARNING: no nightly toolchain with rust-src: building the browser engine on stable (larger)" >&2; \
	  $(CARGO) build --lib --release --target wasm32-unknown-unknown --no-default-features --features $(1) && \
	  cp $(BROWSER_WASM) $(2); \
	fi
endef
# Two engines, one loader: the lean engine every visitor gets
# (tailor.wasm), in four builds: the common one (feature `browser` alone:
# without the operators few rule files use, see `all-operators` in
# Cargo.toml) when the rules fit it, else the one with every operator, each
# with `evaluate` (for `tailor build --evaluate`) or without (`tailor
# build` picks, src/cli/artifact.rs); and the QA engine with previews and
# the debug panel's reasons (tailor-qa.wasm, feature `qa`), loaded only
# when a preview is asked for. All export the same functions (`evaluate`
# and `campaigns_json` only with the feature) and import the same `tailor`
# module, and one hand-written glue
# (pkg-template/src/engine.js, bundled into tailor.js) runs each: no
# wasm-bindgen, whose glue was 600 B gzip of every visitor's download.
BROWSER_ENGINE := $(ENGINE)/browser/engine-all-operators.wasm
$(BROWSER_ENGINE): $(ENGINE_SOURCES) $(shell find pkg-template -type f) Makefile
	rm -rf $(ENGINE)/browser && mkdir -p $(ENGINE)/browser
	$(call browser_wasm,browser$(COMMA)all-operators,target/engine-all-operators.wasm)
	$(call browser_wasm,browser,target/engine-common.wasm)
	$(call browser_wasm,evaluate$(COMMA)all-operators,target/engine-all-operators-evaluate.wasm)
	$(call browser_wasm,evaluate,target/engine-common-evaluate.wasm)
	$(call browser_wasm,qa,target/engine-qa.wasm)
	for engine in all-operators common all-operators-evaluate common-evaluate qa; do \
	  node_modules/.bin/wasm-opt $(BROWSER_WASM_OPT) $(WASM_FEATURES) --strip-debug --strip-producers --strip-target-features \
	    -o $(ENGINE)/browser/engine-$$engine.wasm target/engine-$$engine.wasm || exit 1; \
	done
	node_modules/.bin/esbuild pkg-template/src/auto.js --bundle --minify --format=iife --target=es2020 --outfile=$(ENGINE)/browser/tailor.js --log-level=warning
	node_modules/.bin/esbuild pkg-template/src/qa-entry.js --bundle --minify --format=iife --target=es2020 --outfile=$(ENGINE)/browser/tailor-qa.js --log-level=warning
	node_modules/.bin/esbuild pkg-template/src/index.js --bundle --minify --format=esm --target=es2020 --outfile=$(ENGINE)/browser/tailor.mjs --log-level=warning
	cp pkg-template/package.json pkg-template/README.md pkg-template/LICENSE pkg-template/tailor.d.ts $(ENGINE)/browser/

## engine-named: the common lean browser engine as `engine` builds it, with its
## function names (in the legacy mangling, which wasm-breakdown.mjs reads) and
## before wasm-opt (which inlines most functions into the exports), for
## benches/wasm-breakdown.mjs: where the bytes go.
engine-named: build/engine-named/engine-common.wasm
build/engine-named/engine-common.wasm: $(ENGINE_SOURCES) Makefile
	CARGO_PROFILE_RELEASE_STRIP=false RUSTFLAGS="$(BROWSER_RUSTFLAGS) -Csymbol-mangling-version=legacy" $(CARGO) +nightly build --lib --release --target wasm32-unknown-unknown \
	  --no-default-features --features browser --target-dir target/browser-named -Zbuild-std=std,panic_abort
	mkdir -p build/engine-named
	cp target/browser-named/wasm32-unknown-unknown/release/tailor.wasm $@

# A worker engine that panics on request (`fault-injection`), for the fail-open test only.
build/engine-fault/worker/index_bg.wasm: $(ENGINE_SOURCES)
	$(TOOLS) $(WORKER_PROFILE) $(HOME)/.cargo/bin/worker-build --release --out-dir build/engine-fault/worker -- --no-default-features --features edge,fault-injection
	@touch $@

fault-site: build/engine-fault/worker/index_bg.wasm cli
	$(TAILOR) build $(RULES) --out build/site-fault --engine build/engine-fault

## engine: the prebuilt wasm engines (cargo; only when the Rust code changes).
engine: $(ENGINE)/worker/index_bg.wasm $(BROWSER_ENGINE)

$(TAILOR): $(ENGINE_SOURCES)
	$(CARGO) build --bin tailor
	@touch $@

cli: $(TAILOR)

## site: compile $(RULES) into the worker (no cargo: well under a second).
site: engine cli
	$(TAILOR) build $(RULES) --out $(SITE)

clean:
	rm -rf build target/wasm32-unknown-unknown
