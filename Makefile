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

.PHONY: dev test setup setup-browser engine cli site clean

## dev: the worker in front of www/ under local workerd, personalized.
dev: setup site
	@echo "tailor: serving www/ through the worker at http://localhost:$(PORT)/ (TAILOR_DEV=1: x-tailor-* headers stand in for geo and time)"
	node_modules/.bin/wrangler dev --port $(PORT) --ip 127.0.0.1 --var TAILOR_DEV:1 --show-interactive-dev-session=false

## test: every test (unit, conformance, CLI, corpus, worker in workerd).
test: setup-browser site
	$(CARGO) test --all-targets
	node --test --test-concurrency=1 tests/edge/

setup:
	@bash .ci/setup

setup-browser:
	@bash .ci/setup --browser

$(ENGINE)/worker/index_bg.wasm: $(ENGINE_SOURCES)
	$(TOOLS) $(HOME)/.cargo/bin/worker-build --release --out-dir $(ENGINE)/worker -- --no-default-features --features edge
	@touch $@

## engine: the prebuilt wasm engine (cargo; only when the Rust code changes).
engine: $(ENGINE)/worker/index_bg.wasm

$(TAILOR): $(ENGINE_SOURCES)
	$(CARGO) build --bin tailor
	@touch $@

cli: $(TAILOR)

## site: compile $(RULES) into the worker (no cargo: well under a second).
site: engine cli
	$(TAILOR) build $(RULES) --out $(SITE)

clean:
	rm -rf build target/wasm32-unknown-unknown
