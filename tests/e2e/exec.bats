#!/usr/bin/env bats
# `exec`: a second process in a running container, with runc's flags.

load helpers

# start_ctr [--copy]: a running container c1 (init: sleep) from a fresh
# bundle; extra config in $CFG (a jq filter).  --copy gives it a private,
# writable rootfs instead of the shared read-only one.
start_ctr() {
	if [ "${1:-}" = --copy ]; then
		make_bundle -- sleep 1000
	else
		make_bundle --shared -- sleep 1000
	fi
	[ -z "${CFG:-}" ] || edit_config "$CFG"
	rt_bg run -d --bundle "$BUNDLE" c1
}

# fdcheck_fds < fdcheck output: the fd numbers, space separated.
fdcheck_fds() {
	tr -d '\r' | awk '{ sub(":", "", $1); print $1 }' | grep -E '^[0-9]+$' | sort -n | tr '\n' ' '
}

cap_bit() {
	local eff
	eff=$(awk '/^CapEff:/ { print $2 }' <<<"$1")
	echo $(((0x$eff >> $2) & 1))
}

@test "exec runs in the init's pid, net, mnt, uts, ipc and cgroup namespaces" {
	start_ctr
	pid=$(container_pid c1)
	for ns in pid net mnt uts ipc cgroup user; do
		run --separate-stderr rt exec c1 readlink "/proc/self/ns/$ns"
		assert_success
		assert_output_is "$(readlink "/proc/$pid/ns/$ns")"
	done
	# In the container's pid namespace: the init is pid 1 there.
	run --separate-stderr rt exec c1 cat /proc/1/cmdline
	assert_success
	assert_output_contains sleep
	# And in its root: the rootfs, not the host's.
	run --separate-stderr rt exec c1 ls /
	assert_success
	refute_output_contains "$(basename "$BATS_TEST_TMPDIR")"
	[ "$(rt exec c1 readlink /proc/self/root)" = / ]
}

@test "exec runs in the container's cgroup" {
	start_ctr
	run --separate-stderr rt exec c1 cat /proc/self/cgroup
	assert_success
	[ "$output" = "$(cat "/proc/$(container_pid c1)/cgroup")" ] || fail "exec cgroup differs: $output"
	assert_output_contains "$CGROUPS_PATH"
}

@test "exec joins every hierarchy of a container without cgroupsPath" {
	# the cgroup is then named after the id, below the runtime's own cgroup: make it unique
	id=exec-rel-$$-$BATS_TEST_NUMBER
	make_bundle --shared -- sleep 1000
	edit_config 'del(.linux.cgroupsPath)'
	rt_bg run -d --bundle "$BUNDLE" "$id"
	run --separate-stderr rt exec "$id" cat /proc/self/cgroup
	assert_success
	[ "$output" = "$(cat "/proc/$(container_pid "$id")/cgroup")" ] || fail "exec cgroup differs: $output"
	assert_output_contains "/$id"
}

@test "exec -u uid:gid, -g and HOME from the user's passwd entry" {
	start_ctr
	run --separate-stderr rt exec -u 1000:1000 c1 sh -c 'id -u; id -g; echo $HOME'
	assert_success
	assert_output_is "$(printf '1000\n1000\n/home/user')"
	run --separate-stderr rt exec -u 1000 -g 5 -g 6 c1 id -G
	assert_success
	assert_output_is "0 5 6"
	run --separate-stderr rt exec -u abc c1 true
	assert_failure
	assert_stderr_contains "parsing abc as int for uid failed"
}

@test "exec -e adds and overrides environment variables" {
	CFG='.process.env = ["PATH=/bin:/usr/bin", "KEEP=1", "FOO=old"]'
	start_ctr
	run --separate-stderr rt exec -e FOO=new -e BAR='a b' c1 env
	assert_success
	assert_output_is "$(printf '%s\n' PATH=/bin:/usr/bin KEEP=1 FOO=new 'BAR=a b' HOME=/root)"
	run --separate-stderr rt exec -e NOEQUALS c1 true
	assert_failure
}

@test "exec --cwd" {
	start_ctr
	run --separate-stderr rt exec --cwd /etc c1 pwd
	assert_success
	assert_output_is /etc
	run --separate-stderr rt exec --cwd /nonexistent c1 pwd
	assert_failure
	assert_stderr_contains /nonexistent
	run --separate-stderr rt exec --cwd relative c1 pwd
	assert_failure
}

@test "exec returns the process's exit status, 128+N for a signal" {
	start_ctr
	run rt exec c1 sh -c 'exit 7'
	assert_status 7
	run rt exec c1 sh -c 'kill -9 $$'
	assert_status 137
	run rt exec c1 true
	assert_success
}

@test "exec connects stdio" {
	start_ctr
	run --separate-stderr rt exec c1 sh -c 'cat; echo err >&2' <<<"from stdin"
	assert_success
	assert_output_is "from stdin"
	[ "$stderr" = err ]
}

@test "exec ID -- CMD: the separator is not part of the command" {
	requires_berth "runc 1.1 executes \"--\""
	start_ctr
	run --separate-stderr rt exec c1 -- echo -- x
	assert_success
	assert_output_is "-- x"
}

@test "exec forwards signals to the process" {
	start_ctr
	# the runtime itself, not a subshell running `rt`, must get the signal
	"$RUNTIME" --root "$ROOT" exec c1 sh -c 'trap "exit 3" TERM; echo ready; while :; do sleep 0.1; done' \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 &
	rt_pid=$!
	wait_for_file "$BATS_TEST_TMPDIR/out"
	kill -TERM "$rt_pid"
	rc=0
	wait "$rt_pid" || rc=$?
	[ "$rc" -eq 3 ] || fail "exit status $rc"
}

@test "exec -d --pid-file: the process runs on in the container" {
	start_ctr
	# rt_bg: the process keeps the stdio it is given, which must not be bats' pipe
	rt_bg exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" c1 sleep 1000
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[ -n "$pid" ] && kill -0 "$pid"
	grep -q sleep "/proc/$pid/cmdline"
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$(container_pid c1)/ns/pid")" ]
	# Visible to the container, and killed with it.
	run rt exec c1 ps -o comm
	[ "$(grep -c sleep <<<"$output")" -eq 2 ]
	rt delete --force c1
	wait_pid_gone "$pid"
}

@test "exec --pid-file without -d" {
	start_ctr
	run rt exec --pid-file "$BATS_TEST_TMPDIR/exec.pid" c1 true
	assert_success
	[ -s "$BATS_TEST_TMPDIR/exec.pid" ]
}

@test "exec --process FILE" {
	start_ctr
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'EOF'
		{
			"args": ["sh", "-c", "echo $FOO; id -u; pwd"],
			"env": ["PATH=/bin", "FOO=from-process-json"],
			"cwd": "/etc",
			"user": {"uid": 1000, "gid": 1000}
		}
	EOF
	run --separate-stderr rt exec --process "$BATS_TEST_TMPDIR/process.json" c1
	assert_success
	assert_output_is "$(printf 'from-process-json\n1000\n/etc')"
	echo '{"args": []}' >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr rt exec -p "$BATS_TEST_TMPDIR/bad.json" c1
	assert_failure
}

@test "exec without a command fails" {
	start_ctr
	run --separate-stderr rt exec c1
	assert_failure
	assert_stderr_contains "process args cannot be empty"
}

@test "exec of a missing command fails with runc's message" {
	start_ctr
	run --separate-stderr rt exec c1 no-such-command
	assert_failure
	[ "$status" -ne 127 ] || fail "the child's 127 leaked out"
	assert_stderr_contains 'executable file not found in $PATH'
	assert_stderr_contains no-such-command
	# berth's exact text (runc's log format escapes the quotes)
	[ "$(runtime_name)" != berth ] ||
		assert_stderr_contains 'berth-runtime: exec failed: unable to start container process: exec: "no-such-command": executable file not found in $PATH'
	# The container is unharmed.
	[ "$(container_status c1)" = running ]
}

@test "exec in a stopped container fails" {
	make_bundle --shared -- true
	rt_bg run -d --bundle "$BUNDLE" c1
	wait_for_status c1 stopped
	run --separate-stderr rt exec c1 true
	assert_failure
	assert_stderr_contains "cannot exec in a stopped container"
}

@test "exec in an unknown container fails" {
	run --separate-stderr rt exec nope true
	assert_failure
	assert_stderr_contains "does not exist"
}

@test "exec in a created container" {
	make_bundle --shared -- sleep 1000
	rt_bg create --bundle "$BUNDLE" c1
	run --separate-stderr rt exec c1 echo hello
	assert_success
	assert_output_is hello
	[ "$(container_status c1)" = created ]
}

@test "exec: NoNewPrivs follows the config, --no-new-privs sets it" {
	CFG='.process.noNewPrivileges = true'
	start_ctr
	run --separate-stderr rt exec c1 grep NoNewPrivs /proc/self/status
	assert_output_is "NoNewPrivs:	1"
	rt delete --force c1
	CFG='.process.noNewPrivileges = false'
	start_ctr
	run --separate-stderr rt exec c1 grep NoNewPrivs /proc/self/status
	assert_output_is "NoNewPrivs:	0"
	run --separate-stderr rt exec --no-new-privs c1 grep NoNewPrivs /proc/self/status
	assert_output_is "NoNewPrivs:	1"
}

@test "exec: the container's seccomp profile applies" {
	CFG='.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	start_ctr
	run --separate-stderr rt exec c1 sh -c 'mkdir /dev/shm/x; echo rc=$?'
	assert_success
	assert_output_is rc=1
	assert_stderr_contains "Operation not permitted"
	run --separate-stderr rt exec c1 grep '^Seccomp:' /proc/self/status
	assert_output_is "Seccomp:	2"
	if [ "$(runtime_name)" = berth ]; then
		# compiled once, then read from the state directory; a damaged copy is compiled again
		[ -s "$ROOT/c1/exec-seccomp.bpf" ]
		truncate -s 100 "$ROOT/c1/exec-seccomp.bpf"
		run --separate-stderr rt exec c1 sh -c 'mkdir /dev/shm/y; echo rc=$?'
		assert_output_is rc=1
		[ "$(stat -c %s "$ROOT/c1/exec-seccomp.bpf")" -gt 100 ]
	fi
	# Without a profile the same mkdir works.
	rt delete --force c1
	CFG=
	start_ctr
	run --separate-stderr rt exec c1 sh -c 'mkdir /dev/shm/x; echo rc=$?'
	assert_output_is rc=0
}

@test "exec: no fd leaks, fdcheck sees only stdio" {
	requires_helper fdcheck
	start_ctr --copy
	cp "$HELPERS_DIR/fdcheck" "$BUNDLE/rootfs/fdcheck"
	run --separate-stderr rt exec c1 /fdcheck 3<"$BUNDLE/config.json" 4<"$BUNDLE" 9>"$BATS_TEST_TMPDIR/x"
	assert_success
	[ "$(fdcheck_fds <<<"$output")" = "0 1 2 " ] || fail "fdcheck: $output"
	rt_bg exec -d c1 /fdcheck
	for _ in $(seq 100); do grep -q '^2' "$CTR_OUT" && break; sleep 0.05; done
	[ "$(fdcheck_fds <"$CTR_OUT")" = "0 1 2 " ] || fail "fdcheck -d: $(cat "$CTR_OUT")"
}

@test "exec --preserve-fds 2 passes exactly 3 and 4" {
	requires_helper fdcheck
	start_ctr --copy
	cp "$HELPERS_DIR/fdcheck" "$BUNDLE/rootfs/fdcheck"
	run --separate-stderr rt exec --preserve-fds 2 c1 /fdcheck \
		3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json" 5<"$BUNDLE/config.json"
	assert_success
	[ "$(fdcheck_fds <<<"$output")" = "0 1 2 3 4 " ] || fail "fdcheck: $output"
	# Preserved fds that the caller did not open are not filled with ours.
	run --separate-stderr rt exec --preserve-fds 3 c1 sh -c 'cat /proc/self/fdinfo/5 >/dev/null 2>&1 && readlink /proc/self/fd/5'
	[[ "$output" != *"$ROOT"* && "$output" != *socket* && "$output" != *pidfd* ]] || fail "fd 5 is \`$output\`"
}

@test "exec -t --console-socket sends the pty master" {
	requires_helper recvtty
	start_ctr
	sock=$BATS_TEST_TMPDIR/console.sock
	"$HELPERS_DIR/recvtty" --mode single "$sock" </dev/null >"$BATS_TEST_TMPDIR/tty.out" 2>&1 &
	recv_pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	run rt exec -d -t --console-socket "$sock" c1 sh -c 'tty; echo hello; ls -l /proc/self/fd'
	assert_success
	wait "$recv_pid"
	tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out" >"$BATS_TEST_TMPDIR/tty.txt"
	run cat "$BATS_TEST_TMPDIR/tty.txt"
	[[ "${lines[0]}" == /dev/pts/* ]] || fail "tty: $output"
	assert_line_is 1 hello
	tty=${lines[0]}
	[ "$(fds_from_ls <"$BATS_TEST_TMPDIR/tty.txt")" = "$(printf "%s $tty\n" 0 1 2)" ] || fail "fds: $output"
}

@test "exec -t without a tty of its own proxies the pty" {
	command -v script >/dev/null || skip "no script(1)"
	start_ctr
	run script -qec "$RUNTIME --root $ROOT exec -t c1 sh -c 'tty; exit 5'" /dev/null </dev/null
	assert_status 5
	assert_output_contains /dev/pts/
}

@test "exec: terminal and console socket combinations runc refuses" {
	start_ctr
	run --separate-stderr rt exec -d -t c1 true
	assert_failure
	assert_stderr_contains "cannot allocate tty"
	run --separate-stderr rt exec --console-socket "$BATS_TEST_TMPDIR/sock" c1 true
	assert_failure
	assert_stderr_contains "cannot use console socket"
}

@test "exec --cap adds a capability" {
	start_ctr
	run --separate-stderr rt exec c1 grep CapEff /proc/self/status
	[ "$(cap_bit "$output" 12)" = 0 ] || fail "CAP_NET_ADMIN already there: $output"
	run --separate-stderr rt exec --cap CAP_NET_ADMIN c1 grep -E 'CapEff|CapBnd' /proc/self/status
	assert_success
	[ "$(cap_bit "$output" 12)" = 1 ] || fail "no CAP_NET_ADMIN: $output"
	run --separate-stderr rt exec -c CAP_NET_ADMIN c1 ip link set lo down
	assert_success
}

@test "exec --cgroup joins a sub-cgroup" {
	start_ctr
	pids_dir=/sys/fs/cgroup/pids$CGROUPS_PATH
	[ -d "$pids_dir" ] || skip "no cgroup v1 pids hierarchy"
	mkdir "$pids_dir/sub"
	run --separate-stderr rt exec --cgroup pids:sub c1 cat /proc/self/cgroup
	rc=$status
	rmdir "$pids_dir/sub" 2>/dev/null || true
	[ "$rc" -eq 0 ] || fail "exec --cgroup failed"
	assert_output_contains ":pids:$CGROUPS_PATH/sub"
	run --separate-stderr rt exec --cgroup pids:missing c1 true
	assert_failure
}

@test "exec into a container with a user namespace" {
	requires_ns user
	CFG='.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	start_ctr
	pid=$(container_pid c1)
	run --separate-stderr rt exec c1 sh -c 'readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map'
	assert_success
	assert_line_is 0 "$(readlink "/proc/$pid/ns/user")"
	assert_line_is 1 0
	[[ "${lines[2]}" == *100000* ]] || fail "uid_map: ${lines[2]}"
	rt_bg exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" -u 1000 c1 sleep 1000
	[ "$(stat -c %u "/proc/$(cat "$BATS_TEST_TMPDIR/exec.pid")")" = 101000 ]
}
