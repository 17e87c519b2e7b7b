# Cinergy: `make run` serves the agent with the shipped defaults, `make test` runs every test,
# `make check` the unit tests, `make install` installs it as a systemd service from source,
# `make deb` builds the Debian package (deploy/README.md).
# `make help` lists every target. They install what they need (Debian packages via apt-get) when
# it is missing, except `make check`, which needs no root.

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
# (`systemctl disable --now prometheus prometheus-node-exporter` if you do not want it).
TEST_PACKAGES := qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients curl procps \
	openssl python3 python3-venv chromium util-linux stress-ng prometheus cpio
# Python tools of the test suite (from PyPI), in a virtual environment under .build.
VENV := .build/venv
PYTHON_TOOLS := schemathesis==4.32.5 openapi-schema-validator==0.9.0 rfc3339-validator pyyaml
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBUG_BIN = .build/debug/cinergy
RELEASE_BIN = .build/release/cinergy
# The man page cinergy(1), generated from the command's help (`make man`).
MAN_PAGE := .build/man/cinergy.1

# `make install` paths: the binary goes to $(DESTDIR)$(PREFIX)/bin; the unit and the config always
# go under /etc. DESTDIR stages the tree elsewhere (for a package): no user is created then.
PREFIX ?= /usr/local
DESTDIR ?=
UNIT_DIR := /etc/systemd/system
CONFIG_DIR := /etc/cinergy
INSTALL_SUDO := $(if $(DESTDIR),,$(SUDO))

# Removes the test VMs and processes whose names start with $$prefix (set by the recipe before
# it), however the recipe ends.
define E2E_CLEANUP
cleanup() {
  pkill -KILL -f "guest=$$prefix" 2>/dev/null || true
  for domain in $$(virsh -c qemu:///system list --all --name 2>/dev/null | grep "^$$prefix" || true); do
    virsh -c qemu:///system destroy "$$domain" >/dev/null 2>&1 || true
    virsh -c qemu:///system undefine "$$domain" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
endef

# The unit-test targets: no root, no libvirtd (libvirt on test:///default), no network.
UNIT_TESTS := CinergyCoreTests|CinergyAgentTests|CinergyLibvirtTests|CinergyMeterTests|CinergyCalibrationTests|CinergyLedgerTests

.PHONY: readme-table help deps test-deps install-packages libvirtd venv build build-tests release man run check test soak demo install uninstall deb-tools deb bench-tools bench clean

## List the targets, one line each.
help:
	@awk '/^## / { if (!text) text = substr($$0, 4); next } /^[a-z-]+:/ { if (text) printf "  %-12s %s\n", substr($$1, 1, length($$1) - 1), text; text = "" } /^$$/ { text = "" }' $(MAKEFILE_LIST)

## Install the missing Debian packages the build needs.
# (`test-deps`: what the tests and the demo need too.)
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES_WANTED="$(BUILD_PACKAGES)"

## Install the missing Debian packages the build, the tests and the demo need.
test-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES_WANTED="$(BUILD_PACKAGES) $(TEST_PACKAGES)"

install-packages:
	@missing=""
	for package in $(PACKAGES_WANTED); do
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"
	done
	if [ -n "$$missing" ]; then
	  echo "Installing:$$missing"
	  $(SUDO) apt-get update -q
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing
	fi

## Start virtlogd and libvirtd (for the tests) when they are not running; needs root.
libvirtd: test-deps
	@getent group kvm >/dev/null || $(SUDO) groupadd -r kvm
	# libvirtd refuses to start its QEMU driver without this user and group.
	getent group libvirt-qemu >/dev/null || $(SUDO) groupadd -r libvirt-qemu
	getent passwd libvirt-qemu >/dev/null || $(SUDO) useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
	# What Debian's udev rule does on a host: without it libvirt sees /dev/kvm it cannot use
	# and probes QEMU's capabilities again before every domain start (about 40 s each here).
	if [ -e /dev/kvm ]; then $(SUDO) chgrp kvm /dev/kvm && $(SUDO) chmod 660 /dev/kvm; fi
	$(SUDO) mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/qemu /run/libvirt
	pgrep -x virtlogd >/dev/null || $(SUDO) /usr/sbin/virtlogd --daemon
	# Read-only clients without polkit: on a host, polkit's default policy lets any local user
	# open the read-only socket; without D-Bus here, the daemon is told so directly.
	printf 'auth_unix_ro = "none"\nunix_sock_ro_perms = "0777"\n' | $(SUDO) tee /run/cinergy-libvirtd.conf >/dev/null
	pgrep -x libvirtd >/dev/null || $(SUDO) /usr/sbin/libvirtd --daemon --config /run/cinergy-libvirtd.conf
	for i in $$(seq 1 100); do
	  virsh -c qemu:///system version >/dev/null 2>&1 && exit 0
	  sleep 0.2
	done
	echo "libvirtd did not come up on qemu:///system" >&2
	exit 1

## Install the Python test tools (schemathesis, an OpenAPI validator) once per tool list.
venv: test-deps
	@stamp="$(VENV)/.tools-$$(echo '$(PYTHON_TOOLS)' | md5sum | cut -c1-12)"
	[ -f "$$stamp" ] && exit 0
	python3 -m venv "$(VENV)"
	"$(VENV)/bin/pip" install -q --upgrade pip
	"$(VENV)/bin/pip" install -q $(PYTHON_TOOLS)
	touch "$$stamp"

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
# swift-argument-parser's GenerateManual plugin (`swift package generate-manual`) on the debug
# build: the plugin builds every product in the configuration it is given, and in release it
# would relink .build/release/cinergy without --static-swift-stdlib. The date is the latest
# changelog entry's, so the page only changes with the command. scripts/man-layout.awk turns the
# help's plain-text discussion into paragraphs and a list of variables (man warns otherwise).
man: build
	@date=$$(date -u -d "$$(sed -n 's/^ -- .*>  //p' deploy/debian/changelog | head -n 1)" +%F)
	swift package generate-manual --configuration debug --date "$$date"
	mkdir -p $(dir $(MAN_PAGE))
	awk -f scripts/man-layout.awk .build/plugins/GenerateManual/outputs/cinergy/cinergy.1 > $(MAN_PAGE)
	echo "Generated $(MAN_PAGE)"

## Run the agent with .env (copied from dotenv when absent).
run: release
	@[ -f .env ] || { cp dotenv .env; echo "Created .env from dotenv"; }
	exec $(RELEASE_BIN)

## Rewrite README.md's configuration table from the variables' table in the code.
readme-table: build
	scripts/readme-table $(DEBUG_BIN)

## Run the unit tests only: no root, no libvirtd, no apt-get.
# Core, HTTP routes, libvirt on test:///default: about a minute after a build. Needs the build
# packages (`make deps`, once, as root).
check:
	@pkg-config --exists libvirt 2>/dev/null || [ -e /usr/include/libvirt/libvirt.h ] || \
	  { echo "make check: libvirt's headers are missing; run 'make deps' once (it installs $(BUILD_PACKAGES))" >&2; exit 1; }
	swift build --build-tests
	swift test --skip-build --filter '$(UNIT_TESTS)'

## Run every test: unit, end-to-end (real libvirtd and QEMU VMs), reliability; not benchmarks.
# End-to-end tests run the built binary. Test VMs carry the prefix cinergy-e2e-; whatever a
# crashed run left is removed.
test: libvirtd venv build-tests deb
	@prefix=cinergy-e2; prefix="$${prefix}e-"
	$(E2E_CLEANUP)
	# One test at a time: the end-to-end tests share the machine's libvirtd, which one of them kills.
	CINERGY_BINARY="$$(swift build --show-bin-path)/cinergy" CINERGY_VENV="$$PWD/$(VENV)" \
	  CINERGY_DEB="$$PWD/$(DEB_DIR)/cinergy_$$(tr -d '[:space:]' < VERSION)_$$(dpkg --print-architecture).deb" \
	  swift test --skip-build --no-parallel --skip CinergyBenchmarks

## Run the long reliability forms on the release binary (docs/RELIABILITY.md).
# 200 churn cycles, 5 libvirtd restarts, and 10 minutes of wrk load on /power, /vms and /metrics
# while VMs churn (CINERGY_SOAK_SECONDS).
soak: libvirtd venv release build-tests
	@$(MAKE) --no-print-directory install-packages PACKAGES_WANTED="wrk"
	CINERGY_BINARY="$$(swift build -c release --show-bin-path)/cinergy" CINERGY_SOAK=1 CINERGY_VENV="$$PWD/$(VENV)" \
	  CINERGY_SOAK_OUTPUT=/tmp/cinergy-soak.txt \
	  swift test --skip-build --no-parallel --filter 'FaultEndToEndTests|LibvirtEndToEndTests/libvirtdRestart|SoakLoad|RobustnessEndToEndTests|OpenAPIEndToEndTests'
	cat /tmp/cinergy-soak.txt

## Start a real QEMU VM with a known load beside the agent, show its readings, clean up.
demo: test-deps build
	@work=$$(mktemp -d /tmp/cinergy-demo.XXXXXX)
	port=$$(( 20000 + RANDOM % 20000 ))
	cleanup() { kill $$qemu $$agent 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$$work"; }
	trap cleanup EXIT
	# A boot sector that spins forever: one vCPU of the guest keeps one host core busy.
	printf '\353\376' > "$$work/spin.img"; truncate -s 510 "$$work/spin.img"; printf '\125\252' >> "$$work/spin.img"
	qemu-system-x86_64 -accel tcg -name guest=cinergy-demo,debug-threads=on -smp 2 -m 32 \
	  -uuid 0c1e5a0e-de30-4c1e-9000-000000000001 -display none -nodefaults -no-user-config \
	  -drive file="$$work/spin.img",format=raw,if=floppy &
	qemu=$$!
	env_file=.env; [ -f .env ] || env_file=dotenv
	$(DEBUG_BIN) --env-file "$$env_file" --port $$port --bind-address 127.0.0.1 2>"$$work/agent.log" &
	agent=$$!
	echo "Agent on http://127.0.0.1:$$port with a TCG VM 'cinergy-demo' (2 vCPUs, one spinning)"
	for i in $$(seq 1 60); do
	  curl -fs "http://127.0.0.1:$$port/power?vm=cinergy-demo" >/dev/null 2>&1 && break
	  sleep 0.5
	done
	for i in 1 2 3; do
	  sleep 1
	  echo "--- GET /power?vm=cinergy-demo"; curl -s "http://127.0.0.1:$$port/power?vm=cinergy-demo"
	done
	echo "--- GET /carbon?vm=cinergy-demo"; curl -s "http://127.0.0.1:$$port/carbon?vm=cinergy-demo"
	echo "--- GET /vms"; curl -s "http://127.0.0.1:$$port/vms"
	echo "--- GET /health"; curl -s "http://127.0.0.1:$$port/health"

## Install the release binary, the man page, the systemd unit and (when absent) the config, from source.
# Creates the user cinergy. Never overwrites /etc/cinergy/cinergy.env. Does not start anything.
# On a Debian host that is not a build machine, prefer the package (`make deb`, README).
install: release man
	@bin="$(DESTDIR)$(PREFIX)/bin/cinergy"
	man_page="$(DESTDIR)$(PREFIX)/share/man/man1/cinergy.1"
	unit="$(DESTDIR)$(UNIT_DIR)/cinergy.service"
	config="$(DESTDIR)$(CONFIG_DIR)/cinergy.env"
	if [ -z "$(DESTDIR)" ] && ! getent passwd cinergy >/dev/null; then
	  # A system user with no home and no login shell; its own group, or an existing one of that name.
	  group_option=--user-group; getent group cinergy >/dev/null && group_option="--gid cinergy"
	  $(SUDO) useradd --system $$group_option --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin --comment "Cinergy host agent" cinergy
	  echo "Created the system user cinergy"
	fi
	$(INSTALL_SUDO) install -D -m 0755 $(RELEASE_BIN) "$$bin"
	echo "Installed $$bin"
	$(INSTALL_SUDO) install -D -m 0644 $(MAN_PAGE) "$$man_page"
	echo "Installed $$man_page"
	# The unit names the binary by its installed path.
	staged=$$(mktemp); trap 'rm -f "$$staged"' EXIT
	sed 's|^ExecStart=/usr/local/bin/cinergy |ExecStart=$(PREFIX)/bin/cinergy |' deploy/cinergy.service > "$$staged"
	grep -q '^ExecStart=$(PREFIX)/bin/cinergy ' "$$staged"
	$(INSTALL_SUDO) install -D -m 0644 "$$staged" "$$unit"
	echo "Installed $$unit"
	# The config holds no secret; the agent (user cinergy) only reads it.
	if [ -e "$$config" ]; then
	  echo "Kept $$config (an existing config is never overwritten; deploy/cinergy.env is the current example)"
	else
	  $(INSTALL_SUDO) install -D -m 0644 deploy/cinergy.env "$$config"
	  echo "Installed $$config"
	fi
	echo
	if [ -n "$(DESTDIR)" ]; then
	  echo "Staged under $(DESTDIR); on the target host, create the user cinergy (no home, no shell)."
	else
	  echo "Next: put your host's model and carbon figures in $(CONFIG_DIR)/cinergy.env, then"
	  echo "  systemctl daemon-reload && systemctl enable --now cinergy"
	  echo "  curl -s http://127.0.0.1:8080/health"
	  echo "After an upgrade: systemctl restart cinergy"
	fi

## Remove the binary, the man page and the unit (stopping the service first); keeps /etc/cinergy and the user.
uninstall:
	@bin="$(DESTDIR)$(PREFIX)/bin/cinergy"
	man_page="$(DESTDIR)$(PREFIX)/share/man/man1/cinergy.1"
	unit="$(DESTDIR)$(UNIT_DIR)/cinergy.service"
	systemd_running=""; [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && systemd_running=yes
	if [ -n "$$systemd_running" ] && [ -e "$$unit" ]; then $(SUDO) systemctl disable --now cinergy.service || true; fi
	$(INSTALL_SUDO) rm -f "$$bin" "$$man_page" "$$unit"
	if [ -n "$$systemd_running" ]; then $(SUDO) systemctl daemon-reload; fi
	echo "Removed $$bin, $$man_page and $$unit; kept $(DESTDIR)$(CONFIG_DIR) and the user cinergy"

## Install the tools that build and check the Debian package: dpkg-dev, lintian, adduser.
DEB_PACKAGES := dpkg-dev lintian adduser binutils
DEB_DIR := .build/deb
deb-tools:
	@$(MAKE) --no-print-directory install-packages PACKAGES_WANTED="$(DEB_PACKAGES)"

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
	@$(MAKE) --no-print-directory install-packages PACKAGES_WANTED="$(BENCH_PACKAGES)"

## Run the benchmarks of the release binary (about 20 minutes; docs/BENCHMARKS.md).
# Sampling cost against a C floor, HTTP against nginx, scrape cost against
# prometheus-libvirt-exporter, freshness and start-up. The medians of CINERGY_BENCH_RUNS runs
# (default 3) go to $(BENCH_OUT)/results.md (scripts/bench-report) and a summary table is printed.
# A missed target is reported, not an error; a broken harness is.
bench: libvirtd bench-tools release build-tests
	@# This run's stand-in QEMUs and domains carry this prefix; only they are cleaned up.
	prefix="cinergy-e2e-bench-$$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
	export CINERGY_E2E_PREFIX="$$prefix"
	$(E2E_CLEANUP)
	rm -rf $(BENCH_OUT); mkdir -p $(BENCH_OUT)
	out="$$PWD/$(BENCH_OUT)"
	export CINERGY_BENCH_OUTPUT="$$out" CINERGY_MEASURE_OUTPUT="$$out/freshness.txt"
	export CINERGY_BINARY="$$PWD/$(RELEASE_BIN)"
	load_before=$$(cut -d' ' -f1-3 /proc/loadavg)
	started=$$(date -u +%FT%TZ)
	# One suite per run of the test binary, so that no two measurements overlap.
	for suite in SamplingCostBenchmark HTTPThroughputBenchmark ScrapeCostBenchmark FreshnessMeasurement StartupBenchmark; do
	  echo "=== $$suite"
	  swift test --skip-build --no-parallel --filter "CinergyBenchmarks.$$suite" 2>&1 | tee "$$out/$$suite.log" | grep -E '^(BENCHMARK|\| |✘|✔ Test run)' || true
	  if ! grep -q "✔ Test run with [1-9]" "$$out/$$suite.log" || grep -q "✘" "$$out/$$suite.log"; then
	    echo "make bench: $$suite failed (the harness, not a target): see $(BENCH_OUT)/$$suite.log" >&2
	    exit 1
	  fi
	done
	scripts/bench-report "$$out" "$$started" "$$load_before" "$(RELEASE_BIN)" > "$$out/results.md"
	echo
	sed -n '1,/^## Runs/p' "$$out/results.md" | sed '$$d'
	echo "Per-run figures: $(BENCH_OUT)/results.md"

## Remove the build (and the Python tools' environment under it).
clean:
	rm -rf .build
