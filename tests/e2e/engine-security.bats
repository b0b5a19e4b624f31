#!/usr/bin/env bats
# The engine's default security profile, seen from inside `berth run`:
# docker's 14 capabilities, masked and read-only paths, a 64M /dev/shm, the
# default seccomp profile, the device allowlist, and --privileged (and the
# --security-opt / --cap-* knobs) lifting them.  (security.bats is the
# runtime's own.)  sysprobe (tests/helpers) tries the refused calls.

load berth

# docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
# SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
DOCKER_CAPS=00000000a80425fb

setup_file() {
	export BERTH_ROOT=$BATS_FILE_TMPDIR/root BERTH_RUN_ROOT=$BATS_FILE_TMPDIR/run
	[ -x "$BERTH" ] || skip "berth not built"
	"$BERTH" image bootstrap >/dev/null
}

setup() {
	[ -x "$BERTH" ] || skip "berth not built ($BERTH)"
	export BERTH_ROOT=$BATS_FILE_TMPDIR/root BERTH_RUN_ROOT=$BATS_FILE_TMPDIR/run
	SYSPROBE=$HELPERS_DIR/sysprobe
	[ -x "$SYSPROBE" ] || skip "sysprobe not built ($SYSPROBE)"
}

teardown() {
	local id
	for id in $(berth ps -aq --no-trunc 2>/dev/null); do berth rm -f -v "$id" >/dev/null 2>&1; done
}

teardown_file() {
	awk -v d="$BATS_FILE_TMPDIR" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	return 0
}

# crun ARGS... -- CMD...: `berth run --rm` with sysprobe at /h/sysprobe
crun() {
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	berth run --rm -v "$(dirname "$SYSPROBE")":/h:ro "${args[@]}" busybox "$@"
}

# "MAJOR MINOR" of a block device this host lets root open (so a refusal in the container is the container's)
host_blockdev() {
	local d
	for d in /dev/loop0 /dev/zram0 /dev/vda /dev/sda /dev/nvme0n1; do
		[ -b "$d" ] && "$SYSPROBE" read "$d" >/dev/null 2>&1 || continue
		printf '%d %d\n' "0x$(stat -c %t "$d")" "0x$(stat -c %T "$d")"
		return 0
	done
	return 1
}

status_field() { # FIELD: its value in the container's /proc/self/status ($output)
	awk -v f="$1:" '$1 == f { print $2 }' <<<"$output"
}

@test "default: exactly docker's 14 capabilities, effective and bounding, none inheritable or ambient" {
	run crun -- cat /proc/self/status
	assert_success
	[ "$(status_field CapEff)" = $DOCKER_CAPS ] || fail "CapEff $(status_field CapEff)"
	[ "$(status_field CapBnd)" = $DOCKER_CAPS ] || fail "CapBnd $(status_field CapBnd)"
	[ "$(status_field CapPrm)" = $DOCKER_CAPS ]
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
	[ "$(status_field NoNewPrivs)" = 0 ]
	# 14 bits
	[ "$(python3 -c "print(bin(0x$DOCKER_CAPS).count('1'))")" = 14 ]
}

@test "--cap-drop ALL, --cap-add and -u: capabilities follow, as docker's" {
	run crun --cap-drop ALL -- grep CapEff /proc/self/status
	assert_output_is $'CapEff:\t0000000000000000'
	# SYS_ADMIN is bit 21
	run crun --cap-add SYS_ADMIN -- grep CapEff /proc/self/status
	assert_output_is $'CapEff:\t00000000a82425fb'
	run crun --cap-drop NET_RAW --cap-drop CAP_CHOWN -- grep CapBnd /proc/self/status
	assert_output_is $'CapBnd:\t00000000a80405fa'
	# a non-root user has none effective, the same bounding set
	run crun -u 1000 -- grep -E 'CapEff|CapBnd' /proc/self/status
	assert_output_is $'CapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb'
}

@test "default: masked paths read empty, /proc/sys and friends are read-only" {
	run crun -- sh -c 'cat /proc/keys | wc -c; cat /proc/timer_list | wc -c; ls /sys/firmware | wc -l; ls /proc/acpi | wc -l'
	assert_success
	assert_output_is $'0\n0\n0\n0'
	# the host has them with content
	[ -s /proc/keys ] || [ "$(wc -c </proc/keys)" -gt 0 ] || skip "the host's /proc/keys is empty"
	if [ -e /proc/kcore ]; then
		run crun -- sh -c 'wc -c </proc/kcore'
		assert_output_is 0
	else
		run crun -- ls /proc/kcore
		assert_failure
	fi
	run crun -- sh -c 'grep -E " /proc/(sys|sysrq-trigger|irq|bus|fs) " /proc/self/mountinfo | cut -d" " -f5,6'
	assert_success
	for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs; do
		# those this kernel has
		[ -e "$p" ] || continue
		assert_output_contains "$p ro,"
	done
	run crun -- sh -c 'echo 1 >/proc/sys/vm/drop_caches'
	assert_failure
	assert_output_contains "Read-only file system"
	if [ -e /proc/sysrq-trigger ]; then
		run crun -- sh -c 'echo h >/proc/sysrq-trigger'
		assert_failure
	fi
	# and /sys is read-only too
	run crun -- sh -c 'grep " /sys " /proc/self/mountinfo | cut -d" " -f6'
	[[ "$output" == ro,* ]] || fail "/sys: $output"
}

@test "default: /dev/shm is a 64M tmpfs" {
	run crun -- sh -c 'grep " /dev/shm " /proc/self/mountinfo; df -k /dev/shm | tail -1'
	assert_success
	assert_output_contains " - tmpfs shm rw,"
	assert_output_contains "size=65536k"
	[ "$(awk 'END { print $2 }' <<<"$output")" = 65536 ]
	run crun --shm-size 8m -- sh -c 'df -k /dev/shm | tail -1'
	if [ "$status" -eq 0 ]; then
		[ "$(awk 'END { print $2 }' <<<"$output")" = 8192 ]
	fi
}

@test "default seccomp: Seccomp 2; unshare, mount, keyctl and add_key are refused with EPERM" {
	run crun -- grep -E '^Seccomp:' /proc/self/status
	assert_output_is $'Seccomp:\t2'
	for p in keyctl add-key unshare-net unshare-user "mount /tmp"; do
		run crun -- /h/sysprobe $p
		assert_status 1
		assert_output_is "Operation not permitted"
	done
	# with CAP_SYS_ADMIN added, seccomp alone still refuses keyctl (docker's profile has no keyctl at all)
	run crun --cap-add SYS_ADMIN -- /h/sysprobe keyctl
	assert_status 1
	assert_output_is "Operation not permitted"
	# busybox's mount is refused too (it words EPERM its own way)
	run crun -- sh -c 'mount -t tmpfs none /tmp'
	assert_failure
	[[ "$output" == *"Operation not permitted"* || "$output" == *"permission denied"* ]] || fail "mount: $output"
	# what the profile allows still works
	run crun -- /h/sysprobe chroot /
	assert_success
}

@test "device allowlist: a block device node can be made (mknod) but not opened; /dev/null can" {
	dev=$(host_blockdev) || skip "no block device the host can open"
	set -- $dev
	run crun -- sh -c "/h/sysprobe mknod-blk /tmp/disk $1 $2 && /h/sysprobe read /tmp/disk"
	assert_failure
	assert_line_is 0 ok
	assert_line_is 1 "Operation not permitted"
	run crun -- /h/sysprobe read /dev/null
	assert_success
	run crun -- sh -c 'echo x >/dev/full'
	assert_failure
	assert_output_contains "No space left on device"
	# no host devices beyond docker's set
	run crun -- sh -c 'ls /dev | sort | tr "\n" " "'
	for d in fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero; do
		[[ " $output " == *" $d "* ]] || fail "/dev/$d missing: $output"
	done
	[[ " $output " != *" loop0 "* && " $output " != *" vda "* && " $output " != *" sda "* ]] || fail "a host disk is in /dev: $output"
}

@test "--privileged lifts it: every capability, no seccomp, no masks, rw /proc/sys, devices open" {
	host_bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
	run crun --privileged -- cat /proc/self/status
	assert_success
	[ "$(status_field CapEff)" = "$host_bnd" ] || fail "CapEff $(status_field CapEff), host bounding set $host_bnd"
	[ "$(status_field Seccomp)" = 0 ]
	run crun --privileged -- sh -c 'grep -cE " /proc/(keys|timer_list|kcore) " /proc/self/mountinfo; grep " /proc/sys " /proc/self/mountinfo | cut -d" " -f6'
	assert_line_is 0 0
	[[ "${lines[1]:-rw}" == rw* ]] || fail "/proc/sys: ${lines[1]}"
	run crun --privileged -- /h/sysprobe unshare-net
	assert_output_is ok
	run crun --privileged -- sh -c 'mount -t tmpfs none /tmp && echo mounted'
	assert_output_is mounted
	if dev=$(host_blockdev); then
		set -- $dev
		run crun --privileged -- sh -c "/h/sysprobe mknod-blk /tmp/disk $1 $2 && /h/sysprobe read /tmp/disk"
		assert_success
		assert_output_is $'ok\nok'
	fi
}

@test "--security-opt seccomp=unconfined and no-new-privileges" {
	run crun --security-opt seccomp=unconfined -- cat /proc/self/status
	[ "$(status_field Seccomp)" = 0 ]
	# the capabilities stay docker's: unconfined is about seccomp only
	[ "$(status_field CapEff)" = $DOCKER_CAPS ]
	run crun --security-opt seccomp=unconfined -- /h/sysprobe keyctl
	[ "$output" != "Operation not permitted" ] || fail "keyctl still refused by seccomp"
	run crun --security-opt no-new-privileges -- grep NoNewPrivs /proc/self/status
	assert_output_is $'NoNewPrivs:\t1'
	run crun --security-opt no-new-privileges=true -- grep NoNewPrivs /proc/self/status
	assert_output_is $'NoNewPrivs:\t1'
}
