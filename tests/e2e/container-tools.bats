#!/usr/bin/env bats
# berth top, stats, pause/unpause, rename, port, container prune, info and
# version.

load berth

setup() {
	berth_setup
	berth image bootstrap >/dev/null
}

teardown() {
	local id
	for id in $("$BERTH" ps -aq --no-trunc 2>/dev/null); do
		"$BERTH" rm -f "$id" >/dev/null 2>&1 || true
	done
	berth_teardown
}

# --- top -----------------------------------------------------------------------

@test "top: ps -ef's columns for every process of the container" {
	local pid
	berth run -d --name tp busybox sh -c 'sleep 1001 & sleep 1002 & wait' >/dev/null
	# both children are up once the container's cgroup holds three processes
	for _ in $(seq 50); do
		[ "$(berth top tp | wc -l)" -eq 4 ] && break
		sleep 0.1
	done
	run berth top tp
	assert_success
	[ "${lines[0]}" = "UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD" ] ||
		fail "header: ${lines[0]}"
	[ "${#lines[@]}" -eq 4 ] || fail "three processes: $output"
	pid=$(berth inspect -f '{{.State.Pid}}' tp)
	# C is the CPU share over the process's life: a young shell's may not be 0 yet
	[[ "${lines[1]}" =~ ^root\ +$pid\ +[0-9]+\ +[0-9]+\ +[0-9]{2}:[0-9]{2}\ +\?\ +00:00:00\ +sh\ -c\ sleep\ 1001 ]] ||
		fail "init row: ${lines[1]}"
	[[ "${lines[2]}" =~ ^root\ +[0-9]+\ +$pid\ +.*\ sleep\ 1001$ ]] || fail "child row: ${lines[2]}"
	[[ "${lines[3]}" =~ ^root\ +[0-9]+\ +$pid\ +.*\ sleep\ 1002$ ]] || fail "child row: ${lines[3]}"
	# ps options are accepted (and the columns stay ps -ef's)
	run berth top tp aux
	assert_success
	[ "${#lines[@]}" -eq 4 ]
	run berth container top tp
	assert_success
}

@test "top: a stopped container and a missing one are errors" {
	berth create --name idle busybox true >/dev/null
	run berth top idle
	assert_failure
	assert_output_contains "is not running"
	run berth top nosuch
	assert_status 1
	assert_output_contains "No such container: nosuch"
}

# --- stats ---------------------------------------------------------------------

@test "stats --no-stream: docker's columns from the cgroup; CPU % from two readings" {
	local id
	# no network: its NET I/O is 0B / 0B for sure
	id=$(berth run -d --name busy --network none -m 100m busybox sh -c 'while :; do :; done')
	berth run -d --name calm busybox sleep 1000 >/dev/null
	run berth stats --no-stream
	assert_success
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ +NET\ I/O\ +BLOCK\ I/O\ +PIDS$ ]] ||
		fail "header: ${lines[0]}"
	[ "${#lines[@]}" -eq 3 ] || fail "two containers: $output"
	run berth stats --no-stream --format '{{.ID}} {{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}' busy
	assert_success
	[[ "$output" =~ ^${id:0:12}\ busy\ ([0-9.]+)%\ [0-9.]+[KMG]?i?B\ /\ 100MiB\ [0-9.]+%\ 0B\ /\ 0B\ [0-9.]+[kMG]?B\ /\ [0-9.]+[kMG]?B\ 1$ ]] ||
		fail "busy: $output"
	# a spinning shell uses most of a CPU: well above 20 %
	[ "${BASH_REMATCH[1]%.*}" -ge 20 ] || fail "CPU % of a busy loop: $output"
	run berth stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.PIDs}}' calm
	[[ "$output" =~ ^calm\ 0\.[0-9]{2}%\ 1$ ]] || fail "calm: $output"
	run berth stats --no-stream --no-trunc --format '{{.ID}} {{.Container}}' busy
	assert_output_is "$id busy"
	run berth stats --no-stream --format json busy
	echo "$output" | jq -e '.Name == "busy" and .PIDs == "1" and (.MemUsage | endswith("/ 100MiB"))
		and (keys == ["BlockIO","CPUPerc","Container","ID","MemPerc","MemUsage","Name","NetIO","PIDs"])'
}

@test "stats: stopped containers with -a (zeros); a missing one is an error; streaming redraws" {
	berth run -d --name up busybox sleep 1000 >/dev/null
	berth create --name down busybox true >/dev/null
	run berth stats --no-stream --format '{{.Name}}'
	assert_output_is up
	run berth stats --no-stream -a --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}'
	assert_line_is 0 "down 0.00% 0B / 0B 0"
	[[ "${lines[1]}" =~ ^up\ [0-9.]+%\ [0-9.]+[KM]iB\ /\ .*\ 1$ ]] || fail "up: ${lines[1]}"
	run berth container stats --no-stream --format '{{.Name}}' up
	assert_output_is up
	run berth stats --no-stream nosuch
	assert_status 1
	assert_output_contains "No such container: nosuch"
	# without --no-stream: a new table each second, each after docker's clear-screen
	run timeout 3.5 "$BERTH" stats --format '{{.Name}} {{.PIDs}}' up
	[ "$status" -eq 124 ] || fail "stats streams until stopped (status $status)"
	[ "$(grep -o $'\033\[2J' <<<"$output" | wc -l)" -ge 2 ] || fail "redraws: $output"
	[[ "$output" == *"up 1"* ]] || fail "rows: $output"
}

# --- pause, unpause ----------------------------------------------------------------

@test "pause/unpause: freeze and thaw every process; docker's messages" {
	local pid
	berth run -d --name frz busybox sh -c 'sleep 1000' >/dev/null
	pid=$(berth inspect -f '{{.State.Pid}}' frz)
	run berth pause frz
	assert_success
	assert_output_is frz
	# the process is frozen (the freezer's "D"/"S" is no help: ask the cgroup)
	run berth inspect -f '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' frz
	assert_output_is "paused true true"
	grep -q FROZEN /sys/fs/cgroup/freezer/berth/"$(berth inspect -f '{{.Id}}' frz)"/freezer.state 2>/dev/null ||
		grep -q '^frozen 1' /sys/fs/cgroup/berth/"$(berth inspect -f '{{.Id}}' frz)"/cgroup.events
	run berth pause frz
	assert_failure
	assert_output_contains "is already paused"
	run berth unpause frz
	assert_success
	assert_output_is frz
	run berth inspect -f '{{.State.Status}}' frz
	assert_output_is running
	run berth unpause frz
	assert_failure
	assert_output_contains "is not paused"
	kill -0 "$pid"
	# several at once: the good ones done, the bad ones reported
	berth run -d --name frz2 busybox sleep 1000 >/dev/null
	run --separate-stderr berth pause frz nosuch frz2
	assert_status 1
	assert_output_is "frz"$'\n'"frz2"
	assert_stderr_contains "No such container: nosuch"
	run berth container unpause frz frz2
	assert_success
	# a paused container can be stopped and removed
	berth pause frz >/dev/null
	run berth rm -f frz
	assert_success
	wait_pid_gone "$pid"
}

@test "pause: a container that is not running cannot be paused" {
	berth create --name idle busybox true >/dev/null
	run berth pause idle
	assert_failure
	assert_output_contains "is not running"
}

# --- rename -----------------------------------------------------------------------

@test "rename: the new name is the container's; conflicts and bad names refused" {
	local id
	id=$(berth run -d --name old busybox sleep 1000)
	berth create --name other busybox true >/dev/null
	run berth rename old new
	assert_success
	assert_output_is ""
	run berth inspect -f '{{.Name}} {{.Id}}' new
	assert_output_is "/new $id"
	run berth inspect old
	assert_status 1
	run berth rename new other
	assert_failure
	assert_output_contains "Conflict. The container name \"/other\" is already in use by container \"$(berth inspect -f '{{.Id}}' other)\""
	run berth rename new new
	assert_failure
	assert_output_contains "same name"
	run berth rename new 'bad name!'
	assert_failure
	assert_output_contains "Invalid container name"
	run berth rename nosuch x2
	assert_status 1
	run berth rename new
	assert_status 125
	# the old name is free again; the group form works
	berth create --name old busybox true >/dev/null
	run berth container rename "${id:0:12}" renamed
	assert_success
	run berth ps --format '{{.Names}}'
	assert_output_is renamed
}

# --- port ---------------------------------------------------------------------------

@test "port: nothing for a container without published ports; errors as docker's" {
	berth run -d --name np busybox sleep 1000 >/dev/null
	run berth port np
	assert_success
	assert_output_is ""
	run berth port np 80
	assert_status 1
	assert_output_contains "No public port '80/tcp' published for np"
	run berth port np 53/udp
	assert_status 1
	assert_output_contains "No public port '53/udp'"
	run berth port np notaport
	assert_status 125
	run berth port nosuch
	assert_status 1
	assert_output_contains "No such container: nosuch"
	run berth container port np
	assert_success
}

# --- container prune -------------------------------------------------------------

@test "container prune: removes the stopped containers only, and what they held" {
	local keep gone1 gone2
	keep=$(berth run -d --name keep busybox sleep 1000)
	gone1=$(berth create --name gone1 busybox true)
	berth run --name gone2 busybox sh -c 'head -c 20000 /dev/zero > /f' >/dev/null
	gone2=$(berth inspect -f '{{.Id}}' gone2)
	run berth container prune -f
	assert_success
	assert_line_is 0 "Deleted Containers:"
	[[ "$output" == *"$gone1"* && "$output" == *"$gone2"* ]] || fail "ids: $output"
	[[ "$output" != *"$keep"* ]] || fail "removed a running one: $output"
	assert_line_is 3 "Total reclaimed space: 20kB"
	run berth ps -aq --no-trunc
	assert_output_is "$keep"
	[ ! -e "$BERTH_ROOT/containers/$gone1" ] && [ ! -e "$BERTH_ROOT/containers/$gone2" ]
	# no mount (the created one had its root mounted) and no cgroup left behind
	! grep -qE "$gone1|$gone2" /proc/self/mountinfo || fail "mounts left: $(grep -E "$gone1|$gone2" /proc/self/mountinfo)"
	! ls -d /sys/fs/cgroup/*/berth/"$gone2" /sys/fs/cgroup/berth/"$gone2" 2>/dev/null || fail "cgroup left"
	grep -q "$keep" /proc/self/mountinfo || fail "the running container lost its root"
	run berth container prune -f
	assert_output_is "Total reclaimed space: 0B"
}

@test "container prune: asks first; --filter until= and label=" {
	local old2
	berth create --name old --label keep=yes busybox true >/dev/null
	old2=$(berth create --name old2 busybox true)
	sleep 1.2
	berth create --name young busybox true >/dev/null
	# no answer: nothing happens
	run berth container prune </dev/null
	assert_success
	assert_output_contains "WARNING! This will remove all stopped containers."
	[ "$(berth ps -aq | wc -l)" -eq 3 ]
	run berth container prune -f --filter until=1s --filter label!=keep
	assert_success
	assert_output_is "Deleted Containers:"$'\n'"$old2"$'\n\n'"Total reclaimed space: 0B"
	run berth ps -a --format '{{.Names}}'
	assert_output_is "young"$'\n'"old"
	run berth container prune -f --filter label=keep=yes
	run berth ps -a --format '{{.Names}}'
	assert_output_is "young"
	echo y | berth container prune >/dev/null
	run berth ps -aq
	assert_output_is ""
	run berth container prune -f --filter color=red
	assert_status 125
	assert_output_contains "invalid filter 'color'"
}

# --- info, version ---------------------------------------------------------------

@test "info: counts by state, images, the host" {
	berth run -d --name r1 busybox sleep 1000 >/dev/null
	berth run -d --name p1 busybox sleep 1000 >/dev/null
	berth pause p1 >/dev/null
	berth create --name c1 busybox true >/dev/null
	run berth info
	assert_success
	assert_output_contains $'\n'" Containers: 3"$'\n'"  Running: 1"$'\n'"  Paused: 1"$'\n'"  Stopped: 1"$'\n'" Images: 1"$'\n'
	assert_output_contains " Storage Driver: overlay"
	assert_output_contains " Cgroup Driver: cgroupfs"
	assert_output_contains " Cgroup Version: $([ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && echo 2 || echo 1)"
	assert_output_contains " Kernel Version: $(uname -r)"
	assert_output_contains " Architecture: $(uname -m)"
	assert_output_contains " CPUs: $(nproc)"
	assert_output_contains " Berth Root Dir: $BERTH_ROOT"
	assert_output_contains " Operating System: $(. /etc/os-release && echo "$PRETTY_NAME")"
	[[ "$output" =~ Total\ Memory:\ [0-9.]+GiB ]] || fail "memory: $output"
	run berth info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}} {{.Driver}} {{.NCPU}}'
	assert_output_is "3 1 1 1 1 overlay $(nproc)"
	run berth info --format '{{json .}}'
	echo "$output" | jq -e --arg root "$BERTH_ROOT" '.BerthRootDir == $root and .MemTotal > 0 and .OSType == "linux"'
}

@test "version: docker's Client and Server sections; --format" {
	run berth version
	assert_success
	assert_line_is 0 "Client:"
	assert_output_contains "Server: berth (daemonless)"
	assert_output_contains " Engine:"
	assert_output_contains " berth-runtime:"
	run berth version --format '{{.Client.Version}} {{.Server.Version}} {{.Server.Os}}'
	[[ "$output" =~ ^[0-9]+\.[0-9]+\.[0-9]+\ [0-9]+\.[0-9]+\.[0-9]+\ linux$ ]] || fail "format: $output"
	run berth version --format json
	echo "$output" | jq -e '.Client.Version == .Server.Version and (.Server.Components | map(.Name) | index("Engine")) != null'
}
