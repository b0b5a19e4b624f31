#!/usr/bin/env bats
# Container lifecycle and the runc command line: spec, create, start, run,
# state, kill, delete, list, features, global options.

load helpers

@test "spec writes config.json and refuses to overwrite it" {
	mkdir -p "$BUNDLE"
	cd "$BUNDLE"
	run rt spec
	assert_success
	jq -e '.ociVersion and .process.args and .root.path and .linux.namespaces' config.json
	jq -e '.process.terminal == true' config.json
	cp config.json before.json
	run rt spec
	assert_failure
	cmp config.json before.json
}

@test "spec --bundle writes into the given directory" {
	mkdir -p "$BUNDLE"
	run rt spec --bundle "$BUNDLE"
	assert_success
	jq -e .ociVersion "$BUNDLE/config.json"
}

@test "spec --rootless maps the user namespace" {
	mkdir -p "$BUNDLE"
	run rt spec --rootless --bundle "$BUNDLE"
	assert_success
	jq -e '.linux.namespaces | map(.type) | index("user")' "$BUNDLE/config.json"
	jq -e '.linux.uidMappings[0].hostID == '"$(id -u)" "$BUNDLE/config.json"
}

@test "create does not run the process; start does" {
	make_bundle -- sh -c 'echo ran > /marker'
	run rt_bg create --bundle "$BUNDLE" c1
	assert_success
	run rt state c1
	assert_success
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .id <<<"$output")" = c1 ]
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 0 ]
	kill -0 "$pid"
	jq -e '.ociVersion and .created' <<<"$output"
	# Give a wrongly early process every chance to show itself.
	sleep 0.2
	[ ! -e "$BUNDLE/rootfs/marker" ]

	run rt start c1
	assert_success
	wait_for_file "$BUNDLE/rootfs/marker"
	[ "$(cat "$BUNDLE/rootfs/marker")" = ran ]
	wait_for_status c1 stopped
}

@test "state goes created -> running -> stopped; delete removes the state" {
	make_bundle --shared -- sh -c 'read x'
	# The process blocks on stdin until the test closes the fifo.
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 8<>"$BATS_TEST_TMPDIR/in"
	rt create --bundle "$BUNDLE" c1 <&8 >/dev/null 2>&1
	[ "$(container_status c1)" = created ]
	rt start c1
	[ "$(container_status c1)" = running ]
	[ -d "$ROOT/c1" ]
	echo go >&8
	exec 8>&-
	wait_for_status c1 stopped
	run rt state c1
	assert_success
	# A stopped container has no pid worth signalling.
	[ "$(jq -r .pid <<<"$output")" = 0 ]
	run rt delete c1
	assert_success
	[ ! -e "$ROOT/c1" ]
	run rt state c1
	assert_failure
}

@test "start of a running or stopped container fails" {
	make_bundle --shared -- true
	rt_bg create --bundle "$BUNDLE" c1
	rt start c1
	wait_for_status c1 stopped
	run rt start c1
	assert_failure
}

@test "create with an existing id fails" {
	make_bundle --shared -- true
	rt_bg create --bundle "$BUNDLE" c1
	run rt_bg create --bundle "$BUNDLE" c1
	assert_failure
	[ "$(container_status c1)" = created ]
}

@test "commands on an unknown container fail" {
	for cmd in start state delete kill; do
		run rt "$cmd" nosuch
		assert_failure
	done
}

@test "bundle defaults to the current directory" {
	make_bundle --shared -- true
	cd "$BUNDLE"
	run rt run c1
	assert_success
}

@test "run returns the container's exit status" {
	make_bundle --shared -- sh -c 'exit 42'
	run rt run --bundle "$BUNDLE" c1
	assert_status 42
	# run (without --keep) deletes the container.
	run rt state c1
	assert_failure
}

@test "run of a failing command returns its status" {
	make_bundle --shared -- false
	run rt run --bundle "$BUNDLE" c1
	assert_status 1
}

@test "run returns 128+N when the process is killed by signal N" {
	make_bundle --shared -- sleep 1000
	# A pid 1 cannot SIGKILL itself, so the kill comes from outside.
	"$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" c1 >/dev/null 2>&1 </dev/null &
	runtime_pid=$!
	wait_for_status c1 running
	rt kill c1 KILL
	rc=0
	wait "$runtime_pid" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "run connects stdio" {
	make_bundle --shared -- sh -c 'read line; echo "got $line"; echo err >&2'
	run --separate-stderr rt run --bundle "$BUNDLE" c1 <<<"hello"
	assert_success
	assert_output_is "got hello"
	[ "$stderr" = err ]
}

@test "run of a missing executable fails" {
	make_bundle --shared -- /no/such/binary
	run rt run --bundle "$BUNDLE" c1
	assert_failure
	run rt state c1
	assert_failure
	[ ! -e "$ROOT/c1" ]
}

@test "run --keep keeps the stopped container" {
	make_bundle --shared -- true
	run rt run --keep --bundle "$BUNDLE" c1
	assert_success
	[ "$(container_status c1)" = stopped ]
	rt delete c1
}

@test "run --detach leaves the container running" {
	make_bundle --shared -- sleep 100
	run rt_bg run --detach --bundle "$BUNDLE" c1
	assert_success
	[ "$(container_status c1)" = running ]
	pid=$(container_pid c1)
	kill -0 "$pid"
	rt kill c1 KILL
	wait_for_status c1 stopped
	rt delete c1
	wait_pid_gone "$pid"
}

@test "--pid-file holds the init pid" {
	make_bundle --shared -- sleep 100
	rt_bg create --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$BUNDLE" c1
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(container_pid c1)" ]
	rt_bg run -d --pid-file "$BATS_TEST_TMPDIR/pid2" --bundle "$BUNDLE" c2
	[ "$(cat "$BATS_TEST_TMPDIR/pid2")" = "$(container_pid c2)" ]
}

@test "--pid-file relative to the current directory" {
	make_bundle --shared -- sleep 100
	cd "$BATS_TEST_TMPDIR"
	rt_bg create --pid-file rel.pid --bundle "$BUNDLE" c1
	[ "$(cat rel.pid)" = "$(container_pid c1)" ]
}

# A pid 1 ignores signals it has no handler for, so the killable containers
# trap them (or are sent SIGKILL).
trap_script='trap "echo \$0 > /sig; exit 3" TERM; trap "echo usr1 > /sig; exit 4" USR1; echo ready > /ready; sleep 1000 & wait'

@test "kill sends SIGTERM by default" {
	make_bundle -- sh -c "$trap_script" TERM
	rt_bg run -d --bundle "$BUNDLE" c1
	wait_for_file "$BUNDLE/rootfs/ready"
	rt kill c1
	wait_for_status c1 stopped
	[ "$(cat "$BUNDLE/rootfs/sig")" = TERM ]
}

@test "kill accepts signal names with and without SIG, and numbers" {
	make_bundle -- sh -c "$trap_script" TERM
	for sig in SIGTERM TERM 15 USR1 SIGUSR1 10; do
		rm -f "$BUNDLE/rootfs/sig" "$BUNDLE/rootfs/ready"
		rt_bg run -d --bundle "$BUNDLE" c1
		wait_for_file "$BUNDLE/rootfs/ready"
		run rt kill c1 "$sig"
		assert_success
		wait_for_status c1 stopped
		case $sig in
		*TERM | 15) [ "$(cat "$BUNDLE/rootfs/sig")" = TERM ] ;;
		*) [ "$(cat "$BUNDLE/rootfs/sig")" = usr1 ] ;;
		esac
		rt delete c1
	done
}

@test "kill KILL and kill 9" {
	make_bundle --shared -- sleep 1000
	rt_bg run -d --bundle "$BUNDLE" c1
	run rt kill c1 KILL
	assert_success
	wait_for_status c1 stopped
	rt_bg run -d --bundle "$BUNDLE" c2
	run rt kill c2 9
	assert_success
	wait_for_status c2 stopped
}

@test "kill with an invalid signal fails" {
	make_bundle --shared -- sleep 1000
	rt_bg run -d --bundle "$BUNDLE" c1
	for sig in NOSUCH SIGNOSUCH 0x9 -1 99999; do
		run rt kill c1 "$sig"
		assert_failure
	done
	[ "$(container_status c1)" = running ]
}

@test "kill of a created container" {
	make_bundle --shared -- true
	rt_bg create --bundle "$BUNDLE" c1
	rt kill c1 KILL
	wait_for_status c1 stopped
}

@test "kill --all signals every process of the container" {
	make_bundle --shared -- sh -c 'sleep 1000 & sleep 1000 & wait'
	rt_bg run -d --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	# Wait for both children.
	for _ in $(seq 100); do
		[ "$(pgrep -c -P "$pid")" -ge 2 ] && break
		sleep 0.05
	done
	children=$(pgrep -P "$pid" | tr '\n' ' ')
	run rt kill --all c1 KILL
	assert_success
	wait_for_status c1 stopped
	for c in $children; do
		wait_pid_gone "$c"
	done
}

@test "delete of a running container fails; delete --force kills it" {
	make_bundle --shared -- sleep 1000
	rt_bg run -d --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	run rt delete c1
	assert_failure
	[ "$(container_status c1)" = running ]
	run rt delete --force c1
	assert_success
	[ ! -e "$ROOT/c1" ]
	wait_pid_gone "$pid"
}

@test "delete of a created container kills the waiting init" {
	make_bundle --shared -- true
	rt_bg create --bundle "$BUNDLE" c1
	pid=$(container_pid c1)
	run rt delete c1
	assert_success
	wait_pid_gone "$pid"
	[ ! -e "$ROOT/c1" ]
}

@test "delete --force of an unknown container succeeds" {
	run rt delete --force nosuch
	assert_success
}

@test "delete removes the container's cgroup" {
	make_bundle --shared -- sleep 1000
	rt_bg run -d --bundle "$BUNDLE" c1
	if cgroup_v2_only; then dir=/sys/fs/cgroup$CGROUPS_PATH; else dir=/sys/fs/cgroup/pids$CGROUPS_PATH; fi
	[ -d "$dir" ]
	rt delete --force c1
	[ ! -d "$dir" ]
}

@test "list prints a table, json and ids" {
	make_bundle --shared -- sleep 1000
	rt_bg run -d --bundle "$BUNDLE" c1
	rt_bg create --bundle "$BUNDLE" c2
	run rt list
	assert_success
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[1]}" =~ ^c1\ +$(container_pid c1)\ +running\ +$BUNDLE\ +[0-9T:.-]+Z\ +root$ ]]
	[[ "${lines[2]}" =~ ^c2\ +[0-9]+\ +created\ + ]]

	run rt list --format json
	assert_success
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(jq -r '.[] | select(.id == "c1") | .status' <<<"$output")" = running ]
	[ "$(jq -r '.[] | select(.id == "c2") | .bundle' <<<"$output")" = "$BUNDLE" ]
	jq -e '.[0] | .pid and .created and .owner' <<<"$output"

	run rt list -q
	assert_success
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "c1 c2 " ]
}

@test "list of an empty root prints only the header" {
	run rt list
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ ^ID\ +PID ]]
	run rt list -q
	assert_success
	[ -z "$output" ]
}

@test "list with a --root that does not exist" {
	run "$RUNTIME" --root "$BATS_TEST_TMPDIR/nonexistent" list -q
	assert_success
	[ -z "$output" ]
}

@test "global --root keeps containers apart" {
	make_bundle --shared -- sleep 1000
	root2=$BATS_TEST_TMPDIR/root2
	rt_bg run -d --bundle "$BUNDLE" c1
	run "$RUNTIME" --root "$root2" state c1
	assert_failure
	run "$RUNTIME" --root "$root2" list -q
	[ -z "$output" ]
	[ -f "$ROOT/c1/state.json" ] || [ -d "$ROOT/c1" ]
}

@test "features prints JSON" {
	run --separate-stderr rt features
	assert_success
	jq -e '.ociVersionMin and .ociVersionMax' <<<"$output"
	jq -e '.hooks | index("prestart") and index("poststop")' <<<"$output"
	jq -e '.mountOptions | index("rbind") and index("ro")' <<<"$output"
	jq -e '.linux.namespaces | index("pid") and index("user")' <<<"$output"
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN")' <<<"$output"
	jq -e '.linux.seccomp.enabled == true' <<<"$output"
}

@test "--version" {
	run "$RUNTIME" --version
	assert_success
	[[ "${lines[0]}" =~ version\ [0-9] ]]
	assert_output_contains "spec: 1."
	run "$RUNTIME" -v
	assert_success
}

@test "--help for the runtime and each command" {
	run "$RUNTIME" --help
	assert_success
	for cmd in create start run state kill delete list spec features; do
		assert_output_contains "$cmd"
	done
	for cmd in create start run state kill delete list spec features; do
		run "$RUNTIME" "$cmd" --help
		assert_success
		assert_output_contains "$cmd"
		[[ "${output,,}" == *usage* ]]
	done
}

@test "an unknown command or option fails" {
	run "$RUNTIME" nosuchcommand
	assert_failure
	run rt_bg create --nosuchflag c1
	assert_failure
	run rt_bg create
	assert_failure
}

@test "--log with --log-format json receives JSON lines on error" {
	log=$BATS_TEST_TMPDIR/log.json
	run "$RUNTIME" --root "$ROOT" --log "$log" --log-format json start nosuch
	assert_failure
	[ -s "$log" ]
	while read -r line; do
		jq -e '.msg and .level and .time' <<<"$line"
	done <"$log"
	jq -se 'map(select(.level == "error")) | length > 0' "$log"
}

@test "--log with the default text format" {
	log=$BATS_TEST_TMPDIR/log.txt
	run "$RUNTIME" --root "$ROOT" --log "$log" state nosuch
	assert_failure
	[ -s "$log" ]
	grep -q 'level=error' "$log"
}

@test "run forwards SIGTERM to the container" {
	make_bundle -- sh -c "$trap_script" TERM
	"$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" c1 >/dev/null 2>&1 &
	runtime_pid=$!
	wait_for_file "$BUNDLE/rootfs/ready"
	kill -TERM "$runtime_pid"
	rc=0
	wait "$runtime_pid" || rc=$?
	[ "$(cat "$BUNDLE/rootfs/sig")" = TERM ]
	[ "$rc" -eq 3 ]
}

@test "run forwards SIGUSR1 and SIGINT" {
	make_bundle -- sh -c 'trap "echo int > /sig; exit 5" INT; '"$trap_script" TERM
	"$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" c1 >/dev/null 2>&1 &
	runtime_pid=$!
	wait_for_file "$BUNDLE/rootfs/ready"
	kill -USR1 "$runtime_pid"
	rc=0
	wait "$runtime_pid" || rc=$?
	[ "$(cat "$BUNDLE/rootfs/sig")" = usr1 ]
	[ "$rc" -eq 4 ]
}

@test "container ids: valid characters accepted" {
	make_bundle --shared -- true
	for id in a A0 with-dash with_under with.dot 0123456789abcdef; do
		run rt_bg create --bundle "$BUNDLE" "$id"
		assert_success
		rt delete "$id"
	done
}
