# devtrip-eventd — the two commands a newcomer needs:
#   make run    build the daemon and every plugin, run it on the embedded mock cluster
#   make test   install test dependencies and run every test
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CONFIG ?= debug
SWIFT ?= swift
STAGE := $(CURDIR)/.build-plugins/$(CONFIG)
FIXTURES := $(CURDIR)/.build-plugins/fixtures
RUNDIR := $(CURDIR)/.build-run
# Out-of-tree plugin builds `make run` loads too: directories of lib<name>.so files.
PLUGIN_DIRS ?=
RUN_PLUGINS := $(RUNDIR)/plugins
# Every plugin package under plugins/ except the SDK.
PLUGINS := $(filter-out sdk,$(notdir $(patsubst %/Package.swift,%,$(wildcard plugins/*/Package.swift))))

DOCS := $(CURDIR)/.build-docs

.PHONY: all build deps plugins fixtures docs run run-plugins run-deps demo test test-unit test-plugins soak clean

all: build plugins

deps:
	@bash .ci/setup-test-deps.sh >/dev/null

build:
	$(SWIFT) build -c $(CONFIG)

# Builds each plugin package on its own (as its team would) and stages the .so files.
plugins:
	@mkdir -p $(STAGE)
	@for p in $(PLUGINS); do \
	  echo "== plugin $$p"; \
	  bash .ci/sdk-stamp.sh check plugins/$$p/.build; \
	  $(SWIFT) build -c $(CONFIG) --package-path plugins/$$p; \
	  bash .ci/sdk-stamp.sh write plugins/$$p/.build; \
	  cp plugins/$$p/.build/$(CONFIG)/lib*.so $(STAGE)/; \
	done
	@ls $(STAGE)

fixtures:
	@mkdir -p $(FIXTURES)
	@bash .ci/sdk-stamp.sh check Tests/Fixtures/plugins/.build
	$(SWIFT) build --package-path Tests/Fixtures/plugins
	@bash .ci/sdk-stamp.sh write Tests/Fixtures/plugins/.build
	@cp Tests/Fixtures/plugins/.build/debug/libfixture-*.so $(FIXTURES)/
	@# The payment plugin as the catalog has it today (only mission.started), to ship its ⚠️ handlers by reload.
	@bash .ci/sdk-stamp.sh check $(FIXTURES)/payment-baseline-build
	$(SWIFT) build --package-path plugins/payment --scratch-path $(FIXTURES)/payment-baseline-build -Xswiftc -DPAYMENT_CATALOG_BASELINE >/dev/null
	@bash .ci/sdk-stamp.sh write $(FIXTURES)/payment-baseline-build
	@cp $(FIXTURES)/payment-baseline-build/debug/libpayment.so $(FIXTURES)/libpayment-0.9.0.so.variant
	@# Logs commits, syncs and offset stores in order, for the durability-order test (LD_PRELOAD;
	@# a folder of its own: the registry tests load every .so of the fixture folder).
	@mkdir -p $(FIXTURES)/interpose
	cc -shared -fPIC -O2 -Wall -o $(FIXTURES)/interpose/libsyncorder.so Tests/Fixtures/interpose/sync_order.c $$(pkg-config --cflags rdkafka) -ldl
	@# A mock cluster in its own process: a broker that outlives a daemon killed with SIGKILL.
	cc -O2 -Wall -o $(FIXTURES)/mockbroker Benchmarks/mockbroker/mockbroker.c $$(pkg-config --cflags --libs rdkafka) -ldl
	@# Five real rebuilds of the echo plugin with other version strings, for the reload tests
	@# (one source copy each: an in-place edit within a second is not always seen as a change).
	@for v in 2 3 4 5 6; do \
	  src=$(FIXTURES)/echo-src-$$v; rm -rf $$src; mkdir -p $$src; \
	  cp -r plugins/echo/Package.swift plugins/echo/Sources plugins/echo/Tests $$src/; \
	  sed -i 's|path: "../sdk"|path: "$(CURDIR)/plugins/sdk"|' $$src/Package.swift; \
	  sed -i "s/static let version = \"[^\"]*\"/static let version = \"1.0.$$v\"/" $$src/Sources/Echo/EchoPlugin.swift; \
	  $(SWIFT) build --package-path $$src --product echo >/dev/null; \
	  cp $$src/.build/debug/libecho.so $(FIXTURES)/libecho-1.0.$$v.so.variant; \
	done
	@ls $(FIXTURES)

# Man pages and shell completion, generated from the command definitions.
docs: build
	@mkdir -p $(DOCS)/man $(DOCS)/completion
	$(SWIFT) package generate-manual --configuration $(CONFIG) >/dev/null
	@cp .build/plugins/GenerateManual/outputs/devtrip-eventctl/devtrip-eventctl.1 .build/plugins/GenerateManual/outputs/devtrip-eventd/devtrip-eventd.1 $(DOCS)/man/
	@for shell in bash zsh fish; do .build/$(CONFIG)/devtrip-eventctl --generate-completion-script $$shell > $(DOCS)/completion/devtrip-eventctl.$$shell; done
	@ls $(DOCS)/man $(DOCS)/completion

# The shipped configuration, with ai-evaluation's object store under the run's state directory.
# Loads the staged plugins/* and every lib*.so in PLUGIN_DIRS (see run-plugins).
run: run-deps build plugins run-plugins
	@mkdir -p $(RUNDIR)/state
	@rm -rf $(RUNDIR)/etc && cp -r etc/devtrip-eventd $(RUNDIR)/etc
	@sed -i 's|^object_store_root = .*|object_store_root = "$(RUNDIR)/state/mission-results"|' $(RUNDIR)/etc/plugins.d/ai-evaluation.toml
	$(CURDIR)/.build/$(CONFIG)/devtrip-eventd --config $(RUNDIR)/etc/eventd.toml \
	  --brokers embedded --plugin-dir $(RUN_PLUGINS) --state-dir $(RUNDIR)/state \
	  --runtime-dir $(RUNDIR)/run --control-socket $(RUNDIR)/run/control.sock

# `make run`'s plugin directory: symbolic links to the staged plugins and to
# every lib*.so in the directories of PLUGIN_DIRS (out-of-tree builds, e.g.
# PLUGIN_DIRS="$HOME/src/mission-rewards/.build/debug"; on a name clash the
# last wins). The daemon copies what a link names when it loads it, so
# `plugin-reload NAME` after a rebuild loads the new build; a plugin built
# into such a directory after the start needs this target again (it only
# adds and refreshes links, a running daemon keeps working), then `reload`.
# `make clean` removes the links, never what they point to.
run-plugins:
	@mkdir -p $(RUN_PLUGINS)
	@find $(RUN_PLUGINS) -maxdepth 1 -type l -delete
	@for so in $(STAGE)/lib*.so; do [ -e "$$so" ] && ln -sfn "$$so" $(RUN_PLUGINS)/; done; true
	@for dir in $(PLUGIN_DIRS); do \
	  [ -d "$$dir" ] || { echo "PLUGIN_DIRS: $$dir is not a directory" >&2; exit 1; }; \
	  found=0; for so in "$$(cd "$$dir" && pwd -P)"/lib*.so; do \
	    [ -e "$$so" ] || continue; found=1; ln -sfn "$$so" $(RUN_PLUGINS)/; done; \
	  [ $$found = 1 ] || { echo "PLUGIN_DIRS: no lib*.so in $$dir" >&2; exit 1; }; \
	done
	@ls -l $(RUN_PLUGINS) | sed -n 's/.* \(lib.*\.so -> .*\)/  \1/p'

# What `make run` needs (no test broker: it runs on the embedded mock cluster).
run-deps:
	@bash .ci/setup-run-deps.sh >/dev/null

# A scripted user journey published into the daemon `make run` started (in another terminal),
# then the chain of events it caused, with causation links (docs/demo.sh).
demo:
	@bash docs/demo.sh $(RUNDIR)

# Each plugin package runs its own tests against the SDK's test host.
# The plugin template too (built outside its directory: -dev ships that directory as it is).
test-plugins:
	@for p in sdk $(PLUGINS); do echo "== tests of plugins/$$p"; $(SWIFT) test --package-path plugins/$$p; done
	@# Release builds compile the SDK with cross-module optimisation (plugins/sdk/Package.swift): the JSON
	@# coders' byte-for-byte tests run once more as shipped, in the SDK and in payment (its wallet).
	@for p in sdk payment; do echo "== tests of plugins/$$p (release)"; \
	  $(SWIFT) test -c release -Xswiftc -enable-testing --package-path plugins/$$p --scratch-path $(CURDIR)/.build-plugins/release-tests-$$p; done
	@echo "== tests of the plugin template"
	$(SWIFT) test --package-path packaging/debian/plugin-template --scratch-path $(CURDIR)/.build-plugins/template

# The PostgreSQL store tests share one throwaway server (.ci/postgres.sh), removed afterwards.
test-unit: build plugins fixtures docs
	pg=$$(mktemp -d /tmp/eventd-pg.XXXXXX); trap 'bash .ci/postgres.sh destroy '$$pg EXIT; \
	EVENTD_POSTGRES_URL=$$(bash .ci/postgres.sh start $$pg | tail -n1) \
	EVENTD_PLUGIN_STAGE=$(STAGE) EVENTD_FIXTURE_STAGE=$(FIXTURES) EVENTD_DOCS=$(DOCS) \
	EVENTD_BIN=$(CURDIR)/.build/$(CONFIG)/devtrip-eventd NOIDA_BIN=$$(cat .venv-noida/NOIDA_BIN) \
	  $(SWIFT) test

test: deps test-plugins test-unit test-system test-fuzz

# The full-size kill -9 soak (make test runs a 4,000-event variant): about 40 s once built (measured 37.7 s).
soak: deps build plugins fixtures
	EVENTD_SOAK_EVENTS=20000 EVENTD_SOAK_KILLS=5 EVENTD_FIXTURE_STAGE=$(FIXTURES) EVENTD_PLUGIN_STAGE=$(STAGE) \
	EVENTD_BIN=$(CURDIR)/.build/$(CONFIG)/devtrip-eventd $(SWIFT) test --filter killMinusNineSoak

# Build output of this tree only: plugins built elsewhere (PLUGIN_DIRS) stay.
clean:
	rm -rf .build .build-plugins .build-run .build-docs .build-fuzz plugins/*/.build Tests/Fixtures/plugins/.build

# Debian packages (packaging/debian, docs/debian-packaging.md): installs the build tools
# (.ci/setup-system-deps.sh, as root), then builds devtrip-eventd,
# devtrip-eventd-dev and one devtrip-eventd-plugin-<name> per plugins/<name>
# into dist/ and checks them with lintian. DEB_PLUGINS="a b" builds only those plugins.
.PHONY: deb test-system
deb:
	@bash .ci/setup-system-deps.sh
	bash .ci/build-debs.sh

# Installs, runs, upgrades and purges the debs in a booted Debian 12 container
# (systemd-nspawn on a debootstrap rootfs cached in .build-system/; docs/systemd.md).
test-system: deb
	bash packaging/tests/system-test.sh

# libFuzzer targets over the parsers that read untrusted bytes (Tests/Fuzz/README.md):
# built with -sanitize=fuzzer,address into .build-fuzz (the targets exist only when
# EVENTD_FUZZ is set, so `make build` and `swift test` neither see nor build them), then
# each run for FUZZ_SECONDS from its seed corpus. `make test` runs a 5-second pass.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= FuzzEnvelopeScanner FuzzControlRequest FuzzMetricsRequest FuzzConfiguration FuzzSDKEnvelope
.PHONY: fuzz fuzz-build test-fuzz
# gold warns once per ASan helper symbol it cannot export ("Cannot export local
# symbol '__asan_check_...'"): noise of the sanitizer runtime, filtered out.
fuzz-build:
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz target $$t"; \
	  EVENTD_FUZZ=1 $(SWIFT) build --scratch-path $(CURDIR)/.build-fuzz --product $$t \
	    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 | { grep -v "Cannot export local symbol '__asan_" || true; }; \
	done

fuzz: fuzz-build
	bash Tests/Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=5
