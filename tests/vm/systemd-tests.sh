#!/bin/bash
# tests/vm/systemd-tests.sh: berth-runtime --systemd-cgroup with systemd as
# PID 1.  Runs inside the VM that tests/vm/systemd-run.sh boots, as
# berth-test.service (root, in its own service cgroup); prints TAP and then
# `VM-RESULT: N passed, N failed, N skipped` on the console; the unit's
# SuccessAction/FailureAction powers the VM off.
#
# A test is a function t_NAME run in a subshell under `set -e`; its output is
# shown, as TAP comments, only when it fails.  Containers use the busybox
# bundle /berth/bundle with cgroupsPath "system.slice:berth:<id>", so their
# unit is berth-<id>.scope.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

RT=/usr/bin/berth-runtime
BASE=/berth/bundle/config.json
ROOTFS=/berth/bundle/rootfs
CG=/sys/fs/cgroup
W=/tmp/vmtests
ROOT=/run/berth-vm

mkdir -p "$W"
n=0
passed=0
failed=0
skipped=0

timeout=300
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	berth.timeout=*) timeout=${arg#berth.timeout=} ;;
	esac
done
# Watchdog: a hung test still ends the VM with a result line.
(
	sleep "$timeout"
	echo "VM-RESULT: 0 passed, 1 failed (watchdog: tests still running after ${timeout}s, in $(cat /run/vm-current 2>/dev/null))"
	systemctl poweroff -ff
) &

# Unified (cgroup2 on /sys/fs/cgroup) or hybrid (v1 controllers + name=systemd).
if [ "$(stat -f -c %T $CG)" = cgroup2fs ]; then
	LAYOUT=unified
else
	LAYOUT=hybrid
fi

# --- helpers -----------------------------------------------------------------------

rt() {
	timeout 60 "$RT" --root "$ROOT" --systemd-cgroup "$@"
}

rt_bg() {
	rt "$@" </dev/null >>"$W/$T.ctr" 2>&1
}

# bundle ID ARGS_JSON [CGROUPS_PATH [JQ_FILTER]]
bundle() {
	mkdir -p "$W/$1"
	jq --argjson args "$2" --arg root "$ROOTFS" --arg cg "${3-system.slice:berth:$1}" \
		".process.args = \$args | .root.path = \$root | .root.readonly = true
		 | .linux.cgroupsPath = \$cg | ${4:-.}" "$BASE" >"$W/$1/config.json"
}

# cgdir CONTROLLER PATH: the directory of cgroup PATH that holds CONTROLLER's files.
cgdir() {
	if [ $LAYOUT = unified ]; then
		echo "$CG$2"
	elif [ "$1" = systemd ]; then
		echo "$CG/systemd$2"
	else
		echo "$CG/$1$2"
	fi
}

expect_eq() {
	[ "$2" = "$3" ] && return 0
	echo "$1: got \`$2\`, expected \`$3\`"
	return 1
}

refute() {
	if "$@" >/dev/null 2>&1; then
		echo "unexpected success: $*"
		return 1
	fi
}

prop() {
	systemctl show -P "$2" "$1"
}

# unit_gone UNIT: systemd no longer knows the unit (or has it inactive and unloading).
unit_gone() {
	local i=0 s
	while [ $i -lt 50 ]; do
		s=$(systemctl show -P LoadState "$1")
		[ "$s" = not-found ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "unit $1 still there: LoadState=$s ActiveState=$(systemctl show -P ActiveState "$1")"
	return 1
}

status() {
	rt state "$1" 2>/dev/null | jq -r .status
}

# --- runner ------------------------------------------------------------------------

cleanup_containers() {
	for id in $("$RT" --root "$ROOT" list -q 2>/dev/null); do
		timeout 30 "$RT" --root "$ROOT" --systemd-cgroup delete --force "$id" >/dev/null 2>&1
	done
}

run_test() {
	T=$1
	n=$((n + 1))
	echo "$T" >/run/vm-current
	rm -f "$W/$T.ctr"
	(
		set -e
		"t_$T"
	) >"$W/$T.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $n - $T"
		passed=$((passed + 1))
	else
		echo "not ok $n - $T"
		failed=$((failed + 1))
		echo "# exit status $rc; output:"
		sed 's/^/#   /' "$W/$T.log"
		if [ -s "$W/$T.ctr" ]; then
			echo "# container/runtime output:"
			sed 's/^/#   /' "$W/$T.ctr"
		fi
		echo "# journal (last 20 lines):"
		journalctl -q -n 20 --no-pager 2>/dev/null | sed 's/^/#   /'
	fi
	cleanup_containers
}

# --- tests ---------------------------------------------------------------------------

t_host() {
	expect_eq "PID 1" "$(cat /proc/1/comm)" systemd
	[ -d /run/systemd/system ]
	echo "layout $LAYOUT"
	if [ $LAYOUT = hybrid ]; then
		grep -q ' /sys/fs/cgroup/systemd cgroup ' /proc/mounts
		grep -q ' /sys/fs/cgroup/memory cgroup ' /proc/mounts
	fi
}

# run: the init lands in the scope, the scope goes away with the container.
t_run() {
	bundle run1 '["true"]'
	rt run --bundle "$W/run1" run1 </dev/null >"$W/$T.ctr" 2>&1
	refute rt state run1
	unit_gone berth-run1.scope
	[ ! -e "$(cgdir memory /system.slice/berth-run1.scope)" ]
}

t_lifecycle() {
	local scope=/system.slice/berth-test1.scope pid procs
	bundle test1 '["sleep", "1000"]' "system.slice:berth:test1" \
		'.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 50},
		  "cpu": {"shares": 512, "quota": 50000, "period": 100000}}'
	rt_bg create --bundle "$W/test1" test1
	expect_eq status "$(status test1)" created
	pid=$(rt state test1 | jq -r .pid)

	# the unit, as systemd sees it
	systemctl status berth-test1.scope >"$W/status" || true
	cat "$W/status"
	expect_eq ActiveState "$(prop berth-test1.scope ActiveState)" active
	expect_eq Slice "$(prop berth-test1.scope Slice)" system.slice
	expect_eq Delegate "$(prop berth-test1.scope Delegate)" yes
	expect_eq ControlGroup "$(prop berth-test1.scope ControlGroup)" "$scope"
	expect_eq TasksMax "$(prop berth-test1.scope TasksMax)" 50
	expect_eq CPUQuotaPerSecUSec "$(prop berth-test1.scope CPUQuotaPerSecUSec)" 500ms
	if [ $LAYOUT = unified ]; then
		expect_eq MemoryMax "$(prop berth-test1.scope MemoryMax)" 67108864
		expect_eq CPUWeight "$(prop berth-test1.scope CPUWeight)" 20
	else
		expect_eq MemoryLimit "$(prop berth-test1.scope MemoryLimit)" 67108864
		expect_eq CPUShares "$(prop berth-test1.scope CPUShares)" 512
	fi

	# only the init is in the scope (the placeholder is gone), in every hierarchy
	procs=$(cat "$(cgdir systemd $scope)/cgroup.procs")
	expect_eq "scope cgroup.procs" "$procs" "$pid"
	grep -q "$scope" "/proc/$pid/cgroup"
	if [ $LAYOUT = hybrid ]; then
		expect_eq "freezer cgroup.procs" "$(cat "$(cgdir freezer $scope)/cgroup.procs")" "$pid"
		expect_eq "unified cgroup.procs" "$(cat "$CG/unified$scope/cgroup.procs")" "$pid"
	fi

	# the limits in the cgroup files
	if [ $LAYOUT = unified ]; then
		expect_eq memory.max "$(cat "$CG$scope/memory.max")" 67108864
		expect_eq pids.max "$(cat "$CG$scope/pids.max")" 50
		expect_eq cpu.max "$(cat "$CG$scope/cpu.max")" "50000 100000"
	else
		expect_eq memory.limit_in_bytes "$(cat "$(cgdir memory $scope)/memory.limit_in_bytes")" 67108864
		expect_eq pids.max "$(cat "$(cgdir pids $scope)/pids.max")" 50
		expect_eq cpu.cfs_quota_us "$(cat "$(cgdir cpu $scope)/cpu.cfs_quota_us")" 50000
		expect_eq cpu.shares "$(cat "$(cgdir cpu $scope)/cpu.shares")" 512
	fi

	rt start test1
	expect_eq status "$(status test1)" running

	# update: systemd's properties and the files
	rt update --memory 134217728 --pids-limit 100 test1
	expect_eq TasksMax "$(prop berth-test1.scope TasksMax)" 100
	if [ $LAYOUT = unified ]; then
		expect_eq MemoryMax "$(prop berth-test1.scope MemoryMax)" 134217728
		expect_eq memory.max "$(cat "$CG$scope/memory.max")" 134217728
	else
		expect_eq MemoryLimit "$(prop berth-test1.scope MemoryLimit)" 134217728
		expect_eq memory.limit_in_bytes "$(cat "$(cgdir memory $scope)/memory.limit_in_bytes")" 134217728
	fi
	expect_eq pids.max "$(cat "$(cgdir pids $scope)/pids.max")" 100

	# systemd re-applies its view on reload: the limits must survive it
	systemctl daemon-reload
	expect_eq "pids.max after daemon-reload" "$(cat "$(cgdir pids $scope)/pids.max")" 100
	if [ $LAYOUT = unified ]; then
		expect_eq "memory.max after daemon-reload" "$(cat "$CG$scope/memory.max")" 134217728
	else
		expect_eq "memory.limit_in_bytes after daemon-reload" \
			"$(cat "$(cgdir memory $scope)/memory.limit_in_bytes")" 134217728
	fi

	# exec joins the scope
	rt exec test1 true
	# pause/resume work on the scope
	rt pause test1
	expect_eq status "$(status test1)" paused
	rt resume test1

	rt delete --force test1
	refute rt state test1
	unit_gone berth-test1.scope
	refute systemctl status berth-test1.scope
	for c in systemd memory pids freezer; do
		[ ! -e "$(cgdir $c $scope)" ] || { echo "$(cgdir $c $scope) left behind"; return 1; }
	done
}

# A nested slice is expanded as systemd does: a-b.slice is /a.slice/a-b.slice.
t_nested_slice() {
	local pid
	bundle nested '["sleep", "1000"]' "berth-ci.slice:berth:nested"
	rt_bg run -d --bundle "$W/nested" nested
	pid=$(rt state nested | jq -r .pid)
	expect_eq Slice "$(prop berth-nested.scope Slice)" berth-ci.slice
	expect_eq "/proc/PID/cgroup" "$(grep -E '^0::|name=systemd' "/proc/$pid/cgroup" | head -n 1 | cut -d: -f3)" \
		/berth.slice/berth-ci.slice/berth-nested.scope
	rt delete --force nested
	unit_gone berth-nested.scope
}

# An empty prefix: the unit is <name>.scope.
t_empty_prefix() {
	bundle noprefix '["sleep", "1000"]' "system.slice::noprefix"
	rt_bg run -d --bundle "$W/noprefix" noprefix
	expect_eq ActiveState "$(prop noprefix.scope ActiveState)" active
	rt delete --force noprefix
	unit_gone noprefix.scope
}

# A unit that exists and runs: create fails, names it, leaves nothing behind.
t_unit_exists() {
	systemd-run --quiet --scope --unit=berth-taken.scope sleep 1000 &
	local i=0
	while [ "$(prop berth-taken.scope ActiveState)" != active ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	bundle taken '["sleep", "1000"]'
	if rt_bg create --bundle "$W/taken" taken; then
		echo "create succeeded with the unit taken"
		return 1
	fi
	grep -q "berth-taken.scope.* already exists" "$W/$T.ctr"
	refute rt state taken
	systemctl stop berth-taken.scope
}

# The container exits by itself: the scope stops with it, delete still works.
t_exit_then_delete() {
	bundle exits '["sleep", "0.3"]'
	rt_bg run -d --bundle "$W/exits" exits
	unit_gone berth-exits.scope
	rt delete exits
	refute rt state exits
}

# The device rules hold, also after systemd re-applied its view of the unit.
t_devices() {
	bundle devs '["sleep", "1000"]' "system.slice:berth:devs" \
		'.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
	rt_bg run -d --bundle "$W/devs" devs
	systemctl daemon-reload
	expect_eq "read /dev/zero" "$(rt exec devs sh -c 'head -c 1 /dev/zero | wc -c')" 1
	# /dev/kmsg (c 1:11) is not in the default allow-list; writing it needs no capability
	if rt exec devs sh -c 'mknod /dev/k c 1 11 && echo berth-devices-test >/dev/k' >"$W/kmsg" 2>&1; then
		echo "wrote /dev/kmsg in the container: $(cat "$W/kmsg")"
		return 1
	fi
	cat "$W/kmsg"
	grep -q "Operation not permitted" "$W/kmsg"
	expect_eq DevicePolicy "$(prop berth-devs.scope DevicePolicy)" strict
	if [ $LAYOUT = hybrid ]; then
		refute grep -qx 'a \*:\* rwm' "$(cgdir devices /system.slice/berth-devs.scope)/devices.list"
	fi
	rt delete --force devs

	# the probe works: with every device allowed the write goes through
	bundle devall '["sleep", "1000"]' "system.slice:berth:devall" \
		'.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])
		 | .linux.resources.devices = [{"allow": true, "access": "rwm"}]'
	rt_bg run -d --bundle "$W/devall" devall
	systemctl daemon-reload
	expect_eq DevicePolicy "$(prop berth-devall.scope DevicePolicy)" auto
	rt exec devall sh -c 'mknod /dev/k c 1 11 && echo berth-devices-test >/dev/k'
	rt delete --force devall
}

# Without the system bus (no dbus-daemon), root talks to systemd's private socket.
t_private_bus() {
	systemctl stop dbus.socket dbus.service
	[ ! -S /run/dbus/system_bus_socket ] || ! busctl --system status >/dev/null 2>&1
	bundle private '["sleep", "1000"]'
	rt_bg run -d --bundle "$W/private" private
	expect_eq ActiveState "$(prop berth-private.scope ActiveState)" active
	rt delete --force private
	unit_gone berth-private.scope
}

echo "# systemd $(systemctl --version | head -n 1 | cut -d' ' -f2), kernel $(uname -r), cgroups $LAYOUT"
for t in host run lifecycle nested_slice empty_prefix unit_exists exit_then_delete devices private_bus; do
	run_test "$t"
done
echo "VM-RESULT: $passed passed, $failed failed, $skipped skipped ($LAYOUT)"
sync
[ $failed -eq 0 ]
