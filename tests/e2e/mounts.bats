#!/usr/bin/env bats
# Mounts, masked and read-only paths, devices, namespaces and cgroups.

load helpers

# run_ctr ARG...: `run` a container with a copied rootfs; config tweaks in $CFG.
run_ctr() {
	make_bundle ${SHARED:+--shared} -- "$@"
	[ -z "${CFG:-}" ] || edit_config "$CFG"
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
}

setup() {
	common_setup
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC"
	echo host >"$SRC/file"
}

# add_mount JSON
add_mount() {
	CFG="${CFG:+$CFG | }.mounts += [$1]"
}

@test "bind mount read-write" {
	add_mount "{destination: \"/mnt/data\", type: \"bind\", source: \"$SRC\", options: [\"bind\", \"rw\"]}"
	run_ctr sh -c 'cat /mnt/data/file; echo new > /mnt/data/new'
	assert_success
	assert_output_is host
	[ "$(cat "$SRC/new")" = new ]
}

@test "bind mount read-only" {
	add_mount "{destination: \"/mnt/data\", type: \"bind\", source: \"$SRC\", options: [\"bind\", \"ro\"]}"
	run_ctr sh -c 'cat /mnt/data/file; echo new > /mnt/data/new'
	assert_failure
	assert_output_is host
	assert_stderr_contains "Read-only file system"
	[ ! -e "$SRC/new" ]
}

@test "bind mount of a file, destination created" {
	add_mount "{destination: \"/etc/deep/new/file\", type: \"bind\", source: \"$SRC/file\", options: [\"bind\"]}"
	run_ctr cat /etc/deep/new/file
	assert_success
	assert_output_is host
}

@test "bind mount without a type" {
	add_mount "{destination: \"/mnt/data\", source: \"$SRC\", options: [\"rbind\"]}"
	run_ctr cat /mnt/data/file
	assert_success
	assert_output_is host
}

@test "bind does not carry submounts, rbind does" {
	mkdir -p "$SRC/sub"
	mount -t tmpfs berth-test "$SRC/sub"
	echo sub >"$SRC/sub/f"
	add_mount "{destination: \"/mnt/bind\", type: \"bind\", source: \"$SRC\", options: [\"bind\"]}"
	add_mount "{destination: \"/mnt/rbind\", type: \"bind\", source: \"$SRC\", options: [\"rbind\"]}"
	run_ctr sh -c 'ls /mnt/bind/sub; echo --; cat /mnt/rbind/sub/f'
	assert_success
	assert_output_is "$(printf -- '--\nsub')"
}

@test "rro makes a bind and its submounts read-only" {
	mkdir -p "$SRC/sub"
	mount -t tmpfs berth-test "$SRC/sub"
	echo sub >"$SRC/sub/f"
	add_mount "{destination: \"/mnt/d\", type: \"bind\", source: \"$SRC\", options: [\"rbind\", \"rro\"]}"
	run_ctr sh -c 'cat /mnt/d/sub/f; echo x > /mnt/d/sub/f; echo rc=$?; echo y > /mnt/d/g; echo rc=$?'
	assert_success
	assert_output_is "$(printf 'sub\nrc=1\nrc=1')"
	[ "$(cat "$SRC/sub/f")" = sub ]
	[ ! -e "$SRC/g" ]
}

@test "bind mount options nosuid, nodev, noexec" {
	add_mount "{destination: \"/mnt/data\", type: \"bind\", source: \"$SRC\", options: [\"rbind\", \"nosuid\", \"nodev\", \"noexec\"]}"
	cp /bin/busybox "$SRC/bb"
	run_ctr sh -c 'grep " /mnt/data " /proc/self/mountinfo; /mnt/data/bb true; echo rc=$?'
	opts=$(awk '{print $6}' <<<"${lines[0]}")
	[[ ",$opts," == *,nosuid,* && ",$opts," == *,nodev,* && ",$opts," == *,noexec,* ]]
	assert_line_is 1 rc=126
}

@test "tmpfs with size and mode" {
	add_mount '{destination: "/mnt/t", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=1770", "nosuid"]}'
	run_ctr sh -c 'stat -c %a /mnt/t; grep " /mnt/t " /proc/self/mountinfo; echo x > /mnt/t/f && cat /mnt/t/f'
	assert_success
	assert_line_is 0 1770
	assert_output_contains "size=1024k"
	assert_line_is 2 x
}

@test "tmpfs with uid and gid" {
	add_mount '{destination: "/mnt/t", type: "tmpfs", source: "tmpfs", options: ["uid=1000", "gid=1000"]}'
	run_ctr stat -c '%u %g' /mnt/t
	assert_success
	assert_output_is "1000 1000"
}

@test "a mount over a read-only rootfs" {
	SHARED=1
	add_mount '{destination: "/tmp", type: "tmpfs", source: "tmpfs"}'
	run_ctr sh -c 'echo ok > /tmp/f && cat /tmp/f; touch /x'
	assert_failure
	assert_output_is ok
	assert_stderr_contains "Read-only file system"
}

# propagation_test OPTION: start a container bind-mounting the shared $SRC with
# OPTION, mount a tmpfs under $SRC on the host, report whether the container saw it.
propagation_test() {
	mount --bind "$SRC" "$SRC"
	mount --make-shared "$SRC"
	mkdir -p "$SRC/late"
	make_bundle -- sh -c 'echo ready; for i in $(seq 40); do [ -e /mnt/d/late/hello ] && echo seen && exit 0; sleep 0.05; done; echo unseen'
	edit_config ".mounts += [{destination: \"/mnt/d\", type: \"bind\", source: \"$SRC\", options: [\"rbind\", \"$1\"]}]"
	rt_bg run -d --bundle "$BUNDLE" c1
	wait_for_file "$CTR_OUT"
	mount -t tmpfs berth-late "$SRC/late"
	touch "$SRC/late/hello"
	wait_for_status c1 stopped 200
	tail -n1 "$CTR_OUT"
}

@test "propagation: rslave sees host mounts" {
	[ "$(propagation_test rslave)" = seen ]
}

@test "propagation: rprivate does not" {
	[ "$(propagation_test rprivate)" = unseen ]
}

@test "propagation: container mounts do not reach the host by default" {
	make_bundle -- sh -c 'mount -t tmpfs x /mnt && touch /mnt/inside'
	edit_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	before=$(mount_count)
	run rt run --bundle "$BUNDLE" c1
	assert_success
	[ "$(mount_count)" -eq "$before" ]
	[ ! -e "$BUNDLE/rootfs/mnt/inside" ]
}

@test "rootfsPropagation values are accepted, a bad one refused" {
	for p in private rprivate slave rslave shared rshared; do
		CFG=".linux.rootfsPropagation = \"$p\""
		run_ctr true
		assert_success
	done
	CFG='.linux.rootfsPropagation = "sideways"'
	run_ctr true
	assert_failure
}

@test "masked paths: a file reads empty, a directory is empty" {
	CFG='.linux.maskedPaths = ["/etc/passwd", "/home", "/no/such/path"]'
	run_ctr sh -c 'wc -c < /etc/passwd; ls -A /home | wc -l; echo x > /etc/passwd; wc -c < /etc/passwd; touch /home/x'
	assert_line_is 0 0
	assert_line_is 1 0
	assert_line_is 2 0
	[ "$(grep -c . "$BUNDLE/rootfs/etc/passwd")" -eq 3 ]
	[ ! -e "$BUNDLE/rootfs/home/x" ]
	[ -d "$BUNDLE/rootfs/home/user" ]
}

@test "masked paths: the default spec's masks" {
	make_bundle --shared -- true
	masked=$(jq -r '.linux.maskedPaths[]' "$BUNDLE/config.json")
	[ -n "$masked" ]
	set_args sh -c 'for p in "$@"; do if [ -d $p ]; then echo "$p $(ls -A $p | wc -l)"; elif [ -e $p ]; then echo "$p $(wc -c < $p)"; fi; done' sh $masked
	run --separate-stderr rt run --bundle "$BUNDLE" c1
	assert_success
	[ "${#lines[@]}" -ge 1 ]
	for l in "${lines[@]}"; do
		[ "${l##* }" = 0 ] || fail "$l is not masked"
	done
}

@test "readonly paths" {
	CFG='.linux.readonlyPaths = ["/tmp", "/no/such/path"]'
	run_ctr sh -c 'ls /tmp >/dev/null && echo readable; touch /tmp/x; echo rc=$?; touch /etc/x; echo rc=$?'
	assert_output_is "$(printf 'readable\nrc=1\nrc=0')"
	assert_stderr_contains "Read-only file system"
}

@test "readonly paths: /proc/sys from the default spec" {
	SHARED=1
	run_ctr sh -c 'echo 1 > /proc/sys/kernel/domainname'
	assert_failure
	assert_stderr_contains "Read-only file system"
}

@test "root.readonly" {
	CFG='.root.readonly = true'
	run_ctr sh -c 'touch /x'
	assert_failure
	assert_stderr_contains "Read-only file system"
	[ ! -e "$BUNDLE/rootfs/x" ]
	CFG='.root.readonly = false'
	run_ctr sh -c 'touch /x'
	assert_success
	[ -e "$BUNDLE/rootfs/x" ]
}

@test "devices from linux.devices with fileMode, uid and gid" {
	SHARED=1
	CFG='.linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 420, uid: 0, gid: 1000},
		{path: "/dev/sub/myzero", type: "c", major: 1, minor: 5}]'
	run_ctr sh -c 'stat -c "%F %t %T %a %u %g" /dev/mynull; echo x > /dev/mynull && echo written; head -c 3 /dev/sub/myzero | wc -c'
	assert_success
	assert_line_is 0 "character special file 1 3 644 0 1000"
	assert_line_is 1 written
	assert_line_is 2 3
}

@test "default /dev contents" {
	SHARED=1
	run_ctr sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F" /dev/$d; done
		for d in ptmx pts shm fd stdin stdout stderr; do [ -e /dev/$d ] && echo /dev/$d; done
		for l in fd stdin stdout stderr; do readlink /dev/$l; done; stat -c %t:%T /dev/null /dev/zero'
	assert_success
	for d in null zero full random urandom tty; do
		assert_output_contains "/dev/$d character special file"
	done
	for d in ptmx pts shm fd stdin stdout stderr; do
		assert_output_contains "/dev/$d"$'\n'
	done
	assert_output_contains "/proc/self/fd"$'\n'"/proc/self/fd/0"$'\n'"/proc/self/fd/1"$'\n'"/proc/self/fd/2"
	assert_output_contains "1:3"$'\n'"1:5"
}

@test "/dev/null inside is the real one and /dev/full is full" {
	SHARED=1
	run_ctr sh -c 'echo x > /dev/null && echo ok; echo x > /dev/full'
	assert_failure
	assert_line_is 0 ok
	assert_stderr_contains "No space left on device"
}

# ns_of PID TYPE: the namespace link of a host process.
ns_of() {
	readlink "/proc/$1/ns/$2"
}

@test "namespaces: each kind is created when asked" {
	for n in pid net mnt ipc uts cgroup user; do requires_ns "$n"; done
	SHARED=1
	CFG='.linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "mount"}, {type: "ipc"},
		{type: "uts"}, {type: "cgroup"}, {type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	run_ctr sh -c 'for n in pid net mnt ipc uts cgroup user; do readlink /proc/self/ns/$n; done'
	assert_success
	i=0
	for n in pid net mnt ipc uts cgroup user; do
		[[ "${lines[$i]}" == "$n:["* ]]
		[ "${lines[$i]}" != "$(ns_of 1 "$n")" ]
		[ "${lines[$i]}" != "$(ns_of $$ "$n")" ]
		i=$((i + 1))
	done
}

@test "namespaces: a kind left out is shared with the host" {
	SHARED=1
	CFG='.linux.namespaces = [{type: "mount"}, {type: "pid"}] | del(.hostname)'
	run_ctr sh -c 'for n in net ipc uts; do readlink /proc/self/ns/$n; done'
	assert_success
	assert_output_is "$(for n in net ipc uts; do ns_of $$ $n; done)"
}

@test "namespaces: time namespace with offsets" {
	requires_ns time
	requires_berth "runc 1.1 has no time namespace"
	SHARED=1
	CFG='.linux.namespaces += [{type: "time"}]
		| .linux.timeOffsets = {monotonic: {secs: 86400, nanosecs: 0}, boottime: {secs: 172800, nanosecs: 0}}'
	run_ctr sh -c 'readlink /proc/self/ns/time; cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime'
	assert_success
	[ "${lines[0]}" != "$(ns_of $$ time)" ]
	[[ "${lines[1]}" =~ ^monotonic\ +86400\ +0$ ]]
	[[ "${lines[2]}" =~ ^boottime\ +172800\ +0$ ]]
	[ "${lines[3]}" -ge 172800 ]
}

@test "namespaces: joined by path" {
	SHARED=1
	make_bundle --shared -- sleep 1000
	rt_bg run -d --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	b2=$BATS_TEST_TMPDIR/bundle2
	BUNDLE=$b2 make_bundle --shared -- sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc'
	BUNDLE=$b2 edit_config '.linux.namespaces |= map(if .type == "network" then .path = $n
		elif .type == "uts" then .path = $u else . end) | .linux.cgroupsPath = $cg' \
		--arg n "/proc/$pid/ns/net" --arg u "/proc/$pid/ns/uts" --arg cg "$CGROUPS_PATH-2"
	run --separate-stderr rt run --bundle "$b2" c2
	rmdir /sys/fs/cgroup/*"$CGROUPS_PATH-2" /sys/fs/cgroup"$CGROUPS_PATH-2" 2>/dev/null || true
	assert_success
	assert_line_is 0 "$(ns_of "$pid" net)"
	assert_line_is 1 "$(ns_of "$pid" uts)"
	[ "${lines[2]}" != "$(ns_of "$pid" ipc)" ]
}

@test "namespaces: a path of the wrong kind is refused" {
	SHARED=1
	CFG='.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
	run_ctr true
	assert_failure
	[ ! -e "$ROOT/c1" ]
}

@test "user namespace: uid and gid maps" {
	SHARED=1
	CFG='.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1000}, {containerID: 1000, hostID: 200000, size: 10}]
		| .linux.gidMappings = [{containerID: 0, hostID: 300000, size: 65536}]'
	run_ctr sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin/busybox'
	assert_success
	[ "$(awk '{print $1, $2, $3}' <<<"$output" | head -n3)" = "$(printf '0 100000 1000\n1000 200000 10\n0 300000 65536')" ]
	assert_line_is 3 0
	# The host's root is not mapped: files it owns show as the overflow uid.
	assert_line_is 4 65534
	pid_of_host_view=$(true)
}

@test "user namespace: the container's root is the mapped host uid" {
	SHARED=1
	make_bundle --shared -- sleep 1000
	edit_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	rt_bg run -d --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	[ "$(stat -c %u "/proc/$pid")" = 100000 ]
	[ "$(ns_of "$pid" user)" != "$(ns_of $$ user)" ]
}

@test "cgroups: the process is in cgroupsPath" {
	make_bundle --shared -- sleep 1000
	rt_bg run -d --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	if cgroup_v2_only; then
		grep -qx "$pid" "/sys/fs/cgroup$CGROUPS_PATH/cgroup.procs"
		grep -qx "0::$CGROUPS_PATH" "/proc/$pid/cgroup"
	else
		for ctrl in pids memory cpu devices; do
			grep -qx "$pid" "/sys/fs/cgroup/$ctrl$CGROUPS_PATH/cgroup.procs"
		done
		grep -q ":pids:$CGROUPS_PATH\$" "/proc/$pid/cgroup"
	fi
}

@test "cgroups: a relative cgroupsPath and the default path" {
	make_bundle --shared -- sleep 1000
	edit_config 'del(.linux.cgroupsPath)'
	rt_bg run -d --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	if cgroup_v2_only; then ctrl=; else ctrl=pids; fi
	# Some cgroup of its own, not the runtime's.
	own=$(awk -F: -v c="$ctrl" '$2 == c { print $3 }' "/proc/$pid/cgroup")
	mine=$(awk -F: -v c="$ctrl" '$2 == c { print $3 }' /proc/self/cgroup)
	[ -n "$own" ] && [ "$own" != "$mine" ]
	rt delete --force c1
	[ ! -d "/sys/fs/cgroup/$ctrl$own" ]
}

@test "cgroups: the cgroup namespace hides the host path" {
	SHARED=1
	CFG='.linux.namespaces += [{type: "cgroup"}]'
	run_ctr sh -c 'grep -E "^[0-9]+:(pids)?:" /proc/self/cgroup'
	assert_success
	[[ "$output" =~ :/$ ]]
}

@test "cgroups: /sys/fs/cgroup is mounted read-only inside" {
	SHARED=1
	run_ctr sh -c 'awk "\$5 ~ /^\/sys\/fs\/cgroup/ { print \$5, \$6 }" /proc/self/mountinfo; mkdir /sys/fs/cgroup/pids/x'
	assert_failure
	[ "${#lines[@]}" -ge 1 ]
	for l in "${lines[@]}"; do
		# The v1 tmpfs that holds the hierarchies may stay writable.
		[ "${l%% *}" = /sys/fs/cgroup ] && ! cgroup_v2_only && continue
		[[ "${l#* }" == ro* ]] || fail "$l is writable"
	done
}
