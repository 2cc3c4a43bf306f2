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
# Every plugin package under plugins/ except the SDK.
PLUGINS := $(filter-out sdk,$(notdir $(patsubst %/Package.swift,%,$(wildcard plugins/*/Package.swift))))

DOCS := $(CURDIR)/.build-docs

.PHONY: all build deps plugins fixtures docs run demo test test-unit test-plugins soak clean

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
	  $(SWIFT) build -c $(CONFIG) --package-path plugins/$$p; \
	  cp plugins/$$p/.build/$(CONFIG)/lib*.so $(STAGE)/; \
	done
	@ls $(STAGE)

fixtures:
	@mkdir -p $(FIXTURES)
	$(SWIFT) build --package-path Tests/Fixtures/plugins
	@cp Tests/Fixtures/plugins/.build/debug/libfixture-*.so $(FIXTURES)/
	@# The payment plugin as the catalog has it today (only mission.started), to ship its ⚠️ handlers by reload.
	$(SWIFT) build --package-path plugins/payment --scratch-path $(FIXTURES)/payment-baseline-build -Xswiftc -DPAYMENT_CATALOG_BASELINE >/dev/null
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
run: deps build plugins
	@mkdir -p $(RUNDIR)/state
	@rm -rf $(RUNDIR)/etc && cp -r etc/devtrip-eventd $(RUNDIR)/etc
	@sed -i 's|^object_store_root = .*|object_store_root = "$(RUNDIR)/state/mission-results"|' $(RUNDIR)/etc/plugins.d/ai-evaluation.toml
	$(CURDIR)/.build/$(CONFIG)/devtrip-eventd --config $(RUNDIR)/etc/eventd.toml \
	  --brokers embedded --plugin-dir $(STAGE) --state-dir $(RUNDIR)/state \
	  --runtime-dir $(RUNDIR)/run --control-socket $(RUNDIR)/run/control.sock

# A scripted user journey published into the daemon `make run` started (in another terminal),
# then the chain of events it caused, with causation links (docs/demo.sh).
demo:
	@bash docs/demo.sh $(RUNDIR)

# Each plugin package runs its own tests against the SDK's test host.
test-plugins:
	@for p in sdk $(PLUGINS); do echo "== tests of plugins/$$p"; $(SWIFT) test --package-path plugins/$$p; done

# The PostgreSQL store tests share one throwaway server (.ci/postgres.sh), removed afterwards.
test-unit: build plugins fixtures docs
	pg=$$(mktemp -d /tmp/eventd-pg.XXXXXX); trap 'bash .ci/postgres.sh destroy '$$pg EXIT; \
	EVENTD_POSTGRES_URL=$$(bash .ci/postgres.sh start $$pg | tail -n1) \
	EVENTD_PLUGIN_STAGE=$(STAGE) EVENTD_FIXTURE_STAGE=$(FIXTURES) EVENTD_DOCS=$(DOCS) \
	EVENTD_BIN=$(CURDIR)/.build/$(CONFIG)/devtrip-eventd NOIDA_BIN=$$(cat .venv-noida/NOIDA_BIN) \
	  $(SWIFT) test

test: deps test-plugins test-unit test-system

# The full-size kill -9 soak (make test runs a 4,000-event variant): about 40 s once built (measured 37.7 s).
soak: deps build plugins fixtures
	EVENTD_SOAK_EVENTS=20000 EVENTD_SOAK_KILLS=5 EVENTD_FIXTURE_STAGE=$(FIXTURES) EVENTD_PLUGIN_STAGE=$(STAGE) \
	EVENTD_BIN=$(CURDIR)/.build/$(CONFIG)/devtrip-eventd $(SWIFT) test --filter killMinusNineSoak

clean:
	rm -rf .build .build-plugins .build-run .build-docs plugins/*/.build Tests/Fixtures/plugins/.build

# Debian packages (packaging/debian, DESIGN §6): installs the build tools
# (.ci/setup-system-deps.sh, as root), then builds devtrip-eventd,
# devtrip-eventd-dev and one devtrip-eventd-plugin-<name> per plugins/<name>
# into dist/ and checks them with lintian. DEB_PLUGINS="a b" builds only those plugins.
.PHONY: deb test-system
deb:
	@bash .ci/setup-system-deps.sh
	bash .ci/build-debs.sh

# Installs, runs, upgrades and purges the debs in a booted Debian 12 container
# (systemd-nspawn on a debootstrap rootfs cached in .build-system/; DESIGN §5).
test-system: deb
	bash packaging/tests/system-test.sh
