# Thin wrapper over meson: `make run` and `make check` from a fresh machine.
BUILD ?= build
MESON_OPTS ?=
# Extra arguments for `migcheck run` (suites, globs, --qemu ...).
ARGS ?=
# Extra arguments for `meson test` (e.g. --suite unit).
TESTARGS ?=
# Cases `make run` runs at once (guest boots are CPU-bound; 2 cores here).
JOBS ?= 2

.PHONY: all deps build run check check-shards bench probe clean

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
	@./$(BUILD)/migcheck run -j $(JOBS) $(ARGS)

check: build
	@meson test -C $(BUILD) --print-errorlogs $(TESTARGS)

# Two shards of a selection merged against the whole run (real runs, long).
SELECTION ?= smoke policy
check-shards: build
	@sh tests/reports/shard-merge.sh ./$(BUILD)/migcheck $(BUILD)/shard-check $(SELECTION)

bench: build
	@./$(BUILD)/migcheck bench $(ARGS)

probe: build
	@./$(BUILD)/migcheck probe $(ARGS)

clean:
	rm -rf $(BUILD)
