# kdio: `make bench` runs the benchmark, `make test` runs the tests.
# Both install what they need first (ci/bootstrap.sh, idempotent).

PYTHON   ?= /usr/bin/python3
SUITE    ?= dio
KERNEL   ?= debian-6.1
# Several kernels run the same suite on each, then compare them: KERNELS="debian-6.1 debian-6.12"
KERNELS  ?= $(KERNEL)
# wall (time) or counted (guest instructions under QEMU icount); empty: the suite's own
MEASURE  ?=
# Modules of your own, loaded before kdio's: source folders (with a Kbuild file) or .ko files
MODULES  ?=
KDIO      = cd harness && $(PYTHON) -m kdio
PYTEST_ARGS ?=

.PHONY: all bench test test-unit deps fetch build plots compare regress clean

all: build

deps:
	@sh ci/bootstrap.sh

bench: deps
	$(KDIO) bench --suite "$(SUITE)" --kernel "$(KERNELS)" $(if $(MEASURE),--measure $(MEASURE)) \
		$(if $(MODULES),--module "$(abspath $(MODULES))")

# Redraw the plots and report of an earlier run: make plots RUN=<run-id>
plots: deps
	@test -n "$(RUN)" || { echo "usage: make plots RUN=<run-id or results/<run-id>>" >&2; exit 2; }
	$(KDIO) plots $(abspath $(RUN))

# Compare two runs: make compare BASE=results/a NEW=results/b [ARGS=--normalize]
compare: deps
	@test -n "$(BASE)" -a -n "$(NEW)" || { echo "usage: make compare BASE=<run> NEW=<run>" >&2; exit 2; }
	$(KDIO) compare $(ARGS) $(abspath $(BASE))/result.json $(abspath $(NEW))/result.json

# Run a gate suite and compare it with its committed baseline; exit 1 on a regression.
# GATE=ci (counted, the default) or GATE=ci-wall (wall-clock, ext4 on virtio-blk).
# BASE_KERNEL=A: run the gate on kernel A and on KERNEL, and compare them (A/B).
GATE     ?= ci
BASE_KERNEL ?=
regress: deps
	$(KDIO) regress --suite $(GATE) --kernel "$(KERNEL)" $(if $(MEASURE),--measure $(MEASURE)) \
		$(if $(BASE_KERNEL),--base-kernel "$(BASE_KERNEL)") \
		$(if $(MODULES),--module "$(abspath $(MODULES))") $(ARGS)

fetch: deps
	$(KDIO) fetch --kernel $(KERNEL)

build: deps
	$(KDIO) build --kernel $(KERNEL)

# Unit tests, the C builds and the real smoke boot (marked integration).
test: deps
	cd harness && $(PYTHON) -m pytest -ra $(PYTEST_ARGS) tests

# Unit tests only: no kernel download, no boot.
test-unit: deps
	cd harness && $(PYTHON) -m pytest -ra -m "not integration" $(PYTEST_ARGS) tests

clean:
	rm -rf build
