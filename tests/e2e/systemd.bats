#!/usr/bin/env bats
# --systemd-cgroup where systemd is not PID 1 (build hosts, containers): a
# clear error and nothing left behind.  With systemd running, the driver is
# tested in a VM: tests/vm/systemd-run.sh (`make check-systemd`).

load helpers

setup() {
	common_setup
	requires_berth
	[ ! -d /run/systemd/system ] || skip "systemd is running here: tests/vm/systemd-run.sh covers the driver"
}

@test "systemd: --systemd-cgroup without systemd fails clearly and leaves nothing" {
	make_bundle --shared -- true
	edit_config '.linux.cgroupsPath = "system.slice:berth:e2e-'$$'"'
	run --separate-stderr rt --systemd-cgroup create --bundle "$BUNDLE" c1 </dev/null
	assert_failure
	assert_stderr_contains "systemd is not running"
	run rt state c1
	assert_failure
	for d in /sys/fs/cgroup/system.slice /sys/fs/cgroup/*/system.slice; do
		[ ! -e "$d/berth-e2e-$$.scope" ]
	done
}

@test "systemd: a malformed systemd cgroupsPath is refused" {
	make_bundle --shared -- true
	edit_config '.linux.cgroupsPath = "/not/a/triple"'
	run --separate-stderr rt --systemd-cgroup create --bundle "$BUNDLE" c1 </dev/null
	assert_failure
	assert_stderr_contains "slice:prefix:name"
}
