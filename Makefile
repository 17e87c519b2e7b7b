# Cinergy: `make run` serves the agent with the shipped defaults, `make test` runs every test,
# `make check` the unit tests, `make install` installs it as a systemd service from source,
# `make deb` builds the Debian package (deploy/README.md).
# `make help` lists every target. They install what they need (Debian packages via apt-get) when
# it is missing, except `make check`, which needs no root. The recipes that are programs live in
# scripts/, one script each, callable on their own.

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c

# Debian packages. To build: libvirt's headers. To test and demo: QEMU, libvirtd and virsh for
# real VMs, and the clients the tests drive the agent with.
BUILD_PACKAGES := libvirt-dev libsqlite3-dev
# cpio packs the guest channel tests' initramfs (scripts/test-guest, which fetches Debian's cloud
# kernel and busybox-static with `apt-get download` into .build/test-guest, not installing them).
# prometheus for promtool (the rules' unit tests and `promtool check metrics`); the tests never
# start its server, but on a host booted with systemd its package starts prometheus.service
# (`systemctl disable --now prometheus prometheus-node-exporter` if you do not want it). man-db for
# the package test's `man -w cinergy`.
TEST_PACKAGES := qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients curl procps \
	openssl python3 python3-venv chromium util-linux stress-ng prometheus man-db cpio postgresql
# Python tools of the test suite (from PyPI), in a virtual environment under .build.
VENV := .build/venv
PYTHON_TOOLS := schemathesis==4.32.5 openapi-schema-validator==0.9.0 rfc3339-validator pyyaml
DEBUG_BIN = .build/debug/cinergy
RELEASE_BIN = .build/release/cinergy
# The man page cinergy(1), generated from the command's help (`make man`).
MAN_PAGE := .build/man/cinergy.1

# `make install` paths: the binary goes to $(DESTDIR)$(PREFIX)/bin; the unit and the config always
# go under /etc. DESTDIR stages the tree elsewhere (for a package): no user is created then.
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: readme-table help deps test-deps libvirtd venv build build-tests release man run check test soak demo install uninstall deb-tools deb bench-tools bench clean

## List the targets, one line each.
help:
	@awk '/^## / { if (!text) text = substr($$0, 4); next } /^[a-z-]+:/ { if (text) printf "  %-12s %s\n", substr($$1, 1, length($$1) - 1), text; text = "" } /^$$/ { text = "" }' $(MAKEFILE_LIST)

## Install the missing Debian packages the build needs.
# (`test-deps`: what the tests and the demo need too.)
deps:
	@scripts/install-packages $(BUILD_PACKAGES)

## Install the missing Debian packages the build, the tests and the demo need.
test-deps:
	@scripts/install-packages $(BUILD_PACKAGES) $(TEST_PACKAGES)

## Start virtlogd and libvirtd (for the tests) when they are not running; needs root.
libvirtd: test-deps
	@scripts/start-libvirtd

## Install the Python test tools (schemathesis, an OpenAPI validator) once per tool list.
venv: test-deps
	@scripts/python-tools $(VENV) $(PYTHON_TOOLS)

## Build the debug binary.
build: deps
	swift build

## Build the debug binary and every test target (one test bundle for check, test, soak and bench).
build-tests: deps
	swift build --build-tests

## Build the release binary (the Swift runtime linked in).
# It runs on a host without the Swift toolchain, and loads the system's libvirt0 when LIBVIRT_URI
# names a libvirt.
release: deps
	swift build -c release --static-swift-stdlib --product cinergy

## Generate the man page cinergy(1) from the command's own help, into .build/man.
man: build
	@scripts/man $(MAN_PAGE)

## Run the agent with .env (copied from dotenv when absent).
run: release
	@[ -f .env ] || { cp dotenv .env; echo "Created .env from dotenv"; }
	exec $(RELEASE_BIN)

## Rewrite README.md's configuration table from the variables' table in the code.
readme-table: build
	scripts/readme-table $(DEBUG_BIN)

## Run the unit tests only: no root, no libvirtd, no apt-get.
# Every `<Module>Tests` target of Package.swift (scripts/unit-test-targets): core, HTTP routes,
# libvirt on test:///default, about a minute after a build. Needs the build packages (`make deps`,
# once, as root).
check:
	@pkg-config --exists libvirt 2>/dev/null || [ -e /usr/include/libvirt/libvirt.h ] || \
	  { echo "make check: libvirt's headers are missing; run 'make deps' once (it installs $(BUILD_PACKAGES))" >&2; exit 1; }
	swift build --build-tests
	swift test --skip-build --filter "$$(scripts/unit-test-targets)"

## Run every test: unit, end-to-end (real libvirtd and QEMU VMs), reliability; not benchmarks.
# End-to-end tests run the built binary. Test VMs carry the prefix cinergy-e2e-; whatever a
# crashed run left is removed. The Debian package's test (DebPackageEndToEndTests) is one of them,
# so the package is built first (`deb`).
test: libvirtd venv build-tests deb
	@trap 'scripts/e2e-cleanup cinergy-e2e-' EXIT
	# A throw-away PostgreSQL on a loopback port for the fleet's tests, removed however the run ends.
	postgres_dir=$$(scripts/postgres start)
	trap 'scripts/postgres destroy "$$postgres_dir"; scripts/e2e-cleanup cinergy-e2e-' EXIT
	set -a; . "$$postgres_dir/env"; set +a
	# One test at a time: the end-to-end tests share the machine's libvirtd, which one of them kills.
	CINERGY_BINARY="$$(swift build --show-bin-path)/cinergy" CINERGY_VENV="$$PWD/$(VENV)" \
	  CINERGY_DEB="$$PWD/$(DEB_DIR)/cinergy_$$(tr -d '[:space:]' < VERSION)_$$(dpkg --print-architecture).deb" \
	  swift test --skip-build --no-parallel --skip CinergyBenchmarks

## Run the long reliability forms on the release binary (docs/RELIABILITY.md).
# 200 churn cycles, 5 libvirtd restarts, and 10 minutes of wrk load on /power, /vms and /metrics
# while VMs churn (CINERGY_SOAK_SECONDS).
soak: libvirtd venv release build-tests
	@scripts/install-packages wrk
	CINERGY_BINARY="$$(swift build -c release --show-bin-path)/cinergy" CINERGY_SOAK=1 CINERGY_VENV="$$PWD/$(VENV)" \
	  CINERGY_SOAK_OUTPUT=/tmp/cinergy-soak.txt \
	  swift test --skip-build --no-parallel --filter 'FaultEndToEndTests|LibvirtEndToEndTests/libvirtdRestart|SoakLoad|RobustnessEndToEndTests|OpenAPIEndToEndTests'
	cat /tmp/cinergy-soak.txt

## Start a real QEMU VM with a known load beside the agent, show its readings, clean up.
demo: test-deps build
	@scripts/demo $(DEBUG_BIN)

## Install the release binary, the man page, the systemd unit and (when absent) the config, from source.
# Creates the user cinergy. Never overwrites /etc/cinergy/cinergy.env. Does not start anything.
# On a Debian host that is not a build machine, prefer the package (`make deb`, README).
install: release man
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install $(RELEASE_BIN) $(MAN_PAGE)

## Remove the binary, the man page and the unit (stopping the service first); keeps /etc/cinergy and the user.
uninstall:
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/uninstall

## Install the tools that build and check the Debian package: dpkg-dev, lintian, adduser.
DEB_PACKAGES := dpkg-dev lintian adduser binutils
DEB_DIR := .build/deb
deb-tools:
	@scripts/install-packages $(DEB_PACKAGES)

## Build the Debian package .build/deb/cinergy_VERSION_ARCH.deb from the release binary.
# The recipe is scripts/build-deb (stripped binary, unit, conffile, man page, dashboard, rules,
# maintainer scripts); lintian checks the result. Install with dpkg -i (README).
deb: deb-tools release man
	@deb=$$(scripts/build-deb $(RELEASE_BIN) $(MAN_PAGE) $(DEB_DIR))
	lintian --fail-on error "$$deb"
	echo "Built $$deb"

## Install the benchmarks' tools: wrk, nginx and prometheus-libvirt-exporter.
# Their services are not started (`make bench` runs its own nginx and exporter on free loopback ports).
BENCH_PACKAGES := wrk nginx prometheus-libvirt-exporter
BENCH_OUT := .build/bench
bench-tools:
	@scripts/install-packages $(BENCH_PACKAGES)

## Run the benchmarks of the release binary (about 20 minutes; docs/BENCHMARKS.md).
# scripts/bench: sampling cost, HTTP, scrape cost, freshness and start-up; the medians of
# CINERGY_BENCH_RUNS runs (default 3) go to $(BENCH_OUT)/results.md and a summary is printed.
bench: libvirtd bench-tools release build-tests
	@scripts/bench $(RELEASE_BIN) $(BENCH_OUT)

## Remove the build (and the Python tools' environment under it).
clean:
	rm -rf .build
