#!/usr/bin/env bats
# The container process: args, env, cwd, user, umask, rlimits, capabilities,
# no_new_privs, oom_score_adj, terminal, hostname, seccomp, personality,
# sysctl and hooks.

load helpers

# run_ctr ARG...: make a shared-rootfs bundle running ARG... and `run` it.
# Extra config goes in $CFG (a jq filter) before the call.
run_ctr() {
	make_bundle --shared -- "$@"
	[ -z "${CFG:-}" ] || edit_config "$CFG"
	run --separate-stderr rt run --bundle "$BUNDLE" c1 </dev/null
}

@test "args are passed verbatim" {
	run_ctr sh -c 'for a in "$@"; do echo "[$a]"; done' sh 'a b' '' '"q"' '$HOME'
	assert_success
	assert_output_is "$(printf '%s\n' '[a b]' '[]' '["q"]' '[$HOME]')"
}

@test "env replaces the environment" {
	CFG='.process.env = ["FOO=bar baz", "PATH=/bin", "EMPTY="]'
	run_ctr env
	assert_success
	# HOME is added from /etc/passwd when missing, as runc does.
	[ "$(sort <<<"$output")" = "$(printf '%s\n' 'EMPTY=' 'FOO=bar baz' 'PATH=/bin' 'HOME=/root' | sort)" ]
}

@test "HOME comes from the user's /etc/passwd entry unless set" {
	CFG='.process.env = ["PATH=/bin"] | .process.user = {uid: 1000, gid: 1000}'
	run_ctr sh -c 'echo $HOME'
	assert_success
	assert_output_is /home/user
	CFG='.process.env = ["PATH=/bin", "HOME=/custom"]'
	run_ctr sh -c 'echo $HOME'
	assert_output_is /custom
}

@test "args[0] is looked up in the PATH of process.env" {
	CFG='.process.env = ["PATH=/usr/bin:/bin"]'
	run_ctr busybox echo found
	assert_success
	assert_output_is found
}

@test "cwd is set and created if missing" {
	make_bundle -- pwd
	edit_config '.process.cwd = "/does/not/exist"'
	run --separate-stderr rt run --bundle "$BUNDLE" c1
	assert_success
	assert_output_is /does/not/exist
}

@test "a relative cwd is refused" {
	CFG='.process.cwd = "tmp"'
	run_ctr pwd
	assert_failure
	[ ! -e "$ROOT/c1" ]
}

@test "user uid, gid and additionalGids" {
	CFG='.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20]}'
	run_ctr id
	assert_success
	assert_output_is "uid=1000(user) gid=1000(user) groups=10,20"
}

@test "user without additionalGids has no supplementary groups" {
	CFG='.process.user = {uid: 65534, gid: 65534}'
	run_ctr sh -c 'id -u; id -g; grep ^Groups: /proc/self/status'
	assert_success
	assert_line_is 0 65534
	assert_line_is 1 65534
	[[ "${lines[2]}" =~ ^Groups:[[:space:]]*$ ]]
}

@test "a non-root user gets no capabilities" {
	CFG='.process.user = {uid: 1000, gid: 1000}'
	run_ctr sh -c 'grep -E "^Cap(Prm|Eff|Amb):" /proc/self/status'
	assert_success
	assert_output_contains "CapPrm:	0000000000000000"
	assert_output_contains "CapEff:	0000000000000000"
}

@test "umask" {
	CFG='.process.user.umask = 23'
	run_ctr sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f' 
	# The shared rootfs is read-only: umask alone is enough.
	assert_line_is 0 0027
}

@test "umask applies to created files" {
	make_bundle -- sh -c 'umask; : > /tmp/f; stat -c %a /tmp/f'
	edit_config '.process.user.umask = 63'
	run --separate-stderr rt run --bundle "$BUNDLE" c1
	assert_success
	assert_line_is 0 0077
	assert_line_is 1 600
}

@test "default umask is 0022" {
	run_ctr sh -c umask
	assert_success
	assert_output_is 0022
}

@test "rlimits: soft and hard limits below the current hard limit" {
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || hard=65536
	soft=$((hard / 2))
	CFG=".process.rlimits = [{type: \"RLIMIT_NOFILE\", soft: $soft, hard: $hard}, {type: \"RLIMIT_CORE\", soft: 0, hard: 0}]"
	run_ctr sh -c 'ulimit -Sn; ulimit -Hn; grep "core file" /proc/self/limits'
	assert_success
	assert_line_is 0 "$soft"
	assert_line_is 1 "$hard"
	[[ "${lines[2]}" =~ ^Max\ core\ file\ size\ +0\ +0\ +bytes ]]
}

@test "rlimits: lowering a hard limit" {
	CFG='.process.rlimits = [{type: "RLIMIT_NPROC", soft: 100, hard: 200}]'
	run_ctr sh -c 'grep "Max processes" /proc/self/limits'
	assert_success
	[[ "$output" =~ ^Max\ processes\ +100\ +200\ +processes ]]
}

@test "rlimits: an unknown type is refused" {
	CFG='.process.rlimits = [{type: "RLIMIT_NOSUCH", soft: 1, hard: 1}]'
	run_ctr true
	assert_failure
}

# capability masks: CAP_CHOWN=0 CAP_KILL=5 CAP_NET_BIND_SERVICE=10 CAP_SYS_ADMIN=21
@test "capabilities: the configured sets, inheritable and ambient empty by default" {
	CFG='.process.capabilities = {bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		effective: ["CAP_CHOWN", "CAP_KILL"], permitted: ["CAP_CHOWN", "CAP_KILL"]}'
	run_ctr sh -c 'grep ^Cap /proc/self/status'
	assert_success
	assert_output_contains "CapInh:	0000000000000000"
	assert_output_contains "CapPrm:	0000000000000021"
	assert_output_contains "CapEff:	0000000000000021"
	assert_output_contains "CapBnd:	0000000000000421"
	assert_output_contains "CapAmb:	0000000000000000"
}

@test "capabilities: ambient needs inheritable and survives exec" {
	CFG='.process.capabilities = {bounding: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		effective: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"],
		inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"]}
		| .process.user = {uid: 1000, gid: 1000}'
	run_ctr sh -c 'grep -E "^Cap(Inh|Eff|Amb):" /proc/self/status'
	assert_success
	assert_output_contains "CapInh:	0000000000000400"
	assert_output_contains "CapEff:	0000000000000400"
	assert_output_contains "CapAmb:	0000000000000400"
}

@test "capabilities: the default spec's set" {
	run_ctr sh -c 'grep -E "^Cap(Inh|Bnd|Amb):" /proc/self/status'
	assert_success
	assert_output_contains "CapInh:	0000000000000000"
	# AUDIT_WRITE KILL NET_BIND_SERVICE
	assert_output_contains "CapBnd:	0000000020000420"
}

@test "capabilities: a dropped capability is really gone" {
	CFG='.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
	run_ctr sh -c 'chown 1000 /tmp 2>&1; echo rc=$?'
	assert_output_contains "rc=1"
}

@test "capabilities: an unknown CAP_ name is skipped (a newer kernel's)" {
	CFG='.process.capabilities = {bounding: ["CAP_KILL", "CAP_NOSUCH"], effective: ["CAP_KILL", "CAP_NOSUCH"], permitted: ["CAP_KILL"]}'
	run_ctr sh -c 'grep ^CapBnd: /proc/self/status'
	assert_success
	assert_output_is "CapBnd:	0000000000000020"
}

@test "capabilities: a name that is not a capability is refused" {
	requires_berth "runc 1.1 ignores it with a warning"
	CFG='.process.capabilities.bounding += ["chown"]'
	run_ctr true
	assert_failure
	assert_stderr_contains process.capabilities.bounding
}

@test "noNewPrivileges" {
	CFG='.process.noNewPrivileges = true'
	run_ctr grep NoNewPrivs /proc/self/status
	assert_success
	assert_output_is "NoNewPrivs:	1"
	CFG='.process.noNewPrivileges = false'
	run_ctr grep NoNewPrivs /proc/self/status
	assert_success
	assert_output_is "NoNewPrivs:	0"
}

@test "oomScoreAdj" {
	CFG='.process.oomScoreAdj = 123'
	run_ctr cat /proc/self/oom_score_adj
	assert_success
	assert_output_is 123
}

@test "oomScoreAdj is inherited from the runtime when unset" {
	CFG='del(.process.oomScoreAdj)'
	echo 7 >/proc/self/oom_score_adj
	run_ctr cat /proc/self/oom_score_adj
	echo 0 >/proc/self/oom_score_adj
	assert_success
	assert_output_is 7
}

@test "terminal: the pty master goes to --console-socket" {
	requires_helper recvtty
	make_bundle --shared -- sh -c 'tty; stty size; echo hello; exec ls -l /proc/self/fd'
	edit_config '.process.terminal = true | .process.consoleSize = {height: 30, width: 100}'
	sock=$BATS_TEST_TMPDIR/console.sock
	"$HELPERS_DIR/recvtty" --mode single "$sock" </dev/null >"$BATS_TEST_TMPDIR/tty.out" 2>&1 &
	recv_pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	run rt_bg run -d --console-socket "$sock" --bundle "$BUNDLE" c1
	assert_success
	wait "$recv_pid"
	tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out" >"$BATS_TEST_TMPDIR/tty.txt"
	run cat "$BATS_TEST_TMPDIR/tty.txt"
	assert_line_is 0 /dev/pts/0
	assert_line_is 1 "30 100"
	assert_line_is 2 hello
	# stdio is the pty and nothing else is open.
	[ "$(fds_from_ls <"$BATS_TEST_TMPDIR/tty.txt")" = "$(printf '%s /dev/pts/0\n' 0 1 2)" ]
}

@test "terminal: input reaches the process through the pty" {
	requires_helper recvtty
	make_bundle --shared -- sh -c 'read line; echo "got $line"'
	edit_config '.process.terminal = true'
	sock=$BATS_TEST_TMPDIR/console.sock
	(sleep 0.5; echo typed) | "$HELPERS_DIR/recvtty" --mode single "$sock" >"$BATS_TEST_TMPDIR/tty.out" 2>&1 &
	recv_pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	rt_bg run -d --console-socket "$sock" --bundle "$BUNDLE" c1
	wait "$recv_pid"
	grep -q "got typed" "$BATS_TEST_TMPDIR/tty.out"
}

@test "terminal without --console-socket is refused" {
	make_bundle --shared -- true
	edit_config '.process.terminal = true'
	run rt_bg create --bundle "$BUNDLE" c1
	assert_failure
	[ ! -e "$ROOT/c1" ]
}

@test "--console-socket without terminal is refused" {
	make_bundle --shared -- true
	run rt_bg create --console-socket "$BATS_TEST_TMPDIR/sock" --bundle "$BUNDLE" c1
	assert_failure
}

@test "hostname" {
	CFG='.hostname = "berth-test"'
	run_ctr hostname
	assert_success
	assert_output_is berth-test
	[ "$(hostname)" != berth-test ]
}

@test "hostname without a uts namespace is refused" {
	CFG='.hostname = "x" | .linux.namespaces |= map(select(.type != "uts"))'
	run_ctr true
	assert_failure
}

@test "domainname" {
	requires_berth "runc 1.1 ignores domainname"
	CFG='.domainname = "example.org"'
	run_ctr cat /proc/sys/kernel/domainname
	assert_success
	assert_output_is example.org
}

seccomp_base='{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]}'

@test "seccomp: a denied syscall fails with EPERM" {
	CFG=".linux.seccomp = $seccomp_base
		| .linux.seccomp.syscalls = [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_ERRNO\"}]"
	run_ctr sh -c 'mkdir /tmp/x; echo rc=$?'
	assert_success
	assert_stderr_contains "Operation not permitted"
	assert_output_is rc=1
}

@test "seccomp: errnoRet" {
	CFG=".linux.seccomp = $seccomp_base
		| .linux.seccomp.syscalls = [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_ERRNO\", errnoRet: 28}]"
	run_ctr sh -c 'mkdir /tmp/x'
	assert_failure
	assert_stderr_contains "No space left on device"
}

@test "seccomp: defaultAction ERRNO with defaultErrnoRet" {
	allow=$(tr -s ' \n' '\n' <"$BATS_TEST_DIRNAME/seccomp-allow.txt" | grep . | jq -R . | jq -cs .)
	CFG=".linux.seccomp = {defaultAction: \"SCMP_ACT_ERRNO\", defaultErrnoRet: 28,
		architectures: [\"SCMP_ARCH_X86_64\"], syscalls: [{names: $allow, action: \"SCMP_ACT_ALLOW\"}]}"
	run_ctr sh -c 'echo before; mkdir /tmp/x; echo rc=$?'
	assert_success
	assert_line_is 0 before
	assert_line_is 1 rc=1
	assert_stderr_contains "No space left on device"
}

@test "seccomp: an argument filter" {
	# kill(pid, SIGUSR1) is denied, kill(pid, 0) is not.
	CFG=".linux.seccomp = $seccomp_base
		| .linux.seccomp.syscalls = [{names: [\"kill\"], action: \"SCMP_ACT_ERRNO\",
			args: [{index: 1, value: 10, op: \"SCMP_CMP_EQ\"}]}]"
	run_ctr sh -c 'kill -0 $$; echo k0=$?; kill -USR1 $$; echo k10=$?'
	assert_success
	assert_line_is 0 k0=0
	assert_line_is 1 k10=1
	assert_stderr_contains "Operation not permitted"
}

@test "seccomp: the filter applies to the process, not only its first exec" {
	CFG=".linux.seccomp = $seccomp_base
		| .linux.seccomp.syscalls = [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_ERRNO\"}]"
	run_ctr sh -c 'grep ^Seccomp: /proc/self/status; sh -c "mkdir /tmp/y"; echo rc=$?'
	assert_line_is 0 "Seccomp:	2"
	assert_line_is 1 rc=1
}

@test "seccomp: an unknown syscall name is skipped" {
	CFG=".linux.seccomp = $seccomp_base
		| .linux.seccomp.syscalls = [{names: [\"no_such_syscall\", \"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_ERRNO\"}]"
	run_ctr sh -c 'mkdir /tmp/x; echo rc=$?'
	assert_success
	assert_output_is rc=1
}

@test "personality LINUX32" {
	requires_berth "runc 1.1 ignores linux.personality"
	CFG='.linux.personality = {domain: "LINUX32"}'
	run_ctr uname -m
	assert_success
	assert_output_is i686
}

@test "sysctl in a new network namespace" {
	CFG='.linux.sysctl = {"net.ipv4.ip_forward": "1", "net.ipv4.ping_group_range": "0 0"}'
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	run_ctr sh -c 'cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/net/ipv4/ping_group_range'
	assert_success
	assert_line_is 0 1
	[[ "${lines[1]}" =~ ^0[[:space:]]+0$ ]]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
}

@test "sysctl of a namespace the container does not own is refused" {
	CFG='.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
	run_ctr true
	assert_failure
}

@test "sysctl: an unknown key is refused" {
	CFG='.linux.sysctl = {"kernel.no_such_key": "1"}'
	run_ctr true
	assert_failure
}

# hook NAME FILE: a hook appending "NAME <netns>" to FILE.
hook() {
	jq -cn --arg n "$1" --arg f "$2" \
		'{path: "/bin/sh", args: ["sh", "-c", "echo \($n) $(readlink /proc/self/ns/net) >> \($f)"]}'
}

@test "hooks run at their points in the lifecycle, in the right namespaces" {
	make_bundle -- sh -c 'echo process >> /hooks.log'
	log=$BATS_TEST_TMPDIR/hooks.log
	# startContainer resolves its path and runs inside the container: it
	# writes the container's /hooks.log.
	edit_config '.hooks = {prestart: [$a], createRuntime: [$b], createContainer: [$c],
		startContainer: [$d], poststart: [$e], poststop: [$f]}' \
		--argjson a "$(hook prestart "$log")" --argjson b "$(hook createRuntime "$log")" \
		--argjson c "$(hook createContainer "$log")" --argjson d "$(hook startContainer /hooks.log)" \
		--argjson e "$(hook poststart "$log")" --argjson f "$(hook poststop "$log")"
	host_net=$(readlink /proc/self/ns/net)

	rt_bg create --bundle "$BUNDLE" c1
	ctr_net=$(readlink "/proc/$(container_pid c1)/ns/net")
	[ "$ctr_net" != "$host_net" ]
	run cat "$log"
	assert_line_is 0 "prestart $host_net"
	assert_line_is 1 "createRuntime $host_net"
	assert_line_is 2 "createContainer $ctr_net"
	if [ "$(runtime_name)" != runc ]; then
		# runc 1.1 runs poststart hooks at create.
		[ "${#lines[@]}" -eq 3 ]
	fi
	[ ! -e "$BUNDLE/rootfs/hooks.log" ]

	rt start c1
	wait_for_status c1 stopped
	run cat "$BUNDLE/rootfs/hooks.log"
	assert_line_is 0 "startContainer $ctr_net"
	assert_line_is 1 process
	run cat "$log"
	assert_output_contains "poststart $host_net"
	refute_output_contains poststop

	rt delete c1
	run cat "$log"
	assert_line_is 4 "poststop $host_net"
}

@test "hooks receive the state on stdin" {
	make_bundle --shared -- true
	edit_config '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "cat > \($f)"]}]' \
		--arg f "$BATS_TEST_TMPDIR/state.json"
	rt_bg create --bundle "$BUNDLE" c1
	run jq -r '.ociVersion, .id, .pid, .bundle, .status' "$BATS_TEST_TMPDIR/state.json"
	assert_success
	assert_line_is 1 c1
	assert_line_is 2 "$(container_pid c1)"
	assert_line_is 3 "$BUNDLE"
	assert_line_is 4 creating
}

@test "hooks get their args and env" {
	make_bundle --shared -- true
	edit_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "echo \"$0 $1 $HOOKVAR\" > \($f)", "zero", "one"], env: ["HOOKVAR=val"]}]' \
		--arg f "$BATS_TEST_TMPDIR/out"
	rt_bg create --bundle "$BUNDLE" c1
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "zero one val" ]
}

@test "a failing createRuntime hook fails create and leaves nothing" {
	make_bundle --shared -- true
	edit_config '.hooks.createRuntime = [{path: "/bin/false", args: ["false"]}]'
	run rt_bg create --bundle "$BUNDLE" c1
	assert_failure
	[ ! -e "$ROOT/c1" ]
	[ ! -d "/sys/fs/cgroup/pids$CGROUPS_PATH" ] && [ ! -d "/sys/fs/cgroup$CGROUPS_PATH" ]
}

@test "a hook that times out fails create" {
	make_bundle --shared -- true
	edit_config '.hooks.prestart = [{path: "/bin/sleep", args: ["sleep", "31.5"], timeout: 1}]'
	start=$SECONDS
	run rt_bg create --bundle "$BUNDLE" c1
	assert_failure
	[ $((SECONDS - start)) -lt 10 ]
	[ ! -e "$ROOT/c1" ]
	# The hook is killed, not left behind.
	for _ in $(seq 100); do pgrep -f '^sleep 31.5$' >/dev/null || break; sleep 0.05; done
	! pgrep -f '^sleep 31.5$' >/dev/null
}

@test "a failing poststop hook does not fail delete" {
	make_bundle --shared -- true
	edit_config '.hooks.poststop = [{path: "/bin/false", args: ["false"]}]'
	rt_bg create --bundle "$BUNDLE" c1
	run rt delete --force c1
	assert_success
	[ ! -e "$ROOT/c1" ]
}

@test "preserve-fds passes extra descriptors" {
	make_bundle --shared -- sh -c 'cat <&3; cat <&4'
	echo three >"$BATS_TEST_TMPDIR/f3"
	echo four >"$BATS_TEST_TMPDIR/f4"
	run --separate-stderr rt run --preserve-fds 2 --bundle "$BUNDLE" c1 3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4"
	assert_success
	assert_output_is "$(printf 'three\nfour')"
}
