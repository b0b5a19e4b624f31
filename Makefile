# berth: convenience targets over meson/ninja and the test suites.
#   make run     build, make the built-in busybox image, run a container from it with berth
#   make check   deps, build, unit tests and the end-to-end suite (summary at the end)

BUILD      ?= build
BUILD_ASAN ?= build-asan
RUNTIME_BIN = $(BUILD)/src/cmd/berth-runtime/berth-runtime
BERTH_BIN   = $(BUILD)/src/cmd/berth/berth
RUN_DIR     = $(BUILD)/run

.PHONY: all deps build asan run check check-unit check-e2e check-asan check-cgroup2 check-systemd bench clean

all: build

deps:
	scripts/deps.sh

# meson is configured once; `ninja` re-runs it when a meson.build changes.
build:
	scripts/deps.sh --build-only
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) -Dbuildtype=release
	ninja -C $(BUILD)

# The built-in default image (from the host's static busybox), then a container from it.
run: build
	@set -e; \
	export BERTH_ROOT=$(abspath $(RUN_DIR))/root BERTH_RUN_ROOT=$(abspath $(RUN_DIR))/runroot; \
	echo "+ berth image bootstrap"; \
	$(BERTH_BIN) image bootstrap; \
	$(BERTH_BIN) images; \
	echo "+ berth run --rm busybox sh -c ..."; \
	$(BERTH_BIN) run --rm --name berth-demo busybox \
		sh -c 'echo "hostname: $$(hostname)"; echo "--- id"; id; echo "--- ps"; ps; echo "--- /proc/self/status"; grep -E "^(CapEff|Seccomp|NoNewPrivs)" /proc/self/status'

check: deps build asan
	scripts/deps.sh --vm
	ASAN_BUILD=$(BUILD_ASAN) scripts/run-checks.sh $(BUILD)

# Without deps/build: for a quick rerun.
check-unit:
	E2E=0 VM=0 scripts/run-checks.sh $(BUILD)

check-e2e:
	scripts/run-checks.sh $(BUILD)

# The sanitizer build: its unit tests run in `make check`, everything in `make check-asan`.
asan:
	scripts/deps.sh --build-only
	@[ -f $(BUILD_ASAN)/build.ninja ] || \
		meson setup $(BUILD_ASAN) -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(BUILD_ASAN)

check-asan: deps asan
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		scripts/run-checks.sh $(BUILD_ASAN)

# The runtime on a pure cgroup v2 host, whatever this host's layout: a qemu VM
# (KVM when usable, else TCG) boots Debian's kernel with cgroup_no_v1=all.
check-cgroup2: build
	scripts/deps.sh --vm
	RUNTIME=$(RUNTIME_BIN) BERTH_VM_DIR=$(BUILD)/vm tests/vm/run.sh

# The systemd cgroup driver with systemd as PID 1: a qemu VM (cached debootstrap rootfs), unified and hybrid.
check-systemd: build
	scripts/deps.sh --vm
	RUNTIME=$(RUNTIME_BIN) BERTH_VM_DIR=$(BUILD)/vm-systemd tests/vm/systemd-run.sh

bench: build
	BERTH=$(abspath $(RUNTIME_BIN)) bench/run.sh
	BERTH=$(abspath $(RUNTIME_BIN)) bench/exec.sh
	INFLATE_BENCH=$(abspath $(BUILD))/tests/helpers/inflate-bench bench/inflate.sh
	BERTH=$(abspath $(BUILD))/src/cmd/berth/berth bench/load.sh
	BERTH_CLI=$(abspath $(BUILD))/src/cmd/berth/berth bench/engine.sh
	BERTH=$(abspath $(BUILD))/src/cmd/berth/berth bench/pull.sh
	BERTH_CLI=$(abspath $(BUILD))/src/cmd/berth/berth bench/network.sh

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) bench/results
