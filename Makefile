# kdio: `make bench` runs the benchmark, `make test` runs the tests.
# Both install what they need first (ci/bootstrap.sh, idempotent).

PYTHON   ?= /usr/bin/python3
SUITE    ?= dio
KERNEL   ?= debian-6.1
# Several kernels run the same suite on each, then compare them: KERNELS="debian-6.1 debian-6.12"
# A kernel is a name (harness/kernels) or a built tree's path: KERNEL=~/linux or KERNEL=build/
KERNELS  ?= $(KERNEL)
# Paths made absolute (kdio runs in harness/); names left as they are: a suite file of
# your own (SUITE=mysuites/drv.toml) as much as a kernel tree
abspaths = $(foreach k,$(1),$(if $(or $(findstring /,$(k)),$(wildcard $(k)/.),$(filter %.toml,$(k))),$(abspath $(k)),$(k)))
SUITE_ARGS = $(call abspaths,$(SUITE))
KERNEL_ARGS = $(foreach k,$(KERNELS),$(if $(or $(findstring /,$(k)),$(wildcard $(k)/.)),$(abspath $(k)),$(k)))
# wall (time) or counted (guest instructions under QEMU icount); empty: the suite's own
MEASURE  ?=
# Guests at once, the suite's cases split between them (docs/running.md "Several guests at once");
# empty: 1 in wall mode (parallel guests steal each other's CPU time), idle cores and memory in counted
JOBS     ?=
# PROFILE=1: count each case's instructions by function with kdio's QEMU plugin (counted mode;
# docs/profile.md), then `make profile RUN=<run-id>` prints where they go; PROFILE=stacks adds
# call stacks (folded, and a flame graph per path in the report). make regress
# profiles a counted gate unless PROFILE=0 (about 1.7x the VM time on ci)
PROFILE  ?=
# Modules of your own, loaded before kdio's: source folders (with a Kbuild file) or .ko files
MODULES  ?=
# The guest's configuration (docs/configurations.md): APPEND="mitigations=off" adds to the
# kernel's command line, SYSCTL="vm.dirty_ratio=10 ..." sets sysctls before the first case,
# MODULE_PARAMS="kdio_dio.work_loops=800" sets kdio's module parameters; each is checked
# in the guest to have taken effect, and the run refused if not
APPEND   ?=
SYSCTL   ?=
MODULE_PARAMS ?=
# COUNTABLE_DRIVERS="my-cbc-aes": crypto drivers of yours, declared CPU-only (counted mode checks them)
COUNTABLE_DRIVERS ?=
CONFIG_ARGS = $(if $(APPEND),--append "$(APPEND)") $(foreach s,$(SYSCTL),--sysctl "$(s)") \
	$(foreach p,$(MODULE_PARAMS),--module-param "$(p)") \
	$(foreach d,$(COUNTABLE_DRIVERS),--countable-driver "$(d)")
# STORE=results/store.sqlite (a file) or STORE=postgresql://USER@HOST/DB (a team's server):
# each run is added to the store of runs as it finishes (docs/results.md); make trend and
# make dashboard read it (the default store: $KDIO_STORE, else results/store.sqlite)
STORE    ?=
STORE_ARGS = $(if $(STORE),--store "$(if $(findstring ://,$(STORE)),$(STORE),$(abspath $(STORE)))")
KDIO      = cd harness && $(PYTHON) -m kdio
PYTEST_ARGS ?=

.PHONY: all bench test test-unit lint deps test-deps doctor fetch build plots parse profile compare regress bisect clean kernel kernel-config trend dashboard

all: build

# What make bench needs; what make test, lint and kernel need besides.
deps:
	@sh ci/bootstrap.sh bench

test-deps:
	@sh ci/bootstrap.sh test

# What each feature needs, and what this machine lacks, with the command that
# fixes it; installs nothing. FEATURES="ipsec crypto" checks those (and what
# they build on) and exits 1 if one lacks something. Needs only python3.
FEATURES ?=
doctor:
	@test -x $(PYTHON) || { echo "kdio doctor runs on $(PYTHON), which is not installed: apt-get install python3 (or sh ci/bootstrap.sh bench installs everything make bench needs)" >&2; exit 1; }
	@$(KDIO) doctor $(FEATURES)

# TARGET=host: the suite on the running kernel and this machine's devices
# (root; docs/real-hardware.md): DIR=folder DEVICE=/dev/x DESTROY_DATA_ON=/dev/x
# KDIR=headers. PASSTHROUGH=0000:03:00.0 gives a guest a host PCI device (KVM).
TARGET   ?= guest
HOST_ARGS = --target host $(if $(DIR),--dir "$(abspath $(DIR))") $(if $(DEVICE),--device "$(DEVICE)") \
	$(if $(DESTROY_DATA_ON),--destroy-data-on "$(DESTROY_DATA_ON)") $(if $(KDIR),--kdir "$(abspath $(KDIR))")
# HOSTS="2/user@a b :" runs the SUITE x KERNELS pairs across machines with GNU
# parallel over ssh, one job per pair, merged into results/<stamp>-hosts/
# (docs/many-hosts.md). HOSTS_FILE=file of 'sshlogin [checkout]' lines;
# REMOTE_DIR=the checkout on hosts without one (default: this path);
# HOSTS_SSH="ssh -F cfg": the ssh command.
HOSTS      ?=
HOSTS_FILE ?=
REMOTE_DIR ?=
HOSTS_SSH  ?=
ifneq ($(strip $(HOSTS)$(HOSTS_FILE)),)
bench: deps
	$(KDIO) hosts $(if $(HOSTS),--host "$(HOSTS)") $(if $(HOSTS_FILE),--hosts-file "$(abspath $(HOSTS_FILE))") \
		$(if $(REMOTE_DIR),--remote-dir "$(REMOTE_DIR)") $(if $(HOSTS_SSH),--ssh "$(HOSTS_SSH)") \
		--suite "$(SUITE_ARGS)" --kernel "$(KERNEL_ARGS)" $(if $(MEASURE),--measure $(MEASURE)) $(STORE_ARGS)
else
bench: deps
	$(KDIO) bench --suite "$(SUITE_ARGS)" $(if $(filter host,$(TARGET)),$(HOST_ARGS),--kernel "$(KERNEL_ARGS)") \
		$(if $(MEASURE),--measure $(MEASURE)) $(if $(MODULES),--module "$(abspath $(MODULES))") \
		$(foreach p,$(PASSTHROUGH),--passthrough $(p)) $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(filter-out 0,$(PROFILE)),--profile $(if $(filter stacks,$(PROFILE)),stacks,on)) \
		$(CONFIG_ARGS) $(STORE_ARGS)
endif

# Where a profiled run's instructions go: make profile RUN=<run-id> [CASE=part-of-a-case-id]
profile: deps
	@test -n "$(RUN)" || { echo "usage: make profile RUN=<run-id or results/<run-id>> [CASE=...]" >&2; exit 2; }
	$(KDIO) profile "$(abspath $(RUN))" $(if $(CASE),"$(CASE)")

# Redraw the plots and report of an earlier run: make plots RUN=<run-id>
plots: deps
	@test -n "$(RUN)" || { echo "usage: make plots RUN=<run-id or results/<run-id>>" >&2; exit 2; }
	$(KDIO) plots $(abspath $(RUN))

# Rebuild a run's result.json, table, plots and report from its records and
# console logs, with no boot (kdio parse): make parse RUN=<run-id>
parse: deps
	@test -n "$(RUN)" || { echo "usage: make parse RUN=<run-id or results/<run-id>>" >&2; exit 2; }
	$(KDIO) parse $(abspath $(RUN))

# Compare two runs: make compare BASE=results/a NEW=results/b [ARGS=--normalize]
compare: deps
	@test -n "$(BASE)" -a -n "$(NEW)" || { echo "usage: make compare BASE=<run> NEW=<run>" >&2; exit 2; }
	$(KDIO) compare $(ARGS) $(abspath $(BASE))/result.json $(abspath $(NEW))/result.json

# Run a gate suite and compare it with its committed baseline; exit 1 on a regression.
# GATE=ci (counted, the default) or GATE=ci-wall (wall-clock, ext4 on virtio-blk).
# BASE_KERNEL=A: run the gate on kernel A and on KERNEL, and compare them (A/B).
# Any configuration likewise: BASE_APPEND, BASE_SYSCTL, BASE_MODULE_PARAMS are BASE's
# APPEND, SYSCTL, MODULE_PARAMS (set one, even empty, and BASE is run now), e.g.
# make regress APPEND=mitigations=off BASE_APPEND=
# HISTORY=5: compare with the last 5 runs in the store (STORE=) of this suite, kernel and
# toolchain instead of the committed baseline (which stays the answer for an empty store),
# and add this run to it
GATE     ?= ci
HISTORY  ?=
BASE_KERNEL ?=
given = $(filter-out undefined,$(origin $(1)))
BASE_ARGS = $(if $(call given,BASE_APPEND),--base-append "$(BASE_APPEND)") \
	$(if $(call given,BASE_SYSCTL),$(if $(BASE_SYSCTL),$(foreach s,$(BASE_SYSCTL),--base-sysctl "$(s)"),--base-sysctl "")) \
	$(if $(call given,BASE_MODULE_PARAMS),$(if $(BASE_MODULE_PARAMS),$(foreach p,$(BASE_MODULE_PARAMS),--base-module-param "$(p)"),--base-module-param ""))
regress: deps
	$(KDIO) regress --suite $(GATE) --kernel "$(KERNEL)" $(if $(MEASURE),--measure $(MEASURE)) \
		$(if $(BASE_KERNEL),--base-kernel "$(BASE_KERNEL)") $(BASE_ARGS) $(CONFIG_ARGS) \
		$(if $(MODULES),--module "$(abspath $(MODULES))") \
		--profile $(if $(PROFILE),$(if $(filter 0,$(PROFILE)),off,$(if $(filter stacks,$(PROFILE)),stacks,on)),auto) \
		$(if $(HISTORY),--base store:last=$(HISTORY) $(if $(STORE),,--store)) $(STORE_ARGS) $(ARGS)

# Results over time, from the store (STORE=, docs/results.md): each series with its change
# points (make trend [CASE=part-of-a-case-id]), and a static page of them (make dashboard)
trend: deps
	$(KDIO) trend $(STORE_ARGS) $(if $(CASE),--case "$(CASE)")

dashboard: deps
	$(KDIO) dashboard $(STORE_ARGS) $(if $(CASE),--case "$(CASE)")

# Which commit made a path slower or faster (counted; docs/bisect.md):
# make bisect GOOD=rev BAD=rev TREE=~/linux [BASE=tinyconfig] [REUSE_BUILD=dir], or
# make bisect GOOD=rev BAD=rev MODULE_REPO=~/mydrv [MODULE_DIR=sub] [KERNEL=debian-6.1];
# the ci suite's cases unless SUITE= or CASE="id ..." says which
TREE        ?=
MODULE_REPO ?=
MODULE_DIR  ?=
REUSE_BUILD ?=
CASE        ?=
bisect: deps
	@test -n "$(GOOD)" -a -n "$(BAD)" -a -n "$(TREE)$(MODULE_REPO)" || { echo "usage: make bisect GOOD=<rev> BAD=<rev> TREE=<kernel git tree> | MODULE_REPO=<driver git repo> [SUITE=ci] [CASE=\"id ...\"]" >&2; exit 2; }
	$(KDIO) bisect --good "$(GOOD)" --bad "$(BAD)" $(if $(TREE),--tree "$(abspath $(TREE))" --base $(if $(wildcard $(BASE)),$(abspath $(BASE)),$(BASE))) \
		$(if $(MODULE_REPO),--module-repo "$(abspath $(MODULE_REPO))" --kernel "$(KERNEL)") \
		$(if $(MODULE_DIR),--module-dir "$(MODULE_DIR)") $(if $(REUSE_BUILD),--reuse-build "$(abspath $(REUSE_BUILD))") \
		$(if $(filter command line environment,$(origin SUITE)),--suite "$(SUITE_ARGS)") \
		$(foreach c,$(CASE),--case "$(c)") $(if $(filter 0,$(PROFILE)),--no-profile) $(ARGS)

fetch: deps
	$(KDIO) fetch --kernel $(KERNEL)

build: deps
	$(KDIO) build --kernel $(KERNEL)

# Build a guest kernel from a source (folder or tarball) with kdio's fragment
# merged into BASE (tinyconfig, defconfig or a .config file); cached, so a
# second run builds nothing. It ends by printing the KERNEL= for make bench.
# SET="CONFIG_X=y CONFIG_Y=n" changes options after the fragment: the B of an
# A/B pair, rebuilt from the build without them (only what they change).
SRC      ?= /usr/src/linux-source-6.1.tar.xz
BASE     ?= tinyconfig
SET      ?=
kernel: test-deps
	$(KDIO) kernel build $(abspath $(SRC)) --base $(if $(wildcard $(BASE)),$(abspath $(BASE)),$(BASE)) $(if $(OUT),--out $(abspath $(OUT))) $(foreach s,$(SET),--set '$(s)')

# Print the config fragment every guest and suite need.
kernel-config:
	@$(KDIO) kernel config

# sparse and W=1 on the modules (against each of KERNELS), shellcheck on
# every shell script, pyflakes on the harness; exit 1 on any finding.
# make test runs the same checks (harness/tests/test_lint.py).
lint: test-deps
	$(KDIO) lint $(foreach k,$(KERNELS),--kernel $(k))

# Unit tests, the C builds and the real smoke boot (marked integration).
test: test-deps
	cd harness && $(PYTHON) -m pytest -ra --durations=20 $(PYTEST_ARGS) tests

# Unit tests only: no kernel download, no boot.
test-unit: test-deps
	cd harness && $(PYTHON) -m pytest -ra -m "not integration" $(PYTEST_ARGS) tests

clean:
	rm -rf build
