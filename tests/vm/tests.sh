#!/bin/sh
# tests/vm/tests.sh: berth-runtime on a pure cgroup v2 host.  Runs inside the
# VM that tests/vm/run.sh boots (busybox sh, as a child of tests/vm/init),
# in the root cgroup, as root; prints TAP lines and writes the summary
# "N passed, N failed, N skipped" to /run/vm-result.
#
# A test is a function t_NAME run in a subshell under `set -e`; it passes by
# returning 0 and skips through skip().  Its output is shown, as TAP
# comments, only when it fails.  Each container gets the bundle $W/<id> and
# the cgroup /sys/fs/cgroup/berth-vm/<id> (see bundle()).
#
# Resource tests (linux.resources, pause/resume) skip when the runtime says a
# feature is not supported or a command does not exist; when it accepts the
# config and the cgroup file is still wrong, they fail.

RT=/usr/bin/berth-runtime
BASE=/berth/bundle/config.json
ROOTFS=/berth/bundle/rootfs
CG=/sys/fs/cgroup
W=/tmp/vmtests
FILTER=${BERTH_VM_FILTER:-}

mkdir -p "$W"
n=0
passed=0
failed=0
skipped=0

# --- helpers (used inside tests) -------------------------------------------------

# rt ARGS...: the runtime, never for more than 30s.
rt() {
	timeout 30 "$RT" "$@"
}

# rt_bg ARGS...: rt for create and run -d; the container's stdio goes to
# $W/<test>.ctr, never to a pipe that a $(...) would wait on.
rt_bg() {
	rt "$@" </dev/null >>"$W/$T.ctr" 2>&1
}

# bundle ID ARGS_JSON [JQ_FILTER]: $W/ID/config.json from the base config with
# process.args = ARGS_JSON, the shared read-only rootfs, cgroupsPath
# /berth-vm/ID, then JQ_FILTER applied.
bundle() {
	mkdir -p "$W/$1"
	jq --argjson args "$2" --arg root "$ROOTFS" --arg cg "/berth-vm/$1" \
		".process.args = \$args | .root.path = \$root | .root.readonly = true
		 | .linux.cgroupsPath = \$cg | ${3:-.}" "$BASE" >"$W/$1/config.json"
}

status() {
	rt state "$1" 2>/dev/null | jq -r .status
}

# wait_status ID STATUS: poll for up to 5s.
wait_status() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(status "$1")" = "$2" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "container $1 is \`$(status "$1")\`, not \`$2\`"
	return 1
}

# wait_empty DIR: poll for up to 5s until the cgroup DIR has no process.
wait_empty() {
	i=0
	while [ $i -lt 100 ]; do
		[ -z "$(cat "$1/cgroup.procs" 2>/dev/null)" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "processes left in $1: $(tr '\n' ' ' <"$1/cgroup.procs")"
	return 1
}

# wait_nprocs DIR N: poll for up to 5s until the cgroup DIR has N processes.
wait_nprocs() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(wc -l <"$1/cgroup.procs")" -eq "$2" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "$1 has $(wc -l <"$1/cgroup.procs") processes, not $2"
	return 1
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
	[ "$2" = "$3" ] && return 0
	echo "$1: got \`$2\`, expected \`$3\`"
	return 1
}

# refute CMD...: CMD must fail (`! CMD` would not stop a test under set -e).
refute() {
	if "$@" >/dev/null 2>&1; then
		echo "unexpected success: $*"
		return 1
	fi
}

skip() {
	echo "$*" >"$W/$T.skip"
	exit 77
}

# unsupported FILE: does the runtime's message in FILE say a feature or a
# command is missing (rather than that something went wrong)?
unsupported() {
	grep -Eiq 'not (yet )?(supported|implemented)|unsupported|no such command|unknown command' "$1"
}

# create_or_skip ID: `create` ID; skip the test when the runtime rejects the
# config as unsupported, fail on any other error.
create_or_skip() {
	if ! rt_bg create --bundle "$W/$1" "$1"; then
		cat "$W/$T.ctr"
		unsupported "$W/$T.ctr" && skip "not implemented: $(grep -Ei 'support|implement' "$W/$T.ctr" | head -n 1)"
		return 1
	fi
}

# --- runner ------------------------------------------------------------------------

cleanup_containers() {
	for id in $("$RT" list -q 2>/dev/null); do
		timeout 30 "$RT" delete --force "$id" >/dev/null 2>&1
	done
	# Leftovers from a runtime that failed to clean up: not a test's business.
	for d in "$CG"/berth-vm/*/ "$CG"/outer/*/*/ "$CG"/outer/*/ "$CG"/outer/; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
}

run_test() {
	T=$1
	case "$T" in *"$FILTER"*) ;; *) return 0 ;; esac
	n=$((n + 1))
	echo "$T" >/run/vm-current # for the watchdog in tests/vm/init
	rm -f "$W/$T.skip" "$W/$T.ctr"
	(
		set -e
		"t_$T"
	) >"$W/$T.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $n - $T"
		passed=$((passed + 1))
	elif [ $rc -eq 77 ]; then
		echo "ok $n - $T # SKIP $(cat "$W/$T.skip" 2>/dev/null)"
		skipped=$((skipped + 1))
	else
		echo "not ok $n - $T"
		failed=$((failed + 1))
		echo "# exit status $rc; output:"
		sed 's/^/#   /' "$W/$T.log"
		if [ -s "$W/$T.ctr" ]; then
			echo "# container/runtime output:"
			sed 's/^/#   /' "$W/$T.ctr"
		fi
	fi
	cleanup_containers
}

# --- the host ------------------------------------------------------------------------

t_host_is_pure_cgroup2() {
	expect_eq "/sys/fs/cgroup type" "$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/mounts)" cgroup2
	expect_eq "cgroup v1 mounts" "$(awk '$3 == "cgroup"' /proc/mounts)" ""
	expect_eq "/proc/self/cgroup" "$(cat /proc/self/cgroup)" "0::/"
	grep -qw memory "$CG/cgroup.controllers"
	grep -qw pids "$CG/cgroup.controllers"
}

# --- run ---------------------------------------------------------------------------

t_run_true() {
	bundle run-true '["/bin/true"]'
	rt run --bundle "$W/run-true" run-true </dev/null
	# run deletes the container, cgroup included
	refute rt state run-true
	[ ! -e "$CG/berth-vm/run-true" ]
}

t_run_exit_status() {
	bundle run-exit '["sh", "-c", "exit 7"]'
	rc=0
	rt run --bundle "$W/run-exit" run-exit </dev/null || rc=$?
	expect_eq "exit status" "$rc" 7
}

t_run_proc_self_cgroup() {
	bundle run-cg '["cat", "/proc/self/cgroup"]'
	out=$(rt run --bundle "$W/run-cg" run-cg </dev/null)
	expect_eq "/proc/self/cgroup" "$out" "0::/berth-vm/run-cg"
}

t_run_default_cgroups_path() {
	# No cgroupsPath: "<id>", below the parent of the runtime's own cgroup,
	# which is the root here.
	bundle run-default '["cat", "/proc/self/cgroup"]' 'del(.linux.cgroupsPath)'
	out=$(rt run --bundle "$W/run-default" run-default </dev/null)
	expect_eq "/proc/self/cgroup" "$out" "0::/run-default"
	[ ! -e "$CG/run-default" ]
}

t_run_relative_cgroups_path() {
	# A runtime running in /outer/runner puts relative paths below /outer
	# (its own cgroup holds a process, so it cannot have children with
	# controllers): the case of a runtime in a systemd service or session.
	mkdir -p "$CG/outer/runner"
	bundle run-rel '["cat", "/proc/self/cgroup"]' '.linux.cgroupsPath = "rel/run-rel"'
	out=$(sh -c 'echo $$ >'"$CG"'/outer/runner/cgroup.procs && exec "$0" "$@"' \
		timeout 30 "$RT" run --bundle "$W/run-rel" run-rel </dev/null)
	expect_eq "/proc/self/cgroup" "$out" "0::/outer/rel/run-rel"
}

# --- cgroup namespace --------------------------------------------------------------

t_cgroupns_root() {
	bundle cgns '["cat", "/proc/self/cgroup"]' '.linux.namespaces += [{"type": "cgroup"}]'
	out=$(rt run --bundle "$W/cgns" cgns </dev/null)
	expect_eq "/proc/self/cgroup in a cgroup namespace" "$out" "0::/"
}

t_cgroupns_cgroup_mount() {
	# The spec's "cgroup" mount is cgroup2 here, rooted at the container's
	# own cgroup: its init (pid 1) is listed, the host's tree is not.
	bundle cgns-mnt '["sh", "-c", "awk '\''$2 == \"/sys/fs/cgroup\" { print $3 }'\'' /proc/self/mounts; cat /sys/fs/cgroup/cgroup.procs; ls /sys/fs/cgroup"]' \
		'.linux.namespaces += [{"type": "cgroup"}]'
	rt run --bundle "$W/cgns-mnt" cgns-mnt </dev/null >"$W/out"
	cat "$W/out"
	expect_eq "mount type" "$(head -n 1 "$W/out")" cgroup2
	grep -qx 1 "$W/out"
	grep -qx cgroup.procs "$W/out"
	refute grep -qx berth-vm "$W/out"
}

# --- lifecycle and the cgroup directory ------------------------------------------

t_create_start_state_delete() {
	id=lifecycle
	bundle $id '["sleep", "1000"]'
	rt_bg create --bundle "$W/$id" $id
	expect_eq status "$(status $id)" created
	pid=$(rt state $id | jq -r .pid)
	[ "$pid" -gt 0 ]
	[ -d "$CG/berth-vm/$id" ]
	grep -qx "$pid" "$CG/berth-vm/$id/cgroup.procs"
	expect_eq "/proc/$pid/cgroup" "$(cat /proc/$pid/cgroup)" "0::/berth-vm/$id"
	rt start $id
	wait_status $id running
	rt kill $id KILL
	wait_status $id stopped
	[ -d "$CG/berth-vm/$id" ]
	rt delete $id
	refute rt state $id
	[ ! -e "$CG/berth-vm/$id" ]
	[ ! -e "/proc/$pid" ]
}

t_controllers_delegated() {
	# Every available controller is enabled down to the container's cgroup,
	# whether or not the config sets a limit.
	id=delegate
	bundle $id '["sleep", "1000"]'
	rt_bg create --bundle "$W/$id" $id
	for c in cpu memory pids; do
		grep -qw $c "$CG/berth-vm/$id/cgroup.controllers" || { echo "$c not delegated"; exit 1; }
	done
	rt delete --force $id
	[ ! -e "$CG/berth-vm/$id" ]
}

t_delete_force_running() {
	id=force
	bundle $id '["sleep", "1000"]'
	rt_bg create --bundle "$W/$id" $id
	pid=$(rt state $id | jq -r .pid)
	rt start $id
	wait_status $id running
	rt delete --force $id
	refute rt state $id
	[ ! -e "$CG/berth-vm/$id" ]
	[ ! -e "/proc/$pid" ]
}

# kill_all_test SIGNAL: without a pid namespace, killing the init would leave
# its children; kill --all must reach every process in the cgroup.
kill_all_test() {
	id=killall-$1
	bundle "$id" '["sh", "-c", "sleep 1000 & sleep 1000 & wait"]' '.linux.namespaces |= map(select(.type != "pid"))'
	rt_bg create --bundle "$W/$id" "$id"
	rt start "$id"
	wait_nprocs "$CG/berth-vm/$id" 3
	rt kill --all "$id" "$1"
	wait_empty "$CG/berth-vm/$id"
	wait_status "$id" stopped
	rt delete "$id"
	[ ! -e "$CG/berth-vm/$id" ]
}

t_kill_all_term() {
	kill_all_test TERM
}

t_kill_all_kill() {
	# SIGKILL goes through cgroup.kill on this kernel
	kill_all_test KILL
}

# --- linux.resources (skipped while the runtime rejects them as unsupported) ---------

# resource_file ID JQ_FILTER FILE EXPECTED: create with the filter applied,
# compare the cgroup FILE.
resource_file() {
	bundle "$1" '["sleep", "1000"]' "$2"
	create_or_skip "$1"
	expect_eq "$3" "$(cat "$CG/berth-vm/$1/$3")" "$4"
	rt delete --force "$1"
}

t_memory_limit() {
	resource_file mem '.linux.resources.memory.limit = 33554432' memory.max 33554432
}

t_pids_limit() {
	resource_file pids '.linux.resources.pids.limit = 20' pids.max 20
}

t_cpu_quota() {
	resource_file cpu '.linux.resources.cpu.quota = 50000 | .linux.resources.cpu.period = 100000' cpu.max "50000 100000"
}

t_memory_oom_kill() {
	# dd's 64M buffer does not fit in 32M and the VM has no swap.
	id=oom
	bundle $id '["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=4"]' \
		'.linux.resources.memory.limit = 33554432'
	create_or_skip $id
	grep -qx 33554432 "$CG/berth-vm/$id/memory.max" || { echo "memory.max is $(cat "$CG/berth-vm/$id/memory.max")"; exit 1; }
	rt start $id
	wait_status $id stopped
	grep -E '^oom_kill [1-9]' "$CG/berth-vm/$id/memory.events" || { cat "$CG/berth-vm/$id/memory.events"; exit 1; }
	rt delete $id
	# and run reports the SIGKILL as 128 + 9
	rc=0
	rt run --bundle "$W/$id" $id </dev/null || rc=$?
	expect_eq "run exit status" "$rc" 137
}

t_pids_fork_bomb() {
	id=forkbomb
	bundle $id '["sh", "-c", "while :; do sleep 1000 & done"]' '.linux.resources.pids.limit = 20'
	create_or_skip $id
	# never start a fork bomb without its limit
	grep -qx 20 "$CG/berth-vm/$id/pids.max" || { echo "pids.max is $(cat "$CG/berth-vm/$id/pids.max")"; exit 1; }
	rt start $id
	sleep 1
	cur=$(cat "$CG/berth-vm/$id/pids.current")
	[ "$cur" -le 20 ] || { echo "pids.current $cur"; exit 1; }
	grep -E '^max [1-9]' "$CG/berth-vm/$id/pids.events" || { cat "$CG/berth-vm/$id/pids.events"; exit 1; }
	rt delete --force $id
	[ ! -e "$CG/berth-vm/$id" ]
}

# devices_test ID ALLOW EXPECT: /dev/kmsg bind-mounted in, writable
# (EXPECT=written) only when the device rules allow c 1:11 (EXPECT=denied
# otherwise), through the eBPF device filter.
devices_test() {
	bundle "$1" '["sh", "-c", "echo berth-vm-devices-test >/dev/kmsg"]' \
		'.mounts += [{"destination": "/dev/kmsg", "type": "bind", "source": "/dev/kmsg", "options": ["bind", "rw"]}]
		 | .linux.resources.devices = [{"allow": false, "access": "rwm"}] + '"$2"
	create_or_skip "$1"
	rt start "$1"
	wait_status "$1" stopped
	rt delete "$1"
	# run for the exit status
	got=written
	rt run --bundle "$W/$1" "$1" </dev/null >"$W/out" 2>&1 || got=denied
	cat "$W/out"
	expect_eq "write to /dev/kmsg" "$got" "$3"
	[ "$got" = written ] || grep -q 'not permitted' "$W/out"
}

t_devices_deny() {
	devices_test dev-deny '[]' denied
}

t_devices_allow() {
	devices_test dev-allow '[{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "rw"}]' written
}

t_devices_default_allowed() {
	# deny-all rules still leave the default devices usable
	bundle dev-default '["sh", "-c", "echo x >/dev/null && head -c 4 /dev/zero >/dev/null && head -c 4 /dev/urandom >/dev/null"]' \
		'.linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	rt run --bundle "$W/dev-default" dev-default </dev/null
}

t_pause_resume() {
	id=pause
	bundle $id '["sleep", "1000"]'
	rt_bg create --bundle "$W/$id" $id
	rt start $id
	wait_status $id running
	if ! rt pause $id >"$W/pause.err" 2>&1; then
		cat "$W/pause.err"
		unsupported "$W/pause.err" && skip "not implemented: $(head -n 1 "$W/pause.err")"
		exit 1
	fi
	expect_eq status "$(status $id)" paused
	expect_eq cgroup.freeze "$(cat "$CG/berth-vm/$id/cgroup.freeze")" 1
	grep -qx 'frozen 1' "$CG/berth-vm/$id/cgroup.events"
	rt resume $id
	expect_eq status "$(status $id)" running
	grep -qx 'frozen 0' "$CG/berth-vm/$id/cgroup.events"
	rt delete --force $id
	[ ! -e "$CG/berth-vm/$id" ]
}

t_paused_delete_force() {
	id=pause-del
	bundle $id '["sleep", "1000"]'
	rt_bg create --bundle "$W/$id" $id
	rt start $id
	wait_status $id running
	if ! rt pause $id >"$W/pause.err" 2>&1; then
		cat "$W/pause.err"
		unsupported "$W/pause.err" && skip "not implemented: $(head -n 1 "$W/pause.err")"
		exit 1
	fi
	# a frozen cgroup must still be killable and removable
	rt delete --force $id
	refute rt state $id
	[ ! -e "$CG/berth-vm/$id" ]
}

# --- main ----------------------------------------------------------------------------

echo "# berth-runtime $("$RT" --version 2>&1 | head -n 1)"
for t in \
	host_is_pure_cgroup2 \
	run_true run_exit_status run_proc_self_cgroup run_default_cgroups_path run_relative_cgroups_path \
	cgroupns_root cgroupns_cgroup_mount \
	create_start_state_delete controllers_delegated delete_force_running kill_all_term kill_all_kill \
	memory_limit pids_limit cpu_quota memory_oom_kill pids_fork_bomb \
	devices_deny devices_allow devices_default_allowed \
	pause_resume paused_delete_force; do
	run_test "$t"
done
echo "1..$n"
echo "$passed passed, $failed failed, $skipped skipped" >/run/vm-result
