#!/usr/bin/env bats
# berth run / create / start / stop / restart / kill / rm / wait / attach /
# exec: docker's flags, each checked from inside the container, docker's
# exit statuses (125 engine, 126 cannot invoke, 127 not found, else the
# container's), and nothing left behind.  Every test has its own store
# (berth.bash) and the busybox image from `berth image bootstrap`.

load berth

setup() {
	berth_setup
	berth_bootstrap >/dev/null
}

teardown() {
	local id
	for id in $(ls "$BERTH_ROOT/containers" 2>/dev/null); do
		berth rm -f "$id" >/dev/null 2>&1 || true
	done
	berth_teardown
}

cgroup2() {
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]
}

# ctr_id NAME: the full id of a container (its directory in the store).
ctr_id() {
	local d
	for d in "$BERTH_ROOT"/containers/*; do
		[ -d "$d" ] || continue
		[ "$(cat "$d/hostname" 2>/dev/null)" = "$1" ] && { basename "$d"; return; }
	done
	return 1
}

# leftovers ID: whatever of container ID is still on the host (dirs, mounts, cgroups).
leftovers() {
	ls -d "$BERTH_ROOT/containers/$1" "$BERTH_RUN_ROOT/containers/$1" 2>/dev/null || true
	grep -F "$1" /proc/self/mountinfo || true
	ls -d /sys/fs/cgroup/*/berth/"$1" /sys/fs/cgroup/berth/"$1" 2>/dev/null || true
}

# --- run: output, exit statuses ------------------------------------------------

@test "run: output, and the exit status is the container's" {
	run -0 berth run --rm busybox echo hello world
	assert_output_is "hello world"
	run -3 berth run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
	assert_output_contains out
	assert_output_contains err
	run -0 berth run --rm busybox true
	assert_output_is ""
}

@test "run: stdout and stderr stay apart" {
	run -0 --separate-stderr berth run --rm busybox sh -c 'echo to-out; echo to-err >&2'
	assert_output_is to-out
	[ "$stderr" = to-err ] || fail "stderr: $stderr"
}

@test "run: 125 for engine errors, 126 cannot invoke, 127 not found" {
	run -125 berth run --rm nosuchimage true
	assert_output_contains "No such image: nosuchimage"
	run -127 berth run --rm busybox nosuchcommand
	assert_output_contains 'executable file not found'
	run -127 berth run --rm busybox /nonexistent
	run -126 berth run --rm busybox /etc/passwd
	run -126 berth run --rm busybox /etc
	run -125 berth run --rm --memory 10x busybox true
	assert_output_contains 'invalid argument "10x" for "-m, --memory" flag'
	run -125 berth run --rm --nosuchflag busybox true
	assert_output_contains "unknown flag: --nosuchflag"
	run -125 berth run
	assert_output_contains 'requires at least 1 argument'
	# a failed --rm run leaves nothing
	[ -z "$(ls "$BERTH_ROOT/containers")" ] || fail "left: $(ls "$BERTH_ROOT/containers")"
}

@test "run: a signal ends the container with 128+N" {
	# (PID 1 ignores signals it has no handler for: the command runs under --init)
	run -137 berth run --rm --init busybox sh -c 'kill -9 $$'
	run -143 berth run --rm --init busybox sh -c 'kill -15 $$'
	run -0 berth run --rm busybox sh -c 'kill -15 $$; echo survived'
	assert_output_is survived
}

@test "run --name: the name, a conflict is 125, a bad name too" {
	run -0 berth create --name web1 busybox true
	run -125 berth run --name web1 busybox true
	assert_output_contains 'Conflict'
	run -125 berth run --name 'bad/name' busybox true
	assert_output_contains 'Invalid container name'
	# without --name: docker's adjective_noun
	run -0 berth run -d busybox sleep 60
	id=$output
	[ "${#id}" -eq 64 ] || fail "not a full id: $id"
	run -0 berth stop -t 0 "$id"
}

# --- process settings ---------------------------------------------------------

@test "run -e, --env-file: the environment" {
	printf 'FROM_FILE=file\n# comment\n\nOVERRIDE=file\nPASSED\n' >"$BATS_TEST_TMPDIR/env"
	PASSED=from-caller run -0 berth run --rm --env-file "$BATS_TEST_TMPDIR/env" -e FOO=bar -e OVERRIDE=flag \
		-e PASSED busybox env
	assert_output_contains "FOO=bar"
	assert_output_contains "FROM_FILE=file"
	assert_output_contains "OVERRIDE=flag"
	refute_output_contains "OVERRIDE=file"
	assert_output_contains "PASSED=from-caller"
	assert_output_contains "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	# a name alone that the caller does not have is left out
	run -0 berth run --rm -e NOT_SET_ANYWHERE busybox env
	refute_output_contains NOT_SET_ANYWHERE
}

@test "run -w: the working directory, made when missing" {
	run -0 berth run --rm -w /tmp busybox pwd
	assert_output_is /tmp
	run -0 berth run --rm -w /new/dir busybox pwd
	assert_output_is /new/dir
	run -125 berth run --rm -w relative busybox pwd
}

@test "run -u: uid, uid:gid, a name from the image's passwd" {
	run -0 berth run --rm -u 1000:1001 busybox sh -c 'id -u; id -g'
	assert_output_is $'1000\n1001'
	run -0 berth run --rm -u 1234 busybox id -u
	assert_output_is 1234
	run -0 berth run --rm -u nobody busybox id -un
	assert_output_is nobody
	run -125 berth run --rm -u nosuchuser busybox id
}

@test "run -h: the hostname; the default is the short id" {
	run -0 berth run --rm -h myhost busybox sh -c 'hostname; cat /etc/hostname; grep myhost /etc/hosts'
	assert_line_is 0 myhost
	assert_line_is 1 myhost
	assert_output_contains "myhost"
	run -0 berth run -d busybox sleep 60
	id=$output
	run -0 berth exec "$id" hostname
	assert_output_is "${id:0:12}"
}

@test "run --entrypoint: replaces the image's, the arguments follow it" {
	run -0 berth run --rm --entrypoint echo busybox hi there
	assert_output_is "hi there"
	run -0 berth run --rm --entrypoint /bin/sh busybox -c 'echo from-sh'
	assert_output_is from-sh
}

@test "run --init: PID 1 is /dev/init, the command its child" {
	run -0 berth run --rm --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
	assert_line_is 0 "/dev/init -- sh -c cat /proc/1/cmdline | tr \"\\0\" \" \"; echo; echo \$\$ "
	[ "${lines[1]}" != 1 ] || fail "the command is PID 1"
	run -0 berth run --rm busybox sh -c 'echo $$'
	assert_output_is 1
}

@test "run --label: create accepts labels" {
	run -0 berth create --label a=b --label c -l d=e busybox true
	[ "${#output}" -eq 64 ] || fail "not an id: $output"
	run -125 berth create --label =x busybox true
}

# --- filesystem ---------------------------------------------------------------

@test "run --read-only: the root cannot be written, /tmp-less writes fail" {
	run -1 berth run --rm --read-only busybox touch /x
	assert_output_contains "Read-only file system"
	run -0 berth run --rm --read-only --tmpfs /scratch busybox touch /scratch/x
	run -0 berth run --rm busybox touch /x
}

@test "run --tmpfs: a tmpfs with its options" {
	run -0 berth run --rm --tmpfs /run:size=1m,mode=700 busybox sh -c 'grep " /run " /proc/mounts; stat -c %a /run'
	assert_output_contains "tmpfs /run tmpfs"
	assert_output_contains "size=1024k"
	assert_line_is 1 700
}

@test "run --shm-size: /dev/shm is 64M by default" {
	run -0 berth run --rm busybox grep " /dev/shm " /proc/mounts
	assert_output_contains "size=65536k"
	run -0 berth run --rm --shm-size 8m busybox grep " /dev/shm " /proc/mounts
	assert_output_contains "size=8192k"
}

@test "run -v HOST:DST[:ro] and --mount type=bind: bind mounts" {
	mkdir "$BATS_TEST_TMPDIR/data"
	echo from-host >"$BATS_TEST_TMPDIR/data/f"
	run -0 berth run --rm -v "$BATS_TEST_TMPDIR/data:/data" busybox sh -c 'cat /data/f; echo from-ctr >/data/g'
	assert_output_is from-host
	[ "$(cat "$BATS_TEST_TMPDIR/data/g")" = from-ctr ]
	run -1 berth run --rm -v "$BATS_TEST_TMPDIR/data:/data:ro" busybox touch /data/h
	assert_output_contains "Read-only file system"
	run -0 berth run --rm --mount "type=bind,source=$BATS_TEST_TMPDIR/data,target=/m,readonly" busybox cat /m/f
	assert_output_is from-host
	run -0 berth run --rm --mount "type=tmpfs,target=/t" busybox grep " /t " /proc/mounts
	# docker: -v makes a missing host directory, --mount does not
	run -0 berth run --rm -v "$BATS_TEST_TMPDIR/made/here:/m" busybox touch /m/x
	[ -f "$BATS_TEST_TMPDIR/made/here/x" ]
	run -125 berth run --rm --mount "type=bind,source=$BATS_TEST_TMPDIR/absent,target=/m" busybox true
	assert_output_contains "bind source path does not exist"
	[ ! -e "$BATS_TEST_TMPDIR/absent" ]
}

@test "run -v NAME:DST and --mount type=volume: a named volume (volumes.bats has the rest)" {
	run -0 berth run --rm -v myvol:/data busybox sh -c 'echo x >/data/f'
	run -0 berth run --rm --mount type=volume,source=myvol,target=/data busybox cat /data/f
	assert_output_is x
	[ -z "$(ls "$BERTH_ROOT/containers")" ]
}

# --- resources ----------------------------------------------------------------

@test "run -m, --memory-swap: the memory cgroup's limit" {
	if cgroup2; then
		run -0 berth run --rm -m 64m busybox cat /sys/fs/cgroup/memory.max
	else
		run -0 berth run --rm -m 64m busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	fi
	assert_output_is 67108864
	if ! cgroup2 && [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
		run -0 berth run --rm -m 64m --memory-swap 128m busybox cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes
		assert_output_is 134217728
	fi
	run -125 berth run --rm --memory-swap 128m busybox true
	assert_output_contains "Memory limit"
}

@test "run --cpus, --cpu-shares, --cpuset-cpus: the cpu cgroups" {
	if cgroup2; then
		run -0 berth run --rm --cpus 0.5 busybox cat /sys/fs/cgroup/cpu.max
		assert_output_is "50000 100000"
		run -0 berth run --rm --cpuset-cpus 0 busybox cat /sys/fs/cgroup/cpuset.cpus
		assert_output_is 0
	else
		run -0 berth run --rm --cpus 0.5 busybox cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us
		assert_line_is 0 50000
		assert_line_is 1 100000
		run -0 berth run --rm --cpu-shares 512 busybox cat /sys/fs/cgroup/cpu/cpu.shares
		assert_output_is 512
		run -0 berth run --rm --cpuset-cpus 0 busybox cat /sys/fs/cgroup/cpuset/cpuset.cpus
		assert_output_is 0
	fi
	run -125 berth run --rm --cpus abc busybox true
}

@test "run --pids-limit: pids.max, and forks beyond it fail" {
	if cgroup2; then
		run -0 berth run --rm --pids-limit 20 busybox cat /sys/fs/cgroup/pids.max
	else
		run -0 berth run --rm --pids-limit 20 busybox cat /sys/fs/cgroup/pids/pids.max
	fi
	assert_output_is 20
	run berth run --rm --pids-limit 5 busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait'
	assert_failure
	assert_output_contains "can't fork"
}

@test "run --ulimit: lower soft and hard limits" {
	run -0 berth run --rm --ulimit nofile=100:200 busybox sh -c 'ulimit -Sn; ulimit -Hn'
	assert_line_is 0 100
	assert_line_is 1 200
	run -0 berth run --rm --ulimit nproc=50 busybox sh -c 'ulimit -Su; ulimit -Hu'
	assert_line_is 0 50
	assert_line_is 1 50
	run -125 berth run --rm --ulimit nofile=200:100 busybox true
	run -125 berth run --rm --ulimit bogus=1 busybox true
}

# --- security -----------------------------------------------------------------

@test "run: docker's default capabilities, --cap-add, --cap-drop" {
	run -0 berth run --rm busybox grep CapEff /proc/self/status
	assert_output_contains 00000000a80425fb
	run -0 berth run --rm --cap-drop ALL --cap-add NET_ADMIN busybox grep CapEff /proc/self/status
	assert_output_contains 0000000000001000
	run -0 berth run --rm --cap-drop CHOWN --cap-drop cap_kill busybox grep CapEff /proc/self/status
	assert_output_contains 00000000a80425da
	run -0 berth run --rm --cap-add SYS_ADMIN busybox grep CapEff /proc/self/status
	assert_output_contains 00000000a82425fb
	run -1 berth run --rm --cap-drop CHOWN busybox chown 1 /etc/hostname
	run -125 berth run --rm --cap-add NOPE busybox true
}

@test "run --privileged: every capability berth has, /sys writable, no seccomp, no masked paths" {
	bnd=$(awk '/^CapBnd/ { print $2 }' /proc/self/status)
	run -0 berth run --rm --privileged busybox sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; grep " /sys " /proc/mounts; cat /proc/kcore >/dev/null 2>&1 && echo kcore-readable; head -c1 /proc/kcore | wc -c'
	assert_output_contains "CapEff:	$bnd"
	assert_output_contains "Seccomp:	0"
	assert_output_contains "sysfs /sys sysfs rw,"
	# the host's devices, usable
	if [ -c /dev/kmsg ]; then
		run -0 berth run --rm --privileged busybox sh -c 'ls -l /dev/kmsg && head -c 1 /dev/kmsg >/dev/null && echo read-ok'
		assert_output_contains "1,  11"
		assert_output_contains read-ok
		run -1 berth run --rm busybox ls /dev/kmsg
	fi
	run -0 berth run --rm busybox sh -c 'grep -E "^Seccomp:" /proc/self/status; grep " /sys " /proc/mounts'
	assert_output_contains "Seccomp:	2"
	assert_output_contains "sysfs /sys sysfs ro,"
}

@test "run --security-opt seccomp=unconfined|FILE, no-new-privileges" {
	run -0 berth run --rm --security-opt seccomp=unconfined busybox grep "^Seccomp:" /proc/self/status
	assert_output_contains "Seccomp:	0"
	cat >"$BATS_TEST_TMPDIR/profile.json" <<-'EOF'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
	EOF
	run -1 berth run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/profile.json" busybox mkdir /newdir
	assert_output_contains "Operation not permitted"
	run -0 berth run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/profile.json" busybox touch /newfile
	run -0 berth run --rm busybox grep "^NoNewPrivs:" /proc/self/status
	assert_output_contains "NoNewPrivs:	0"
	run -0 berth run --rm --security-opt no-new-privileges busybox grep "^NoNewPrivs:" /proc/self/status
	assert_output_contains "NoNewPrivs:	1"
	run -0 berth run --rm --security-opt no-new-privileges=true busybox grep "^NoNewPrivs:" /proc/self/status
	assert_output_contains "NoNewPrivs:	1"
	run -125 berth run --rm --security-opt bogus busybox true
	run -125 berth run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/missing.json" busybox true
}

@test "run --device: the node, under its own name or another, usable" {
	run -0 berth run --rm --device /dev/zero:/dev/foo busybox sh -c 'ls -l /dev/foo; head -c 4 /dev/foo | od -An -tx1'
	assert_output_contains "1,   5"
	assert_output_contains "00 00 00 00"
	if [ -c /dev/fuse ]; then
		run -0 berth run --rm --device /dev/fuse busybox ls -l /dev/fuse
		assert_output_contains "10, 229"
	fi
	# without --device the cgroup denies it even where the node can be made
	run berth run --rm busybox sh -c 'mknod /tmp/kmsg c 1 11 && echo made && head -c 1 /tmp/kmsg'
	assert_failure
	assert_output_contains made
	assert_output_contains "Operation not permitted"
	run -125 berth run --rm --device /nonexistent busybox true
	run -125 berth run --rm --device "$BATS_TEST_TMPDIR" busybox true
}

# --- network ------------------------------------------------------------------

@test "run --network none|host; the default is the bridge (network.bats has the rest)" {
	run -0 berth run --rm --network none busybox ls /sys/class/net
	assert_output_is lo
	# a veth of a container just gone may linger a moment (the kernel frees it): not counted
	# (through netlink: the host's /sys may be another namespace's when the suite runs in one)
	host_ifs=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -v '^vb' | sort | tr '\n' ' ')
	run -0 berth run --rm --network host busybox sh -c 'ls /sys/class/net | grep -v "^vb" | sort | tr "\n" " "'
	assert_output_is "$host_ifs"
	run -0 berth run --rm --net=host busybox hostname
	assert_output_is "$(hostname)"
	run -0 berth run --rm busybox ls /sys/class/net
	assert_output_is $'eth0\nlo'
	run -0 berth run --rm --network bridge busybox ls /sys/class/net
	assert_output_is $'eth0\nlo'
}

# --- stdin, terminal ----------------------------------------------------------

@test "run -i: stdin piped in, EOF closes it; without -i the container reads nothing" {
	run -0 bash -c "printf 'line1\nline2\n' | '$BERTH' run --rm -i busybox cat"
	assert_output_is $'line1\nline2'
	run -0 bash -c "printf 'line1\n' | '$BERTH' run --rm busybox cat"
	assert_output_is ""
	run -0 bash -c "head -c 300000 /dev/zero | '$BERTH' run --rm -i busybox wc -c"
	assert_output_is 300000
}

@test "run -t under script: a terminal, its size, and -it input" {
	command -v script >/dev/null || skip "no script(1)"
	run -0 script -qec "stty cols 91 rows 33; '$BERTH' run --rm -t busybox sh -c 'tty; sleep 0.3; stty size'" /dev/null
	assert_output_contains /dev/pts/0
	assert_output_contains "33 91"
	run -5 script -qec "'$BERTH' run --rm -t busybox sh -c 'exit 5'" /dev/null
	run -7 bash -c "(sleep 1; printf 'echo in-\"\"tty\nexit 7\n') | script -qec \"'$BERTH' run --rm -it busybox sh\" /dev/null"
	assert_output_contains "in-tty"
	# not a terminal: docker's refusal
	run -1 bash -c "echo | '$BERTH' run --rm -it busybox true"
	assert_output_contains "the input device is not a TTY"
}

@test "run -it: ctrl-p ctrl-q detaches, the container runs on" {
	command -v script >/dev/null || skip "no script(1)"
	run -0 bash -c "(sleep 1; printf '\x10\x11'; sleep 1) | script -qec \"'$BERTH' run -it --name det busybox sh\" /dev/null"
	run -0 berth exec det echo still-running
	assert_output_is still-running
	# --detach-keys: another sequence
	run -0 bash -c "(sleep 1; printf '\x01x'; sleep 1) | script -qec \"'$BERTH' run -it --detach-keys ctrl-a,x --name det2 busybox sh\" /dev/null"
	run -0 berth exec det2 echo still-running
	run -125 berth run --detach-keys ctrl-nope busybox true
	# attach to it, and detach again
	run -0 bash -c "(sleep 1; printf 'echo via-attach\n'; sleep 0.5; printf '\x10\x11'; sleep 1) | script -qec \"'$BERTH' attach det\" /dev/null"
	assert_output_contains via-attach
	run -0 berth exec det echo still-running
}

@test "run: all of a large output, through a slow reader, byte for byte" {
	want=$(yes | head -c 20000000 | md5sum)
	run -0 bash -c "'$BERTH' run --rm busybox sh -c 'yes | head -c 20000000' | (sleep 2; md5sum)"
	assert_output_is "$want"
	run -0 bash -c "'$BERTH' run --rm busybox sh -c 'yes | head -c 20000000 >&2' 2>&1 >/dev/null | md5sum"
	assert_output_is "$want"
}

@test "run: signals to berth reach the container (docker's sig-proxy)" {
	"$BERTH" run --rm busybox sh -c 'trap "echo got-term; exit 9" TERM; while :; do sleep 0.1; done' >"$BATS_TEST_TMPDIR/out" &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 9 ] || fail "exit status $rc"
	grep -q got-term "$BATS_TEST_TMPDIR/out"
}

# --- lifecycle ----------------------------------------------------------------

@test "run -d, exec, stop, rm: docker's outputs" {
	run -0 berth run -d --name bg busybox sleep 300
	id=$output
	[[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "not a full id: $id"
	run -0 berth exec bg sh -c 'echo in-exec; exit 0'
	assert_output_is in-exec
	run -4 berth exec bg sh -c 'exit 4'
	run -0 berth exec -e X=1 -w /tmp -u 1000:1000 bg sh -c 'echo $X; pwd; id -u'
	assert_output_is $'1\n/tmp\n1000'
	run -127 berth exec bg nosuchcommand
	run -126 berth exec bg /etc/passwd
	run -0 bash -c "echo piped | '$BERTH' exec -i bg cat"
	assert_output_is piped
	run -0 bash -c "echo piped | '$BERTH' exec bg cat"
	assert_output_is ""
	run -0 berth exec --privileged bg grep CapEff /proc/self/status
	assert_output_contains "$(awk '/^CapBnd/ { print $2 }' /proc/self/status)"
	run -0 berth exec -d bg sh -c 'sleep 1; touch /from-detached'
	sleep 1.5
	run -0 berth exec bg ls /from-detached
	run -125 berth rm bg
	assert_output_contains "stop the container before removing or force remove"
	run -0 berth stop -t 1 bg
	assert_output_is bg
	run -125 berth exec bg true
	assert_output_contains "is not running"
	run -0 berth rm bg
	assert_output_is bg
	run -1 berth rm bg
	assert_output_contains "No such container: bg"
	run -1 berth exec bg true
	[ -z "$(leftovers "$id")" ] || fail "left: $(leftovers "$id")"
}

@test "run --rm leaves nothing: no directory, no mount, no cgroup (foreground and -d)" {
	run -0 berth run --rm -h fg busybox true
	[ -z "$(ls -A "$BERTH_ROOT/containers")$(ls -A "$BERTH_RUN_ROOT/containers")" ] ||
		fail "left: $(ls -R "$BERTH_ROOT/containers" "$BERTH_RUN_ROOT/containers")"
	run -0 berth run -d --rm busybox sh -c 'sleep 0.5'
	id=$output
	[ -n "$(leftovers "$id")" ] || fail "nothing while it runs?"
	for _ in $(seq 50); do
		[ -z "$(leftovers "$id")" ] && break
		sleep 0.1
	done
	[ -z "$(leftovers "$id")" ] || fail "left: $(leftovers "$id")"
	[ -z "$(ls "$BERTH_ROOT/containers")" ]
	! grep -q "$BATS_TEST_TMPDIR" /proc/self/mountinfo || fail "mounts: $(grep "$BATS_TEST_TMPDIR" /proc/self/mountinfo)"
}

@test "create, start, start -a: ids, names, the exit status" {
	run -0 berth create --name c1 busybox sh -c 'echo started; exit 6'
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "not an id: $output"
	id=$output
	[ -d "$BERTH_ROOT/containers/$id" ]
	run -6 berth start -a c1
	assert_output_is started
	run -0 berth wait c1
	assert_output_is 6
	run -0 berth start c1
	assert_output_is c1
	run -0 berth wait "${id:0:12}"
	assert_output_is 6
	run -0 berth create -i --name c2 busybox cat
	run -0 bash -c "echo via-start | '$BERTH' start -ai c2"
	assert_output_is via-start
	run -1 berth start nosuch
	assert_output_contains "No such container: nosuch"
	run -1 berth start -a c1 c2
}

@test "stop --stop-timeout, --stop-signal: how long stop takes" {
	# sleep as PID 1 ignores SIGTERM: stop waits for the timeout, then kills
	run -0 berth run -d --name slow --stop-timeout 1 busybox sleep 300
	start=$(date +%s%N)
	run -0 berth stop slow
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ] || fail "stop took ${ms}ms"
	run -0 berth wait slow
	assert_output_is 137
	# -t overrides it
	run -0 berth start slow
	start=$(date +%s%N)
	run -0 berth stop -t 0 slow
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -lt 900 ] || fail "stop -t 0 took ${ms}ms"
	# the stop signal is what the container handles
	run -0 berth run -d --name usr --stop-signal USR1 busybox sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
	start=$(date +%s%N)
	run -0 berth stop usr
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -lt 5000 ] || fail "stop took ${ms}ms"
	run -0 berth wait usr
	assert_output_is 42
	run -125 berth run --stop-signal NOPE busybox true
	# stopping a stopped container is fine
	run -0 berth stop usr
	assert_output_is usr
}

@test "restart: the container runs again, its writable layer kept" {
	run -0 berth run -d --name r1 busybox sh -c 'echo run >>/runs; sleep 300'
	run -0 berth restart -t 0 r1
	assert_output_is r1
	for _ in $(seq 50); do
		[ "$(berth exec r1 cat /runs 2>/dev/null | wc -l)" -eq 2 ] && break
		sleep 0.1
	done
	run -0 berth exec r1 cat /runs
	assert_output_is $'run\nrun'
	# restart of a stopped container starts it
	run -0 berth stop -t 0 r1
	run -0 berth restart r1
	run -0 berth exec r1 true
}

@test "kill -s, wait: the signal reaches the init, wait prints the code" {
	run -0 berth run -d --name k1 busybox sh -c 'trap "exit 21" USR2; while :; do sleep 0.1; done'
	sleep 0.3
	run -0 berth kill -s USR2 k1
	assert_output_is k1
	run -0 berth wait k1
	assert_output_is 21
	run -0 berth run -d --name k2 busybox sleep 300
	run -0 berth kill k2
	assert_output_is k2
	run -0 berth wait k2
	assert_output_is 137
	run -125 berth kill k2
	assert_output_contains "is not running"
	run -125 berth kill -s NOSUCHSIG k2
	run -1 berth wait nosuch
}

@test "attach: output of a running container, and its exit status" {
	run -0 berth run -d --name a1 busybox sh -c 'sleep 1; echo late; exit 8'
	run -8 berth attach a1
	assert_output_is late
	run -1 berth attach a1
	assert_output_contains "You cannot attach to a stopped container"
	run -0 berth run -d -i --name a2 busybox sh -c 'read x; echo got-$x'
	run -0 bash -c "echo line | '$BERTH' attach a2"
	assert_output_is got-line
}

@test "container group: the same verbs" {
	run -0 berth container create --name g1 busybox sh -c 'exit 2'
	run -2 berth container start -a g1
	run -0 berth container wait g1
	assert_output_is 2
	run -0 berth container rm g1
	assert_output_is g1
	run -0 berth container run --rm busybox echo via-group
	assert_output_is via-group
	run -0 berth container --help
	refute_output_contains cleanup
}
