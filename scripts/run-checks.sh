#!/usr/bin/env bash
# run-checks.sh [BUILD_DIR]: the unit tests (meson test) and the end-to-end
# suite (bats --tap tests/e2e) against BUILD_DIR (default: build), then one
# summary line "N passed, N failed[, N skipped]".  TAP and logs are kept in
# BUILD_DIR/test-results/; the summary line also goes to .../summary.
# Exits non-zero if anything failed.
#
# Environment: ASAN_BUILD=DIR also runs the unit tests of a sanitizer build; E2E=0 skips the bats suite; VM=0 skips the VM tests (cgroup v2, systemd), SYSTEMD_VM=0 only the systemd one; BATS_FILTER=REGEX passes -f to bats;
# BATS_TEST_TIMEOUT (default 60) bounds each e2e test, E2E_TIMEOUT (default
# 2400) the whole suite; E2E_NETNS=0 runs it in the host's network namespace.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd) || exit 1
results=$build/test-results
mkdir -p "$results"
rm -f "$results"/unit.tap "$results"/e2e.tap "$results"/summary

passed=0 failed=0 skipped=0

# count_tap FILE: add FILE's TAP results to the totals (a "# skip" directive
# counts as skipped, "# TODO" failures are not failures).
count_tap() {
	local p f s
	read -r p f s < <(awk '
		BEGIN { p = f = s = 0; IGNORECASE = 1 }
		/^ok / { if ($0 ~ /# *skip/) s++; else p++ }
		/^not ok / { if ($0 ~ /# *todo/) s++; else f++ }
		END { print p, f, s }' "$1")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# --- unit tests: one TAP stream per binary, from meson's JSON log ------------
# run_unit BUILD_DIR NAME: meson test in BUILD_DIR, TAP into $results/NAME.tap
run_unit() {
	local dir=$1 name=$2 rc
	echo "== unit tests ($dir)"
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --no-rebuild --print-errorlogs >"$results/$name.log" 2>&1
	rc=$?
	tail -n 12 "$results/$name.log"
	if [ -f "$dir/meson-logs/testlog.json" ]; then
		# A binary that died or failed without a "not ok" line still counts once.
		jq -r '
			(.stdout // "") as $out
			| ($out | split("\n")) as $lines
			| ($lines | map(select(test("^not ok "))) | length) as $nok
			| ($lines | map(select(test("^(not )?ok "))) | length) as $n
			| $out,
			  (if (.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL" and $nok == 0)
			   then "not ok - \(.name): \(.result)" else empty end),
			  (if (.result == "SKIP" and $n == 0) then "ok - \(.name) # SKIP" else empty end)
		' "$dir/meson-logs/testlog.json" | grep -E '^(not )?ok ' >"$results/$name.tap"
		count_tap "$results/$name.tap"
	elif [ "$rc" -ne 0 ]; then
		echo "not ok - meson test failed to run" >"$results/$name.tap"
		failed=$((failed + 1))
	fi
}

run_unit "$build" unit
# The same unit tests built with ASan/UBSan (make check builds that tree).
if [ -n "${ASAN_BUILD:-}" ]; then
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_unit "$(cd "$ASAN_BUILD" && pwd)" unit-asan
fi

# --- end-to-end tests ------------------------------------------------------------
if [ "${E2E:-1}" != 0 ]; then
	echo "== e2e tests ($build)"
	bats_args=(--tap)
	[ -z "${BATS_FILTER:-}" ] || bats_args+=(-f "$BATS_FILTER")
	# To a file, not a pipe: a leftover container holding a pipe open would
	# keep a reader waiting forever.  `timeout` signals its whole process
	# group, so a hung suite is stopped with everything it started.
	: >"$results/e2e.tap"
	# In a network namespace of its own (loopback up): the bridges, veths and
	# nftables tables the engine's tests make never touch the host's network,
	# and whatever a failed test leaves there ends with the suite.
	netns=(unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh)
	[ "${E2E_NETNS:-1}" != 0 ] || netns=()
	BERTH_BUILD=$build BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60} \
		timeout -k 10 "${E2E_TIMEOUT:-2400}" "${netns[@]}" bats "${bats_args[@]}" "$top/tests/e2e" \
		>"$results/e2e.tap" 2>&1 </dev/null &
	bats_pid=$!
	tail -n +1 -f --pid="$bats_pid" "$results/e2e.tap"
	bats_rc=0
	wait "$bats_pid" || bats_rc=$?
	[ "$bats_rc" -ne 124 ] || echo "# e2e suite stopped after ${E2E_TIMEOUT:-2400}s"
	count_tap "$results/e2e.tap"
	# bats died before reporting every planned test: count the missing ones.
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$results/e2e.tap" | head -n1)
	seen=$(grep -cE '^(not )?ok [0-9]' "$results/e2e.tap")
	if [ -n "$plan" ] && [ "$seen" -lt "$plan" ]; then
		failed=$((failed + plan - seen))
	elif [ -z "$plan" ] && [ "$bats_rc" -ne 0 ]; then
		failed=$((failed + 1))
	fi
fi

# --- pure cgroup v2, in a VM (tests/vm) ------------------------------------------
if [ "${VM:-1}" != 0 ]; then
	echo "== cgroup v2 VM tests ($build)"
	RUNTIME=$build/src/cmd/berth-runtime/berth-runtime BERTH_VM_DIR=$build/vm \
		"$top/tests/vm/run.sh" >"$results/vm.log" 2>&1 </dev/null
	vm_rc=$?
	grep -E '^(not )?ok [0-9]' "$results/vm.log" >"$results/vm.tap"
	cat "$results/vm.tap"
	count_tap "$results/vm.tap"
	if [ "$vm_rc" -ne 0 ] && ! grep -q '^not ok' "$results/vm.tap"; then
		echo "not ok - cgroup v2 VM did not complete (see $results/vm.log)"
		failed=$((failed + 1))
	fi
fi

# --- the systemd cgroup driver, with systemd as PID 1 in a VM -----------------------
if [ "${VM:-1}" != 0 ] && [ "${SYSTEMD_VM:-1}" != 0 ]; then
	echo "== systemd VM tests ($build)"
	RUNTIME=$build/src/cmd/berth-runtime/berth-runtime BERTH_VM_DIR=$build/vm-systemd \
		"$top/tests/vm/systemd-run.sh" >"$results/vm-systemd.log" 2>&1 </dev/null
	vm_rc=$?
	grep -E '^(not )?ok [0-9]' "$results/vm-systemd.log" >"$results/vm-systemd.tap"
	cat "$results/vm-systemd.tap"
	count_tap "$results/vm-systemd.tap"
	if [ "$vm_rc" -ne 0 ] && ! grep -q '^not ok' "$results/vm-systemd.tap"; then
		echo "not ok - systemd VM did not complete (see $results/vm-systemd.log)"
		failed=$((failed + 1))
	fi
fi

summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary+=", $skipped skipped"
echo "$summary" >"$results/summary"
echo "$summary"
[ "$failed" -eq 0 ]
