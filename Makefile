# Cinergy: `make run` serves the agent with the shipped defaults, `make test` runs every test.
# Both install what they need (Debian packages via apt-get) when it is missing.

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c

# Debian packages: QEMU for real VMs in tests and the demo, libvirt's headers for the build.
PACKAGES := qemu-system-x86 libvirt-dev pkg-config curl procps
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBUG_BIN = .build/debug/cinergy
RELEASE_BIN = .build/release/cinergy

.PHONY: deps build release run test demo clean

## Install the Debian packages that are missing.
deps:
	@missing=""
	for package in $(PACKAGES); do
	  dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"
	done
	if [ -n "$$missing" ]; then
	  echo "Installing:$$missing"
	  $(SUDO) apt-get update -q
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing
	fi

build: deps
	swift build

release: deps
	swift build -c release

## Run the agent with .env (copied from dotenv when absent).
run: release
	@[ -f .env ] || { cp dotenv .env; echo "Created .env from dotenv"; }
	exec $(RELEASE_BIN)

## Run every test: unit tests, then end-to-end tests against the built binary and real QEMU VMs.
test: deps
	swift build --build-tests
	CINERGY_BINARY="$$(swift build --show-bin-path)/cinergy" swift test --skip-build

## Start a real QEMU VM with a known load beside the agent, show its readings, clean up.
demo: build
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

clean:
	rm -rf .build
