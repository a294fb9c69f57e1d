# wecom-fcgi — the two commands a newcomer needs: `make run` and `make test`.
SWIFT      ?= swift
CONFIG     ?= release
BUILD_DIR  := .build
BIN        := $(BUILD_DIR)/$(CONFIG)/wecom-fcgi
PYTEST     := .venv/bin/python -m pytest

.PHONY: all deps build release run test test-swift test-python clean bench

all: build

deps:
	@scripts/install-deps.sh --with-python

build: deps
	$(SWIFT) build -c $(CONFIG)

# Builds the release binary and shows its help (the responder issue turns this into the service).
run: build
	$(BIN) --help

# Every test: Swift unit tests, then the Python suite (wechatpy cross-checks, nginx integration).
test: deps
	$(SWIFT) build -c $(CONFIG)
	$(SWIFT) test
	WECOM_FCGI_BIN=$(abspath $(BIN)) $(PYTEST) -q Tests/Python

bench: build
	bench/run-micro.sh

clean:
	rm -rf $(BUILD_DIR) .venv
