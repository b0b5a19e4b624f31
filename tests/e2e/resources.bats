#!/usr/bin/env bats
# linux.resources: limits that the kernel must be seen enforcing, on cgroup v1
# (legacy and hybrid) and v2.  Nothing here needs CAP_SYS_RESOURCE.

load helpers

setup() {
	common_setup
	SHARED=1
}

# run_bundle: `run` the container of $BUNDLE with the config tweaks in $CFG.
run_bundle() {
	[ -z "${CFG:-}" ] || edit_config "$CFG"
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
}

# run_ctr ARG...: run_bundle on a new bundle (the shared rootfs unless SHARED is empty).
run_ctr() {
	make_bundle ${SHARED:+--shared} -- "$@"
	run_bundle
}

# start_ctr ARG...: a detached container with the config tweaks in $CFG.
start_ctr() {
	make_bundle ${SHARED:+--shared} -- "$@"
	[ -z "${CFG:-}" ] || edit_config "$CFG"
	rt_bg run -d --bundle "$BUNDLE" c1
}

# add_resources JQ-ASSIGNMENT: e.g. '.memory = {limit: 1}' applied to .linux.resources
add_resources() {
	CFG="${CFG:+$CFG | }.linux.resources |= ((. // {}) | $1)"
}

# the v1 hierarchy of controller $1, or the v2 root
ctrl_dir() {
	if cgroup_v2_only; then echo /sys/fs/cgroup; else echo "/sys/fs/cgroup/$1"; fi
}

@test "resources: a memory hog is OOM-killed at memory.limit" {
	local mem=$((32 << 20)) swap
	# memory+swap equal to memory: the hog cannot escape to swap
	swap=$mem
	if ! cgroup_v2_only && [ ! -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then swap=0; fi
	add_resources ".memory = {limit: $mem, swap: $swap}"
	run_ctr tail /dev/zero
	assert_status 137
}

@test "resources: the memory limit is written" {
	add_resources '.memory = {limit: 67108864, reservation: 33554432}'
	start_ctr sleep 1000
	if cgroup_v2_only; then
		[ "$(cat "/sys/fs/cgroup$CGROUPS_PATH/memory.max")" = 67108864 ]
		[ "$(cat "/sys/fs/cgroup$CGROUPS_PATH/memory.low")" = 33554432 ]
	else
		[ "$(cat "/sys/fs/cgroup/memory$CGROUPS_PATH/memory.limit_in_bytes")" = 67108864 ]
		[ "$(cat "/sys/fs/cgroup/memory$CGROUPS_PATH/memory.soft_limit_in_bytes")" = 33554432 ]
	fi
}

@test "resources: pids.limit stops a fork bomb" {
	add_resources '.pids = {limit: 10}'
	# builtin echo does not fork: the last number is how many sleeps got a pid
	run_ctr sh -c 'i=0; while [ $i -lt 50 ]; do sleep 10 & i=$((i + 1)); echo $i; done'
	assert_failure
	# the shell itself is one of the 10
	[ "${lines[${#lines[@]} - 1]}" = 9 ] || fail "expected 9 sleeps to start, got:"$'\n'"$output"
	assert_stderr_contains "fork"
}

@test "resources: cpu quota throttles a busy loop" {
	add_resources '.cpu = {quota: 10000, period: 100000}'
	# ~50 ms of cpu: throttled within the first periods at 10 ms per 100 ms
	run_ctr sh -c 'i=0; while [ $i -lt 30000 ]; do i=$((i + 1)); done
		cat /sys/fs/cgroup/cpu/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpu.stat'
	assert_success
	local throttled
	throttled=$(awk '$1 == "nr_throttled" { print $2 }' <<<"$output")
	[ "${throttled:-0}" -gt 0 ] || fail "not throttled; cpu.stat was:"$'\n'"$output"
}

@test "resources: cpu quota and period are written" {
	add_resources '.cpu = {quota: 20000, period: 50000, shares: 512}'
	start_ctr sleep 1000
	if cgroup_v2_only; then
		[ "$(cat "/sys/fs/cgroup$CGROUPS_PATH/cpu.max")" = "20000 50000" ]
		# runc's conversion: 1 + ((512 - 2) * 9999) / 262142
		[ "$(cat "/sys/fs/cgroup$CGROUPS_PATH/cpu.weight")" = 20 ]
	else
		[ "$(cat "/sys/fs/cgroup/cpu$CGROUPS_PATH/cpu.cfs_quota_us")" = 20000 ]
		[ "$(cat "/sys/fs/cgroup/cpu$CGROUPS_PATH/cpu.cfs_period_us")" = 50000 ]
		[ "$(cat "/sys/fs/cgroup/cpu$CGROUPS_PATH/cpu.shares")" = 512 ]
	fi
}

@test "resources: cpuset.cpus confines the process" {
	add_resources '.cpu = {cpus: "0"}'
	run_ctr grep Cpus_allowed_list /proc/self/status
	assert_success
	[[ "$output" =~ ^Cpus_allowed_list:[[:space:]]+0$ ]] || fail "unexpected: $output"
}

@test "resources: blkio weight is written" {
	local d f want=500
	if cgroup_v2_only; then
		grep -qw io /sys/fs/cgroup/cgroup.controllers || skip "no io controller"
	else
		[ -d /sys/fs/cgroup/blkio ] || skip "no blkio hierarchy"
	fi
	add_resources '.blockIO = {weight: 500}'
	start_ctr sleep 1000
	if cgroup_v2_only; then
		d=/sys/fs/cgroup$CGROUPS_PATH f=$d/io.bfq.weight
		# without BFQ, io.weight with runc's conversion: 1 + (500 - 10) * 9999 / 990
		[ -e "$f" ] || f=$d/io.weight want=4950
	else
		d=/sys/fs/cgroup/blkio$CGROUPS_PATH f=$d/blkio.weight
		[ -e "$f" ] || f=$d/blkio.bfq.weight
	fi
	grep -qE "(^| )$want\$" "$f" || fail "$f: $(cat "$f")"
}

# make_node: /exp-node in a copied rootfs, a char device of a major reserved for
# local use (61) that no driver has: an open the device rules let through fails
# with ENXIO, one they refuse with EPERM, and nothing is touched either way.
make_node() {
	SHARED=
	grep -qE '^ *61 ' /proc/devices && skip "char major 61 is in use here"
	make_bundle -- true
	mknod "$BUNDLE/rootfs/exp-node" c 61 0
}

# try_node: open /exp-node for reading, then for writing
try_node() {
	set_args sh -c 'exec 2>&1; echo read; true < /exp-node; echo write; true > /exp-node'
	run_bundle
}

@test "resources: default device rules allow /dev/null and deny other nodes" {
	make_node
	set_args sh -c 'echo x > /dev/null && cat /dev/null && head -c 4 /dev/zero | wc -c; exec 2>&1; true < /exp-node'
	run_bundle
	assert_line_is 0 4
	[[ "${lines[1]}" == *"exp-node"*"Operation not permitted" ]] || fail "unexpected: $output"
}

@test "resources: an allow rule opens a device for the access it names" {
	make_node
	add_resources '.devices += [{allow: true, type: "c", major: 61, minor: 0, access: "r"}]'
	try_node
	assert_line_is 0 read
	[[ "${lines[1]}" == *"No such device or address" ]] || fail "read not allowed: $output"
	assert_line_is 2 write
	[[ "${lines[3]}" == *"Operation not permitted" ]] || fail "write allowed: $output"
}

@test "resources: a later deny rule takes access back" {
	make_node
	add_resources '.devices += [{allow: true, type: "c", major: 61, minor: 0, access: "rwm"},
		{allow: false, type: "c", major: 61, minor: 0, access: "r"}]'
	try_node
	[[ "${lines[1]}" == *"Operation not permitted" ]] || fail "read allowed: $output"
	[[ "${lines[3]}" == *"No such device or address" ]] || fail "write not allowed: $output"
}

@test "resources: a deny rule inside an allowed wildcard is refused" {
	requires_berth "error message"
	# cgroup v1 would silently keep the access: refused like runc does
	add_resources '.devices += [{allow: true, type: "c", major: 61, access: "rwm"},
		{allow: false, type: "c", major: 61, minor: 0, access: "r"}]'
	run_ctr true
	assert_failure
	assert_stderr_contains "linux.resources.devices[2]: cannot deny \`c 61:0 r\` inside the allowed wildcard \`c 61:* rwm\`"
}

@test "resources: an invalid value names the field" {
	requires_berth "error message"
	add_resources '.memory = {limit: "64m"}'
	run_ctr true
	assert_failure
	assert_stderr_contains "linux.resources.memory.limit: expected an integer"
	# nothing left behind
	[ ! -d "$(ctrl_dir pids)$CGROUPS_PATH" ]
}

@test "resources: a controller the host lacks is named" {
	requires_berth "error message"
	cgroup_v2_only && skip "cgroup v1 only"
	[ ! -d /sys/fs/cgroup/net_cls ] || skip "net_cls is mounted"
	add_resources '.network = {classID: 1048577}'
	run_ctr true
	assert_failure
	assert_stderr_contains "net_cls.classid"
}

@test "resources: unified keys are refused on cgroup v1 unless the cgroup2 mount has them" {
	requires_berth "error message"
	cgroup_v2_only && skip "cgroup v1 only"
	add_resources '.unified = {"memory.max": "1000000"}'
	run_ctr true
	assert_failure
	assert_stderr_contains "linux.resources.unified"
}
