# Two commands: `make serve` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
BVTE_DATA_DIR ?= ./var
export BVTE_DATA_DIR
export NO_MKDOCS_2_WARNING := 1

.PHONY: install build serve test bench chromium headless-shell clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[site,test,serve]'
	touch $@

install: $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## build: the static site alone, into site/
build: install
	$(BIN)/mkdocs build --strict

## serve: build, then serve the site and the functions on 127.0.0.1:$(PORT)
serve: build
	$(BIN)/bvte serve --port $(PORT) --data-dir $(BVTE_DATA_DIR)

## headless-shell: Debian's headless Chromium for the browser tests (installed when root and missing)
HEADLESS_SHELL := /usr/lib/chromium/chromium-headless-shell
headless-shell:
	@if [ -x $(HEADLESS_SHELL) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell fonts-noto-core >/dev/null; \
	else echo "Browser tests need Debian's headless Chromium: sudo apt-get install chromium-headless-shell" >&2; exit 1; fi

## chromium: Debian's full Chromium, for Lighthouse in the benchmarks (installed when root and missing)
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-core >/dev/null; \
	else echo "Lighthouse needs Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi

## test: the whole suite, browser and S3 tests included. Bytecode is cached even where the environment
## says not to: the workers and the many Python processes the tests start would each compile every module.
## The tests' files (tmp_path, SeaweedFS's volumes, browser profiles) are kept in memory when /dev/shm is
## there and TMPDIR is not set: the storage's durable writes call fsync some 20,000 times a run, and on a
## disk each waits for the journal (4 min 30 s and 488 busy CPU-s on disk, 3 min 59 s and 444 in memory).
TEST_TMPDIR := $(or $(TMPDIR),$(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm))
test: install node_modules/.package-lock.json headless-shell
	env -u PYTHONDONTWRITEBYTECODE $(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR)) $(BIN)/pytest

bench/node_modules/.package-lock.json: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --loglevel=error

## bench: benchmarks; figures go to bench/RESULTS.md by hand after reading them
bench: install node_modules/.package-lock.json bench/node_modules/.package-lock.json chromium headless-shell
	$(BIN)/python -m bench

clean:
	rm -rf site .pytest_cache .hypothesis

## vendor-js: libsodium for the browser (the self-assessment page loads it only to seal a file it sends
## ahead), copied from node_modules with its licence; run after changing its pinned version in package.json
VENDOR_JS := theme/assets/js/vendor
.PHONY: vendor-js
vendor-js: node_modules/.package-lock.json
	mkdir -p $(VENDOR_JS)
	cp node_modules/libsodium/dist/modules/libsodium.js $(VENDOR_JS)/libsodium.js
	cp node_modules/libsodium/LICENSE $(VENDOR_JS)/libsodium.LICENSE
	cp node_modules/libsodium-wrappers/dist/modules/libsodium-wrappers.js $(VENDOR_JS)/libsodium-wrappers.js
	cp node_modules/libsodium-wrappers/LICENSE $(VENDOR_JS)/libsodium-wrappers.LICENSE
