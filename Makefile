# wecom-fcgi — the two commands a newcomer needs: `make run` and `make test`.
SWIFT      ?= swift
BUILD_DIR  := .build
BIN        := $(BUILD_DIR)/release/wecom-fcgi
PYTEST     := .venv/bin/python -m pytest

.PHONY: all deps build release run test test-swift test-python clean bench bench-micro bench-compare fuzz sanitize soak deb test-package

all: build

deps:
	@scripts/install-deps.sh --with-python

# The release build (scripts/build-release.sh: static Swift stdlib, full RELRO) — the binary the tests
# test, `make run` runs, the benchmarks measure and the .deb ships.
build:
	@scripts/install-deps.sh
	SWIFT=$(SWIFT) scripts/build-release.sh

# Builds the release binary and runs it behind a private nginx on 127.0.0.1:8080 (all under .run/),
# with the published sample credentials; prints curl commands to try. Ctrl-C stops both.
run:
	@scripts/install-deps.sh
	scripts/run-local.sh

# Every test: Swift unit tests, then the Python suite (wechatpy cross-checks, nginx integration).
test: deps
	SWIFT=$(SWIFT) scripts/build-release.sh
	$(SWIFT) test
	WECOM_FCGI_BIN=$(abspath $(BIN)) $(PYTEST) -q Tests/Python

# The Debian package dist/wecom-fcgi_<version>_<arch>.deb (dpkg-deb), from the release build
# (scripts/build-release.sh, the same binary `make test` tested); the version is `wecom-fcgi --version`.
deb:
	@scripts/install-deps.sh --for-packaging
	scripts/build-deb.sh dist

# Builds the package, checks its contents, Depends and lintian, installs it with apt into a clean
# Debian 12 root (debootstrap) and answers a request there, installs it on this machine (root),
# serves simulated messages through nginx as wecom-fcgi.socket would start it, then removes and purges
# it. Slow (the static build and xz): not part of `make test`, whose test_deploy.py checks the units,
# socket activation and the Grafana dashboard with the normal build.
test-package:
	@scripts/install-deps.sh --for-packaging
	scripts/test-package.sh

# Benchmarks: in-process micro-benchmarks, then the comparative run through nginx with wrk
# (installs wrk, nginx-light and bench/.venv itself; writes bench/results.md and bench/results.png).
bench: bench-micro bench-compare

bench-micro: build
	bench/run-micro.sh

bench-compare: deps
	bench/run-compare.sh

# Soak: SOAK_SECONDS (600) of mixed traffic through nginx; checks 5xx, RSS, fds and the journal count.
soak: deps
	bench/soak.sh

# libFuzzer targets (fuzz/), each run for SECONDS (default 60); crashes land in fuzz/artifacts/.
SECONDS ?= 60
fuzz:
	fuzz/run-fuzz.sh $(SECONDS)

# The Swift tests under AddressSanitizer and ThreadSanitizer, each in its own scratch path.
# LSan: scripts/lsan-suppressions.txt suppresses third-party leaks only (XCTest's runner, TOMLKit's string
# copies), each explained there.
sanitize:
	LSAN_OPTIONS=suppressions=$(abspath scripts/lsan-suppressions.txt) \
	    $(SWIFT) test --sanitize=address --scratch-path .build-asan
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

clean:
	rm -rf $(BUILD_DIR) .build-shared .build-asan .build-tsan .venv .run .run-* bench/.run bench/.run-soak dist
