# Thin wrapper over meson: `make run` and `make check` from a fresh machine.
BUILD ?= build
MESON_OPTS ?=
# Extra arguments for `migcheck run` (suites, globs, --qemu ...).
ARGS ?=
# Extra arguments for `meson test` (e.g. --suite unit).
TESTARGS ?=
# Cases `make run` runs at once (guest boots are CPU-bound; 2 cores here).
JOBS ?= 2
# The QEMU under test for run, bench and probe (default: $MIGCHECK_QEMU or
# the installed one), e.g. make run QEMU=/opt/qemu/bin/qemu-system-x86_64.
QEMU ?=
QEMU_ARG = $(if $(QEMU),--qemu $(QEMU))

.PHONY: all deps build run check check-viommu bench probe clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/build.ninja:
	@meson setup $(BUILD) $(MESON_OPTS) >$(BUILD).setup.log 2>&1 || \
		{ cat $(BUILD).setup.log; rm -f $(BUILD).setup.log; exit 1; }
	@rm -f $(BUILD).setup.log

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD) --quiet >$(BUILD)/.make.log 2>&1 || { cat $(BUILD)/.make.log; exit 1; }

run: build
	@./$(BUILD)/migcheck run -j $(JOBS) $(QEMU_ARG) $(ARGS)

# The vIOMMU tier runs against every QEMU in MIGCHECK_QEMUS (colon-separated)
# and QEMU; with neither it skips.
check: build
	@MIGCHECK_QEMUS="$${MIGCHECK_QEMUS:-}$(if $(QEMU),:$(QEMU))" \
		meson test -C $(BUILD) --print-errorlogs $(TESTARGS)

check-viommu: build
	@MIGCHECK_QEMUS="$${MIGCHECK_QEMUS:-}$(if $(QEMU),:$(QEMU))" \
		meson test -C $(BUILD) --print-errorlogs --suite viommu $(TESTARGS)

bench: build
	@./$(BUILD)/migcheck bench $(QEMU_ARG) $(ARGS)

probe: build
	@./$(BUILD)/migcheck probe $(QEMU_ARG) $(ARGS)

clean:
	rm -rf $(BUILD)
