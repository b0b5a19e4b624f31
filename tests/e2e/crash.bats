#!/usr/bin/env bats
# Crash safety of the engine: `berth run -d` (and `rm -f`) killed with
# SIGKILL at many points, the monitor of a running container killed, and 50
# concurrent runs.  Whatever is left, `berth ps -a` tells the truth about it
# and `berth rm -f` cleans it: no mount, no cgroup, no runtime state, no
# process.

load berth

setup() {
	berth_setup
	# short paths: unix sockets live under the run root
	export BERTH_ROOT=$BATS_TEST_TMPDIR/r BERTH_RUN_ROOT=$BATS_TEST_TMPDIR/rr
	berth_bootstrap >/dev/null
}

teardown() {
	local id
	for id in $(berth ps -aq --no-trunc 2>/dev/null); do berth rm -f -v "$id" >/dev/null 2>&1; done
	berth_teardown
}

# pids of processes in the container's cgroup (any hierarchy)
ctr_pids() {
	grep -l "/berth/$1\$" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3 | sort -u
}

# every id the store or the run root knows, listed or not
known_ids() {
	{
		berth ps -aq --no-trunc
		ls "$BERTH_ROOT/containers" "$BERTH_RUN_ROOT/containers" "$BERTH_RUN_ROOT/runtime" 2>/dev/null | grep -E '^[0-9a-f]{64}$'
	} | sort -u
}

# ps -a tells the truth: running <=> the command runs (pid alive, not a zombie, in its cgroup); else it does not run
assert_truthful() {
	local id st pid p comm
	for id in $(berth ps -aq --no-trunc); do
		read -r st pid < <(berth inspect --format '{{.State.Status}} {{.State.Pid}}' "$id")
		case $st in
		running)
			[ "$pid" -gt 0 ] || fail "$id: running without a pid"
			grep -q '^State:.*[RSD]' "/proc/$pid/status" 2>/dev/null || fail "$id: running, but pid $pid is gone"
			[ "$(cat "/proc/$pid/comm")" = "$1" ] || fail "$id: pid $pid is $(cat "/proc/$pid/comm"), not $1"
			grep -q "/berth/$id\$" "/proc/$pid/cgroup" || fail "$id: pid $pid is not in the container's cgroup"
			;;
		created | exited)
			[ "$pid" = 0 ] || fail "$id: $st with pid $pid"
			for p in $(ctr_pids "$id"); do
				comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
				grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && continue
				[ "$comm" != "$1" ] || fail "$id: $st, but its command runs (pid $p)"
			done
			;;
		*) fail "$id: unexpected state $st" ;;
		esac
	done
}

# the runtime's per-container state (its cache of compiled seccomp filters is shared, and stays)
runtime_state() {
	ls -A "$BERTH_RUN_ROOT/runtime" 2>/dev/null | grep -vx '\.seccomp-cache' || true
}

# after rm -f of everything: nothing of these ids anywhere
assert_no_leftovers() {
	local id m
	run berth ps -aq
	assert_output_is ""
	m=$(awk -v a="$BERTH_ROOT/" -v b="$BERTH_RUN_ROOT/" 'index($5, a) == 1 || index($5, b) == 1 { print $5 }' /proc/self/mountinfo)
	[ -z "$m" ] || fail "mounts left: $m"
	for id in "$@"; do
		if compgen -G "/sys/fs/cgroup/*/berth/$id" >/dev/null || [ -e "/sys/fs/cgroup/berth/$id" ]; then
			fail "cgroup left for $id: $(compgen -G "/sys/fs/cgroup/*/berth/$id")"
		fi
		[ -z "$(ctr_pids "$id")" ] || fail "processes left in $id: $(ctr_pids "$id")"
		if grep -qlz -- "$id" /proc/[0-9]*/cmdline 2>/dev/null; then
			fail "a process still names $id: $(grep -lz -- "$id" /proc/[0-9]*/cmdline 2>/dev/null)"
		fi
	done
	[ -z "$(runtime_state)" ] || fail "runtime state left: $(runtime_state)"
	[ -z "$(ls -A "$BERTH_RUN_ROOT/containers" 2>/dev/null)" ] || fail "run dirs left: $(ls "$BERTH_RUN_ROOT/containers")"
	[ -z "$(ls -A "$BERTH_ROOT/containers" 2>/dev/null)" ] || fail "container dirs left: $(ls "$BERTH_ROOT/containers")"
}

# how long one `run -d` takes here, in seconds (so the kills spread over all of it, ASan builds included)
run_time() {
	local t0 t1 id
	t0=$(date +%s%N)
	id=$(berth run -d busybox true)
	t1=$(date +%s%N)
	berth rm -f "$id" >/dev/null
	echo $(((t1 - t0) / 1000))
}

@test "kill -9 of run -d at many points: ps -a is truthful, rm -f leaves nothing" {
	us=$(run_time)
	ids=()
	for pct in 2 5 10 15 20 25 30 35 40 45 50 55 60 65 70 75 80 85 90 95 100 110 130; do
		d=$(awk -v us="$us" -v p="$pct" 'BEGIN { printf "%.4f", us * p / 100 / 1e6 }')
		timeout -s KILL "$d" "$BERTH" run -d busybox sleep 1000 >/dev/null 2>&1 || true
	done
	# what the killed runs left behind settles (their forked helpers finish or die)
	sleep 1
	assert_truthful sleep
	# at least one run was cut before it finished (else the test proves nothing)
	[ "$(berth ps -a --filter status=running -q | wc -l)" -lt 23 ] || fail "no run was interrupted"
	ids=($(known_ids))
	[ "${#ids[@]}" -gt 0 ]
	run berth rm -f "${ids[@]}"
	assert_success
	assert_no_leftovers "${ids[@]}"
}

@test "a container left created by a killed run can still be started, or removed" {
	us=$(run_time)
	found=
	for pct in 20 30 40 50 60 70 80; do
		d=$(awk -v us="$us" -v p="$pct" 'BEGIN { printf "%.4f", us * p / 100 / 1e6 }')
		timeout -s KILL "$d" "$BERTH" run -d busybox sleep 1000 >/dev/null 2>&1 || true
	done
	sleep 1
	for id in $(berth ps -aq --no-trunc --filter status=created); do
		run berth start "$id"
		if [ "$status" -eq 0 ]; then
			found=$id
			run berth inspect --format '{{.State.Status}}' "$id"
			assert_output_is running
		else
			# cut before its config was written: it cannot start, and says so, and stays created
			run berth inspect --format '{{.State.Status}}' "$id"
			assert_output_is created
		fi
		assert_truthful sleep
	done
	ids=($(known_ids))
	berth rm -f "${ids[@]}" >/dev/null
	assert_no_leftovers "${ids[@]}"
	[ -n "$found" ] || skip "no run was cut between create and start this time"
}

@test "kill -9 of rm -f at many points: ps -a is truthful, a second rm -f finishes the job" {
	for i in $(seq 8); do berth run -d --name "k$i" busybox sleep 1000 >/dev/null; done
	ids=($(known_ids))
	i=0
	for d in 0.005 0.01 0.02 0.03 0.05 0.08 0.12 0.2; do
		i=$((i + 1))
		timeout -s KILL "$d" "$BERTH" rm -f "k$i" >/dev/null 2>&1 || true
	done
	sleep 0.5
	assert_truthful sleep
	left=($(known_ids))
	[ "${#left[@]}" -eq 0 ] || berth rm -f "${left[@]}" >/dev/null
	assert_no_leftovers "${ids[@]}"
}

@test "kill -9 of the monitor: the container still shows running; stop records the exit and tears it down" {
	id=$(berth run -d busybox sleep 1000)
	pid=$(berth inspect --format '{{.State.Pid}}' "$id")
	mon=$(awk '{ print $4 }' "/proc/$pid/stat")
	[ "$(cat "/proc/$mon/comm")" = berth-monitor ]
	kill -9 "$mon"
	for _ in $(seq 50); do grep -q '^State:.*[RS]' "/proc/$mon/status" 2>/dev/null || break; sleep 0.1; done
	run berth ps -a --format '{{.ID}} {{.State}}'
	assert_output_is "${id:0:12} running"
	assert_truthful sleep
	run berth stop -t 1 "$id"
	assert_success
	run berth inspect --format '{{.State.Status}}' "$id"
	assert_output_is exited
	assert_truthful sleep
	# stop did the dead monitor's cleanup: no mount, no cgroup, no runtime state while it sits exited
	[ -z "$(awk -v d="$BERTH_RUN_ROOT/" 'index($5, d) == 1' /proc/self/mountinfo)" ] || fail "the root is still mounted"
	! compgen -G "/sys/fs/cgroup/*/berth/$id" >/dev/null || fail "cgroup left"
	[ -z "$(runtime_state)" ] || fail "runtime state left: $(runtime_state)"
	berth rm -f "$id" >/dev/null
	assert_no_leftovers "$id"
}

@test "kill -9 of the monitor, then of the container's process: ps -a says exited; rm -f of a running one with no monitor" {
	id=$(berth run -d busybox sleep 1000)
	id2=$(berth run -d busybox sleep 1000)
	pid=$(berth inspect --format '{{.State.Pid}}' "$id")
	kill -9 "$(awk '{ print $4 }' "/proc/$pid/stat")"
	kill -9 "$(awk '{ print $4 }' "/proc/$(berth inspect --format '{{.State.Pid}}' "$id2")/stat")"
	sleep 0.3
	kill -9 "$pid"
	for _ in $(seq 50); do grep -q '^State:.*[RS]' "/proc/$pid/status" 2>/dev/null || break; sleep 0.1; done
	run berth inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$id"
	assert_output_is "exited 255"
	run berth inspect --format '{{.State.Status}}' "$id2"
	assert_output_is running
	assert_truthful sleep
	run berth rm -f "$id" "$id2"
	assert_success
	assert_no_leftovers "$id" "$id2"
}

@test "50 concurrent run -d: 50 distinct containers with distinct names, all running, then all removed" {
	local i pids=()
	for i in $(seq 50); do
		"$BERTH" run -d busybox sleep 300 >"$BATS_TEST_TMPDIR/id.$i" 2>"$BATS_TEST_TMPDIR/err.$i" &
		pids+=($!)
	done
	# not a bare `wait`: it would also wait for bats' own test-timeout timer
	wait "${pids[@]}"
	cat "$BATS_TEST_TMPDIR"/err.* >&2
	[ -z "$(cat "$BATS_TEST_TMPDIR"/err.*)" ] || fail "some runs failed"
	[ "$(cat "$BATS_TEST_TMPDIR"/id.* | sort -u | grep -cE '^[0-9a-f]{64}$')" -eq 50 ]
	run berth ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.State}}'
	[ "${#lines[@]}" -eq 50 ]
	[ "$(printf '%s\n' "${lines[@]}" | awk '{ print $1 }' | sort -u | wc -l)" -eq 50 ]
	[ "$(printf '%s\n' "${lines[@]}" | awk '{ print $2 }' | sort -u | wc -l)" -eq 50 ]
	[ "$(printf '%s\n' "${lines[@]}" | awk '$3 == "running"' | wc -l)" -eq 50 ]
	assert_truthful sleep
	ids=($(cat "$BATS_TEST_TMPDIR"/id.*))
	# removed concurrently too, five at a time
	printf '%s\n' "${ids[@]}" | xargs -P 5 -n 10 "$BERTH" rm -f >/dev/null
	assert_no_leftovers "${ids[@]}"
}
