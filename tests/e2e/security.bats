#!/usr/bin/env bats
# Security properties: the init's binary, descriptor leaks, path resolution in
# the rootfs, dumpability, and refusal of bad input without leftovers.

load helpers

# run_ctr ARG...: `run` a container; config tweaks in $CFG.
run_ctr() {
	make_bundle ${SHARED:+--shared} -- "$@"
	[ -z "${CFG:-}" ] || edit_config "$CFG"
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
}

# --- (a) the init does not run the on-disk runtime binary --------------------

@test "the container init does not execute the on-disk runtime binary" {
	make_bundle --shared -- true
	rt_bg create --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	runtime_path=$(readlink -f "$(command -v "$RUNTIME")")
	exe=$(readlink "/proc/$pid/exe" || true)
	[ "$exe" != "$runtime_path" ]
	# runc 1.1 (Debian) runs itself from a detached read-only bind mount of
	# the same inode; berth through a private read-only overlayfs mount of
	# its directory, or where there is none, from a sealed memfd copy.
	if [ "$(runtime_name)" = berth ]; then
		[[ "$exe" == /memfd:* || "$(stat -L -f -c %T "/proc/$pid/exe")" == overlayfs ]] ||
			fail "init exe is \`$exe\`, expected a sealed memfd or a private overlayfs file"
		[ "$(stat -L -c %d:%i "/proc/$pid/exe")" != "$(stat -c %d:%i "$runtime_path")" ]
		# that mount is attached nowhere
		! grep -q " $(dirname "$runtime_path") .* overlay " "/proc/$pid/mountinfo"
	fi
}

@test "the init's binary cannot be opened for writing" {
	make_bundle --shared -- true
	rt_bg create --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	# O_RDWR without O_TRUNC: harmless if it wrongly succeeds.
	run bash -c "exec 5<>/proc/$pid/exe"
	assert_failure
	[[ "$output" == *"Text file busy"* || "$output" == *"Permission denied"* || "$output" == *"Operation not permitted"* ||
		"$output" == *"Read-only file system"* ]] ||
		fail "unexpected error: $output"
	# And the on-disk binary is intact.
	"$RUNTIME" --version >/dev/null
}

# --- (b) no descriptor leaks ---------------------------------------------------

# The fds of the container process (pid 1 execs ls, which lists its own).
@test "no fd leaks: run gives the process only stdio" {
	SHARED=1
	run_ctr ls -l /proc/self/fd
	assert_success
	[ "$(fds_from_ls <<<"$output" | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 " ]
}

@test "no fd leaks: create + start gives the process only stdio" {
	make_bundle --shared -- ls -l /proc/self/fd
	rt_bg create --bundle "$BUNDLE" c1
	rt start c1
	wait_for_status c1 stopped
	[ "$(fds_from_ls <"$CTR_OUT" | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 " ]
}

@test "no fd leaks: fds the caller did not pass are closed" {
	SHARED=1
	make_bundle --shared -- ls -l /proc/self/fd
	run --separate-stderr rt run --bundle "$BUNDLE" c1 3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json" 9>"$BATS_TEST_TMPDIR/x"
	assert_success
	[ "$(fds_from_ls <<<"$output" | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 " ]
}

@test "no fd leaks: --preserve-fds 2 passes exactly 3 and 4" {
	make_bundle --shared -- ls -l /proc/self/fd
	run --separate-stderr rt run --preserve-fds 2 --bundle "$BUNDLE" c1 \
		3<"$BUNDLE/config.json" 4<"$BATS_TEST_TMPDIR" 5<"$BUNDLE/config.json"
	assert_success
	[ "$(fds_from_ls <<<"$output" | awk '{print $1}' | tr '\n' ' ')" = "0 1 2 3 4 " ]
}

# fdcheck_fds < fdcheck output: the fd numbers, space separated.
fdcheck_fds() {
	local out
	out=$(tr -d '\r')
	if [ "$(grep -c . <<<"$out")" -le 1 ]; then
		tr -s ' ,\t' '\n' <<<"$out"
	else
		awk '{ sub(":", "", $1); print $1 }' <<<"$out"
	fi | grep -E '^[0-9]+$' | sort -n | tr '\n' ' '
}

@test "no fd leaks: fdcheck sees only stdio" {
	requires_helper fdcheck
	make_bundle -- /fdcheck
	cp "$HELPERS_DIR/fdcheck" "$BUNDLE/rootfs/fdcheck"
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
	assert_success
	[ "$(fdcheck_fds <<<"$output")" = "0 1 2 " ] || fail "fdcheck: $output"
}

@test "no fd leaks: fdcheck with --preserve-fds 2" {
	requires_helper fdcheck
	make_bundle -- /fdcheck
	cp "$HELPERS_DIR/fdcheck" "$BUNDLE/rootfs/fdcheck"
	run --separate-stderr rt run --preserve-fds 2 --bundle "$BUNDLE" c1 </dev/null \
		3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json"
	assert_success
	[ "$(fdcheck_fds <<<"$output")" = "0 1 2 3 4 " ] || fail "fdcheck: $output"
}

@test "process.cwd through a leaked /proc/self/fd is refused or stays inside" {
	for fd in 3 4 5 6 7 8 9; do
		make_bundle -- sleep 1000
		edit_config '.process.cwd = $c' --arg c "/proc/self/fd/$fd"
		if rt_bg run -d --bundle "$BUNDLE" c1 2>/dev/null; then
			cwd=$(readlink "/proc/$(container_pid c1)/cwd")
			[[ "$cwd" == "$BUNDLE/rootfs"* ]] || fail "cwd /proc/self/fd/$fd escaped to \`$cwd\`"
		fi
		rt delete --force c1 2>/dev/null || true
	done
}

# --- (c) paths resolve inside the rootfs ------------------------------------------

@test "a mount destination symlinked to a host path mounts inside the rootfs" {
	target=$BATS_TEST_TMPDIR/host-target
	make_bundle -- sh -c 'cat /evil/file'
	ln -s "$target" "$BUNDLE/rootfs/evil"
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo from-src >"$BATS_TEST_TMPDIR/src/file"
	edit_config '.mounts += [{destination: "/evil", type: "bind", source: $s, options: ["rbind"]}]' \
		--arg s "$BATS_TEST_TMPDIR/src"
	run --separate-stderr rt run --bundle "$BUNDLE" c1
	assert_success
	assert_output_is from-src
	# The host path was neither created nor mounted on.
	[ ! -e "$target" ]
	[ -d "$BUNDLE/rootfs$target" ]
}

@test "a tmpfs destination symlinked to an existing host dir leaves it untouched" {
	target=$BATS_TEST_TMPDIR/host-target
	mkdir -p "$target"
	make_bundle -- sh -c 'touch /evil/inside; ls -A /evil'
	ln -s "$target" "$BUNDLE/rootfs/evil"
	edit_config '.mounts += [{destination: "/evil", type: "tmpfs", source: "tmpfs"}]'
	run --separate-stderr rt run --bundle "$BUNDLE" c1
	assert_success
	assert_output_is inside
	[ -z "$(ls -A "$target")" ]
}

@test "a relative symlink cannot climb out of the rootfs" {
	make_bundle -- sh -c 'ls -A /evil'
	ln -s ../../../../../../../../.. "$BUNDLE/rootfs/evil"
	edit_config '.mounts += [{destination: "/evil/sub", type: "tmpfs", source: "tmpfs"}]'
	before=$(mount_count)
	run --separate-stderr rt run --bundle "$BUNDLE" c1
	# /evil resolves to the rootfs' own /, so /sub is created there.
	[ ! -e /sub ]
	[ "$(mount_count)" -eq "$before" ]
}

@test "/proc as a symlink in the rootfs is refused" {
	target=$BATS_TEST_TMPDIR/host-proc
	mkdir -p "$target"
	make_bundle -- true
	rm -rf "$BUNDLE/rootfs/proc"
	ln -s "$target" "$BUNDLE/rootfs/proc"
	run rt_bg create --bundle "$BUNDLE" c1
	assert_failure
	[ ! -e "$ROOT/c1" ]
	[ -z "$(ls -A "$target")" ]
}

@test "a rootfs whose /dev is a symlink to a host dir: nothing is created there" {
	requires_berth "runc 1.1.5 creates the /dev symlinks (fd, stdin, ptmx...) in the host directory"
	target=$BATS_TEST_TMPDIR/host-dev
	mkdir -p "$target"
	make_bundle -- true
	rm -rf "$BUNDLE/rootfs/dev"
	ln -s "$target" "$BUNDLE/rootfs/dev"
	run rt run --bundle "$BUNDLE" c1 </dev/null
	[ -z "$(ls -A "$target")" ] || fail "created in the host dir: $(ls -A "$target")"
}

@test "a rootfs whose /dev is a symlink, without a /dev tmpfs: no device nodes on the host" {
	requires_berth "runc 1.1.5 follows the /dev symlink"
	target=$BATS_TEST_TMPDIR/host-dev
	mkdir -p "$target"
	make_bundle -- true
	edit_config '.mounts |= map(select(.destination != "/dev"))'
	rm -rf "$BUNDLE/rootfs/dev"
	ln -s "$target" "$BUNDLE/rootfs/dev"
	run rt run --bundle "$BUNDLE" c1 </dev/null
	[ -z "$(ls -A "$target")" ] || fail "created in the host dir: $(ls -A "$target")"
}

# Masking binds /dev/null over a path: a /dev/null that is not the 1:3 device
# must never be what a masked path shows.
@test "maskedPaths with a fake /dev/null in the rootfs: refused or masked with the real one" {
	requires_berth "runc 1.1.5 keeps a regular-file /dev/null from the rootfs and masks (and reopens stdio) with it"
	make_bundle -- sh -c 'cat /etc/passwd; stat -c "%F %t:%T" /dev/null'
	edit_config '.mounts |= map(select(.destination != "/dev")) | .linux.maskedPaths = ["/etc/passwd"]'
	echo secret-replacement >"$BUNDLE/rootfs/dev/null"
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
	refute_output_contains secret-replacement
	[ "$status" -ne 0 ] || assert_output_is "character special file 1:3"
}

@test "maskedPaths with a file bind-mounted on /dev/null: refused or masked with the real one" {
	echo secret-replacement >"$BATS_TEST_TMPDIR/fake-null"
	make_bundle -- sh -c 'cat /etc/passwd; echo end'
	edit_config '.linux.maskedPaths = ["/etc/passwd"]
		| .mounts += [{destination: "/dev/null", type: "bind", source: $f, options: ["bind"]}]' \
		--arg f "$BATS_TEST_TMPDIR/fake-null"
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
	refute_output_contains secret-replacement
	refute_output_contains root:
}

@test "maskedPaths with a fake /dev/null: berth names the problem" {
	requires_berth "message format"
	echo secret-replacement >"$BATS_TEST_TMPDIR/fake-null"
	make_bundle -- true
	edit_config '.linux.maskedPaths = ["/etc/passwd"]
		| .mounts += [{destination: "/dev/null", type: "bind", source: $f, options: ["bind"]}]' \
		--arg f "$BATS_TEST_TMPDIR/fake-null"
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
	assert_failure
	assert_stderr_contains /dev/null
	[ ! -e "$ROOT/c1" ]
}

# --- (d) the init is not dumpable before it execs the user process -----------

@test "the init is not dumpable before exec" {
	requires_ns user
	# The owner of /proc/PID/* files tells: a non-dumpable process's files
	# belong to root, a dumpable one's to its (mapped) uid.
	make_bundle --shared -- sleep 1000
	edit_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	rt_bg create --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	[ "$(stat -c %u "/proc/$pid/environ")" = 0 ]
	run setpriv --reuid 100000 --regid 100000 --clear-groups cat "/proc/$pid/environ"
	assert_failure
	rt start c1
	# After exec the user process is an ordinary dumpable one.
	for _ in $(seq 100); do [ "$(stat -c %u "/proc/$pid/environ")" = 100000 ] && break; sleep 0.05; done
	[ "$(stat -c %u "/proc/$pid/environ")" = 100000 ]
}

# --- (e) bad input is refused and leaves nothing behind ------------------------

# refused_cleanly: the last `run` failed and left no state, cgroup or mount.
refused_cleanly() {
	assert_failure
	[ ! -e "$ROOT/c1" ] || fail "state directory left in $ROOT"
	[ ! -d "/sys/fs/cgroup/pids$CGROUPS_PATH" ] && [ ! -d "/sys/fs/cgroup$CGROUPS_PATH" ] && [ ! -d "/sys/fs/cgroup/unified$CGROUPS_PATH" ] ||
		fail "cgroup left"
	[ "$(mount_count)" -eq "$MOUNTS_BEFORE" ] || fail "mounts left"
}

# try_config JQ: run a container with the config edited by JQ, expect a clean refusal.
try_config() {
	make_bundle --shared -- true
	edit_config "$1"
	MOUNTS_BEFORE=$(mount_count)
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
	refused_cleanly
}

@test "malformed config.json is refused with nothing left" {
	make_bundle --shared -- true
	printf '{\n  "ociVersion": "1.0.2",\n  "process": {,\n}\n' >"$BUNDLE/config.json"
	MOUNTS_BEFORE=$(mount_count)
	run --separate-stderr rt create --bundle "$BUNDLE" c1 </dev/null
	refused_cleanly
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
	refused_cleanly
}

@test "malformed config.json: one line naming config.json:LINE:COL" {
	requires_berth "message format"
	make_bundle --shared -- true
	printf '{\n  "ociVersion": "1.0.2",\n  "process": {,\n}\n' >"$BUNDLE/config.json"
	run --separate-stderr rt create --bundle "$BUNDLE" c1 </dev/null
	assert_failure
	[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "expected one line of stderr"
	[[ "$stderr" =~ config\.json:3:[0-9]+ ]] || fail "no config.json:3:COL in \`$stderr\`"
}

@test "missing config.json is refused" {
	mkdir -p "$BUNDLE"
	MOUNTS_BEFORE=$(mount_count)
	run --separate-stderr rt create --bundle "$BUNDLE" c1 </dev/null
	refused_cleanly
}

@test "a wrong type is refused" {
	try_config '.process.args = 5'
}

@test "a wrong type names the field" {
	requires_berth "message format"
	try_config '.process.args = 5'
	assert_stderr_contains process.args
	try_config '.linux.namespaces[0].type = 7'
	assert_stderr_contains "linux.namespaces[0].type"
}

@test "empty args and a missing process are refused" {
	try_config '.process.args = []'
	try_config 'del(.process)'
}

@test "container ids with / or .. or too long are refused" {
	make_bundle --shared -- true
	long=$(printf 'a%.0s' $(seq 1025))
	for id in ../x a/b .. . "" "a b" "$long" "x$(printf '\t')y"; do
		run rt_bg create --bundle "$BUNDLE" "$id"
		assert_failure
		[ -z "$(ls -A "$ROOT")" ] || fail "id \`${id:0:20}\` left $(ls -A "$ROOT")"
	done
	[ ! -e "$BATS_TEST_TMPDIR/x" ]
}

@test "a namespace path that does not exist is refused" {
	try_config '.linux.namespaces |= map(if .type == "network" then .path = "/no/such/ns" else . end)'
}

@test "a namespace path that is not a namespace is refused" {
	try_config '.linux.namespaces |= map(if .type == "network" then .path = "/etc/passwd" else . end)'
}

@test "an unknown or duplicated namespace is refused" {
	try_config '.linux.namespaces += [{type: "bogus"}]'
	try_config '.linux.namespaces += [{type: "pid"}]'
}

@test "an overflowing id mapping is refused" {
	try_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 4294967295, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

@test "a duplicated rlimit is refused" {
	requires_berth "runc 1.1 accepts duplicated rlimits"
	try_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 10, hard: 10}, {type: "RLIMIT_NOFILE", soft: 20, hard: 20}]'
}

@test "an rlimit with soft above hard is refused" {
	try_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 20, hard: 10}]'
}

@test "an unknown seccomp action is refused" {
	try_config '.linux.seccomp = {defaultAction: "SCMP_ACT_BOGUS"}'
	try_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOPE"}]}'
}

@test "an unknown seccomp architecture or operator is refused" {
	try_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_NOPE"]}'
	try_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{index: 1, value: 1, op: "SCMP_CMP_NOPE"}]}]}'
}

@test "a bad device type is refused" {
	try_config '.linux.devices = [{path: "/dev/x", type: "q", major: 1, minor: 3}]'
}

@test "a mount of a nonexistent source is refused" {
	try_config '.mounts += [{destination: "/mnt/x", type: "bind", source: "/no/such/source", options: ["rbind"]}]'
}
