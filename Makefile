# Thin wrapper over meson: `make run` and `make check` from a fresh machine.
BUILD ?= build
MESON_OPTS ?=
# Extra arguments for `migcheck run` (suites, globs, --qemu ...).
ARGS ?=
# Extra arguments for `meson test` (e.g. --suite unit).
TESTARGS ?=
# Cases `make run` runs at once (guest boots are CPU-bound; 2 cores here).
JOBS ?= 2
# The sanitizer build (ASan and UBSan on the harness and its tests) that
# `make check` also builds, and the quick tests it runs there: the unit
# tests and the integration tests on what goes wrong (the migration suites
# run once, in the plain build).
SAN_BUILD ?= build-san
SAN_SUITES ?= --suite unit --suite agent --suite bare --suite policy --suite reports
SAN_TESTS ?= bad_input killed_harness faults
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The QEMU under test for run, bench and probe (default: $MIGCHECK_QEMU or
# the installed one), e.g. make run QEMU=/opt/qemu/bin/qemu-system-x86_64.
QEMU ?=
QEMU_ARG = $(if $(QEMU),--qemu $(QEMU))
# The vIOMMU tier runs against every QEMU in MIGCHECK_QEMUS (colon-separated)
# and QEMU; with neither it skips.
QEMUS_ENV = MIGCHECK_QEMUS="$${MIGCHECK_QEMUS:-}$(if $(QEMU),:$(QEMU))"

.PHONY: all deps build san-build run check check-viommu check-shards bench probe fuzz clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/build.ninja:
	@meson setup $(BUILD) $(MESON_OPTS) >$(BUILD).setup.log 2>&1 || \
		{ cat $(BUILD).setup.log; rm -f $(BUILD).setup.log; exit 1; }
	@rm -f $(BUILD).setup.log

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD) --quiet >$(BUILD)/.make.log 2>&1 || { cat $(BUILD)/.make.log; exit 1; }

$(SAN_BUILD)/build.ninja:
	@meson setup $(SAN_BUILD) -Dsanitize=true $(MESON_OPTS) >$(SAN_BUILD).setup.log 2>&1 || \
		{ cat $(SAN_BUILD).setup.log; rm -f $(SAN_BUILD).setup.log; exit 1; }
	@rm -f $(SAN_BUILD).setup.log

san-build: deps $(SAN_BUILD)/build.ninja
	@ninja -C $(SAN_BUILD) --quiet >$(SAN_BUILD)/.make.log 2>&1 || \
		{ cat $(SAN_BUILD)/.make.log; exit 1; }

run: build
	@./$(BUILD)/migcheck run -j $(JOBS) $(QEMU_ARG) $(ARGS)

check: build san-build
	@$(QEMUS_ENV) meson test -C $(BUILD) --print-errorlogs $(TESTARGS)
	@echo "== the same tests under ASan and UBSan ($(SAN_BUILD)) =="
	@$(SAN_ENV) meson test -C $(SAN_BUILD) --print-errorlogs $(SAN_SUITES)
	@$(SAN_ENV) meson test -C $(SAN_BUILD) --print-errorlogs $(SAN_TESTS)

check-viommu: build
	@$(QEMUS_ENV) meson test -C $(BUILD) --print-errorlogs --suite viommu $(TESTARGS)

# Two shards of a selection merged against the whole run (real runs, long).
SELECTION ?= smoke policy
check-shards: build
	@sh tests/reports/shard-merge.sh ./$(BUILD)/migcheck $(BUILD)/shard-check $(SELECTION)

bench: build
	@./$(BUILD)/migcheck bench $(QEMU_ARG) $(ARGS)

probe: build
	@./$(BUILD)/migcheck probe $(QEMU_ARG) $(ARGS)

# libFuzzer targets in build-fuzz, FUZZ_RUNS executions each (default 1000000).
fuzz: deps
	@sh scripts/fuzz.sh

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
