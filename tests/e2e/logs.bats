#!/usr/bin/env bats
# berth logs: the container's stdout and stderr on ours, --tail, -t, --since,
# --until, -f (which ends when the container stops).

load berth

setup() {
	berth_setup
	berth image bootstrap >/dev/null
}

teardown() {
	local id
	for id in $("$BERTH" ps -aq --no-trunc 2>/dev/null); do
		"$BERTH" rm -f "$id" >/dev/null 2>&1 || true
	done
	berth_teardown
}

@test "logs: stdout to stdout, stderr to stderr" {
	berth run --name out busybox sh -c 'echo one; echo two >&2; echo three' >/dev/null 2>&1
	run --separate-stderr berth logs out
	assert_success
	assert_output_is "one"$'\n'"three"
	[ "$stderr" = "two" ] || fail "stderr: $stderr"
	# both, merged (the two pipes race, in docker too: no order between them)
	run berth logs out
	[ "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" = "one three two " ] || fail "merged: $output"
	# the container group has it too; --details adds nothing without log attributes
	run --separate-stderr berth container logs --details out
	assert_output_is "one"$'\n'"three"
}

@test "logs --tail: the last N lines; all; 0" {
	berth run --name many busybox sh -c 'for i in 1 2 3 4 5; do echo line$i; done' >/dev/null
	run berth logs --tail 2 many
	assert_output_is "line4"$'\n'"line5"
	run berth logs -n 1 many
	assert_output_is "line5"
	run berth logs --tail all many
	[ "${#lines[@]}" -eq 5 ] || fail "all: $output"
	run berth logs --tail 0 many
	assert_success
	assert_output_is ""
	run berth logs --tail 100 many
	[ "${#lines[@]}" -eq 5 ] || fail "more than there is: $output"
	run berth logs --tail -1 many
	[ "${#lines[@]}" -eq 5 ] || fail "negative: $output"
	run berth logs --tail x many
	assert_status 125
}

@test "logs -t: each line with its RFC 3339 time" {
	local before after t
	before=$(date +%s)
	berth run --name ts busybox sh -c 'echo hello' >/dev/null
	after=$(date +%s)
	run berth logs -t ts
	assert_success
	[[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ hello$ ]] ||
		fail "timestamped: $output"
	t=$(date -d "${output%% *}" +%s)
	[ "$t" -ge "$before" ] && [ "$t" -le "$after" ] || fail "time $t not in [$before, $after]"
}

@test "logs --since / --until: by time, unix seconds or a duration" {
	local t1 t2
	berth run --name timed busybox sh -c 'echo early; sleep 1.2; echo late' >/dev/null
	run berth logs -t timed
	t1=${lines[0]%% *}
	t2=${lines[1]%% *}
	run berth logs --since "$t2" timed
	assert_output_is "late"
	run berth logs --until "$t1" timed
	assert_output_is "early"
	run berth logs --since "$t1" --until "$t1" timed
	assert_output_is "early"
	# unix seconds, and a duration before now
	run berth logs --since "$(date -d "$t2" +%s.%N)" timed
	assert_output_is "late"
	run berth logs --since 1h timed
	assert_output_is "early"$'\n'"late"
	run berth logs --until 1h timed
	assert_output_is ""
	run berth logs --since yesterday-ish timed
	assert_status 125
}

@test "logs -f: follows the output and ends when the container stops" {
	local start
	berth run -d --name live busybox sh -c 'echo first; sleep 1; echo second; sleep 1; echo third' >/dev/null
	start=$(date +%s)
	run timeout 20 "$BERTH" logs -f live
	assert_success
	assert_output_is "first"$'\n'"second"$'\n'"third"
	# it waited for the container, which ran ~2 s
	[ $(($(date +%s) - start)) -ge 1 ] || fail "returned before the container ended"
	run berth inspect -f '{{.State.Status}}' live
	assert_output_is exited

	# an exited container: what it wrote, at once
	run timeout 5 "$BERTH" logs -f --tail 1 live
	assert_success
	assert_output_is "third"
}

@test "logs -f: a stop ends it; lines written meanwhile all arrive" {
	berth run -d --name loop busybox sh -c 'i=0; while :; do i=$((i+1)); echo n$i; sleep 0.1; done' >/dev/null
	timeout 20 "$BERTH" logs -f loop >"$BATS_TEST_TMPDIR/follow.out" &
	local pid=$!
	sleep 1
	berth stop -t 1 loop >/dev/null
	wait "$pid" || fail "logs -f failed or did not end"
	# every line the container wrote, none twice, none lost
	run berth logs loop
	[ "$(cat "$BATS_TEST_TMPDIR/follow.out")" = "$output" ] || fail "followed output differs from the log"
	[ "${#lines[@]}" -ge 5 ] || fail "too few lines: $output"
	[ "${lines[0]}" = n1 ] && [ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq "${#lines[@]}" ]
}

@test "logs: a created container has none; a missing one is an error" {
	berth create --name idle busybox true >/dev/null
	run berth logs idle
	assert_success
	assert_output_is ""
	# as docker: -f follows running containers only
	run timeout 5 "$BERTH" logs -f idle
	assert_success
	assert_output_is ""
	run --separate-stderr berth logs nosuch
	assert_status 1
	assert_stderr_contains "No such container: nosuch"
	run berth logs
	assert_status 125
}
