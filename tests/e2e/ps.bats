#!/usr/bin/env bats
# berth ps / berth container ls: docker's columns, statuses, -a -q -n -l
# --no-trunc -s, every --filter key and --format.

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

# run_bg NAME ARGS...: a detached busybox container that sleeps (or runs ARGS).
run_bg() {
	local name=$1
	shift
	berth run -d --name "$name" "$@" >/dev/null
}

# other_image NAME: an image that is not busybox (another id).
other_image() {
	local dir=$BATS_TEST_TMPDIR/other
	mkdir -p "$dir/bin"
	cp /bin/busybox "$dir/bin/busybox"
	ln -s busybox "$dir/bin/sh"
	ln -s busybox "$dir/bin/true"
	echo other >"$dir/other"
	tar --numeric-owner -C "$dir" -cf "$dir.tar" .
	berth import "$dir.tar" "$1" >/dev/null
}

# exited NAME CODE: a container that has exited with CODE.
exited() {
	berth run --name "$1" busybox sh -c "exit $2" >/dev/null 2>&1 || true
}

@test "ps: docker's header and columns; running containers only; -a adds the others" {
	run_bg web busybox sh -c 'sleep 1000'
	exited quit 3
	berth create --name fresh busybox true >/dev/null

	run berth ps
	assert_success
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]] ||
		fail "header: ${lines[0]}"
	[ "${#lines[@]}" -eq 2 ] || fail "expected one container: $output"
	[[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +busybox\ +\"sh\ -c\ \'sleep\ 1000\'\"\ +.*\ ago\ +Up\ .*\ +web$ ]] ||
		fail "row: ${lines[1]}"

	run berth ps -a
	assert_success
	[ "${#lines[@]}" -eq 4 ] || fail "expected three containers: $output"
	# newest first
	[[ "${lines[1]}" =~ \"true\"\ +.*\ +Created\ +fresh$ ]] || fail "created row: ${lines[1]}"
	[[ "${lines[2]}" =~ Exited\ \(3\)\ .*\ ago\ +quit$ ]] || fail "exited row: ${lines[2]}"
	[[ "${lines[3]}" =~ Up\ .*\ +web$ ]] || fail "running row: ${lines[3]}"
}

@test "ps: the command is quoted and cut at 20 characters like docker's; --no-trunc shows it whole" {
	run_bg long busybox sh -c 'sleep 1000; echo this is a long command'
	run berth ps --format '{{.Command}}'
	assert_output_is "\"sh -c 'sleep 1000; …\""
	run berth ps --no-trunc --format '{{.Command}}'
	assert_output_is "\"sh -c 'sleep 1000; echo this is a long command'\""
	run berth ps --no-trunc --format '{{.ID}}'
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "full id: $output"
	[ "$output" = "$(berth inspect -f '{{.Id}}' long)" ]
}

@test "ps: -q lists ids only (running, or all with -a); -n and -l the newest of every state" {
	local a b c
	a=$(berth run -d busybox sleep 1000)
	b=$(berth create busybox true)
	c=$(berth create busybox true)
	run berth ps -q
	assert_output_is "${a:0:12}"
	run berth ps -aq
	assert_output_is "${c:0:12}"$'\n'"${b:0:12}"$'\n'"${a:0:12}"
	run berth ps -aq --no-trunc
	assert_line_is 2 "$a"
	run berth ps -q -n 2
	assert_output_is "${c:0:12}"$'\n'"${b:0:12}"
	run berth ps -q -l
	assert_output_is "${c:0:12}"
	run berth ps -n x
	assert_status 125
	# --quiet wins over --format, with docker's warning
	run --separate-stderr berth ps -q --format '{{.Names}}'
	assert_output_is "${a:0:12}"
	assert_stderr_contains "Ignoring custom format"
}

@test "ps: a paused container is listed as running, with docker's (Paused)" {
	run_bg pz busybox sleep 1000
	berth pause pz
	run berth ps --format '{{.Names}} {{.State}} {{.Status}}'
	assert_success
	[[ "$output" =~ ^pz\ paused\ Up\ .*\ \(Paused\)$ ]] || fail "paused: $output"
	berth unpause pz
	run berth ps --format '{{.State}}'
	assert_output_is "running"
}

@test "ps --filter: id, name, label, status, exited, ancestor" {
	local a
	a=$(berth run -d --name alpha --label tier=web --label team busybox sleep 1000)
	run_bg beta --label tier=db busybox sleep 1000
	exited gamma 0
	exited delta 7

	run berth ps -a --filter "id=${a:0:8}" --format '{{.Names}}'
	assert_output_is alpha
	run berth ps --filter name=alp --format '{{.Names}}'
	assert_output_is alpha
	# docker matches names as regular expressions against "/name"
	run berth ps -a --filter 'name=^/(beta|gamma)$' --format '{{.Names}}'
	assert_output_is "gamma"$'\n'"beta"
	run berth ps --filter label=tier --format '{{.Names}}'
	assert_output_is "beta"$'\n'"alpha"
	run berth ps --filter label=tier=db --format '{{.Names}}'
	assert_output_is beta
	run berth ps --filter label=team --format '{{.Names}}'
	assert_output_is alpha
	run berth ps --filter label=nosuch --format '{{.Names}}'
	assert_output_is ""

	# a status filter shows stopped containers without -a
	run berth ps --filter status=exited --format '{{.Names}}'
	assert_output_is "delta"$'\n'"gamma"
	run berth ps --filter status=running --format '{{.Names}}'
	assert_output_is "beta"$'\n'"alpha"
	run berth ps -a --filter exited=7 --format '{{.Names}}'
	assert_output_is delta
	run berth ps -a --filter exited=0 --format '{{.Names}}'
	assert_output_is gamma

	other_image other:1
	berth create --name epsilon other:1 true >/dev/null
	run berth ps -a --filter ancestor=other:1 --format '{{.Names}} {{.Image}}'
	assert_output_is "epsilon other:1"
	# an image by any of its names, or by id; several ancestors OR
	berth tag busybox bb:2
	run berth ps -a --filter ancestor=bb:2 -q
	[ "${#lines[@]}" -eq 4 ] || fail "ancestor by another name: $output"
	run berth ps -a --filter "ancestor=$(berth image inspect -f '{{.Id}}' busybox)" -q
	[ "${#lines[@]}" -eq 4 ] || fail "ancestor by id: $output"
	run berth ps -a --filter ancestor=busybox --filter ancestor=other:1 -q
	[ "${#lines[@]}" -eq 5 ] || fail "two ancestors: $output"
	run berth ps -a --filter ancestor=nosuch -q
	assert_output_is ""
	# a container that never ran has no exit code to match
	run berth ps -a --filter exited=0 --format '{{.Names}}'
	assert_output_is gamma
}

@test "ps --filter: several keys AND, several values of one key OR; before and since" {
	exited one 0
	run_bg two --label x=1 busybox sleep 1000
	exited three 1
	run_bg four --label x=2 busybox sleep 1000
	exited five 0

	run berth ps -a --filter status=exited --filter status=running --format '{{.Names}}'
	[ "${#lines[@]}" -eq 5 ] || fail "status OR: $output"
	run berth ps -a --filter status=exited --filter exited=0 --format '{{.Names}}'
	assert_output_is "five"$'\n'"one"
	run berth ps -a --filter label=x --filter name=four --format '{{.Names}}'
	assert_output_is four
	run berth ps -a --filter label=x=1 --filter label=x=2 --format '{{.Names}}'
	assert_output_is ""

	# before/since: created before/after the given container
	run berth ps -a --filter before=three --format '{{.Names}}'
	assert_output_is "two"$'\n'"one"
	run berth ps -a --filter since=three --format '{{.Names}}'
	assert_output_is "five"$'\n'"four"
	run berth ps -a --filter since=one --filter before=five --format '{{.Names}}'
	assert_output_is "four"$'\n'"three"$'\n'"two"
	# without -a, the running ones among them
	run berth ps --filter before=three --format '{{.Names}}'
	assert_output_is "two"
	run berth ps --filter since=one --format '{{.Names}}'
	assert_output_is "four"$'\n'"two"
	run berth ps --filter before=nosuch
	assert_status 1
	assert_output_contains "No such container: nosuch"
}

@test "ps --filter: bad filters are refused" {
	run berth ps --filter nonsense
	assert_status 125
	assert_output_contains "bad format of filter"
	run berth ps --filter color=red
	assert_status 125
	assert_output_contains "invalid filter 'color'"
	run berth ps --filter status=sleeping
	assert_status 125
	assert_output_contains "invalid filter 'status=sleeping'"
	run berth ps --filter exited=x
	assert_status 125
}

@test "ps --format: templates over docker's fields; table; json" {
	local id created
	id=$(berth run -d --name fmt --label b=2 --label a=1 busybox sleep 1000)

	run berth ps --format '{{.ID}}|{{.Image}}|{{.Command}}|{{.Names}}|{{.Labels}}|{{.Ports}}|{{.State}}|{{.Mounts}}'
	assert_output_is "${id:0:12}|busybox|\"sleep 1000\"|fmt|a=1,b=2||running|"
	run berth ps --format '{{.Status}}/{{.RunningFor}}'
	[[ "$output" =~ ^Up\ .*/.*\ ago$ ]] || fail "status/running for: $output"
	# CreatedAt is Go's time.Time String(): "2006-01-02 15:04:05 -0700 MST"
	run berth ps --format '{{.CreatedAt}}'
	[[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ [-+][0-9]{4}\ [A-Z]+$ ]] ||
		fail "CreatedAt: $output"
	created=$(berth inspect -f '{{.Created}}' fmt)
	[ "$output" = "$(date -d "$created" '+%F %T %z %Z')" ] || fail "CreatedAt $output vs inspect's $created"

	run berth ps --format 'table {{.Names}}\t{{.State}}'
	assert_line_is 0 "NAMES     STATE"
	assert_line_is 1 "fmt       running"

	run berth ps --format json
	assert_success
	echo "$output" | jq -e --arg id "${id:0:12}" '
		.ID == $id and .Names == "fmt" and .Image == "busybox" and .Command == "\"sleep 1000\""
		and .State == "running" and (.Status | startswith("Up ")) and .Labels == "a=1,b=2"
		and .Ports == "" and .Size == "0B" and .Networks == "bridge" and .LocalVolumes == "0"
		and (.RunningFor | endswith(" ago")) and (.CreatedAt | length > 0)'
	# docker's keys, sorted
	[ "$(echo "$output" | jq -c 'keys_unsorted')" = '["Command","CreatedAt","ID","Image","Labels","LocalVolumes","Mounts","Names","Networks","Ports","RunningFor","Size","State","Status"]' ]

	run berth ps --format '{{.Nope}}'
	assert_success
	assert_output_is "<no value>"
	run berth ps --format '{{.ID'
	assert_status 125
}

@test "ps -s: the writable layer's size, and the image's as virtual" {
	berth run --name writer busybox sh -c 'head -c 12345 /dev/zero > /data' >/dev/null
	berth create --name clean busybox true >/dev/null
	run berth ps -a -s --format '{{.Names}} {{.Size}}'
	assert_success
	[[ "${lines[0]}" =~ ^clean\ 0B\ \(virtual\ [0-9.]+MB\)$ ]] || fail "clean: ${lines[0]}"
	[[ "${lines[1]}" =~ ^writer\ 12.3kB\ \(virtual\ [0-9.]+MB\)$ ]] || fail "writer: ${lines[1]}"
	run berth ps -a -s
	[[ "${lines[0]}" =~ NAMES\ +SIZE$ ]] || fail "header: ${lines[0]}"
	# a format that shows .Size computes it without -s, as docker does
	run berth ps -a --format '{{.Size}}' --filter name=writer
	[[ "$output" == "12.3kB (virtual "* ]] || fail "format size: $output"
}

@test "container ls, list and ps are ps" {
	run_bg c1 busybox sleep 1000
	for verb in ls list ps; do
		run berth container "$verb" --format '{{.Names}}'
		assert_output_is c1
	done
}

@test "ps: .Mounts, .LocalVolumes and --filter volume= (volumes by name, binds by source, any by destination)" {
	berth volume ls >/dev/null 2>&1 || skip "berth volume not in this build"
	mkdir -p "$BATS_TEST_TMPDIR/host"
	berth volume create data >/dev/null
	run_bg vols -v data:/data -v "$BATS_TEST_TMPDIR/host:/h" busybox sleep 1000
	run_bg plain busybox sleep 1000
	run berth ps --filter name=vols --format '{{.Mounts}}|{{.LocalVolumes}}'
	# docker cuts each name at 15 characters
	assert_output_is "data,$(cut -c1-14 <<<"$BATS_TEST_TMPDIR/host")…|1"
	run berth ps --no-trunc --filter name=vols --format '{{.Mounts}}'
	assert_output_is "data,$BATS_TEST_TMPDIR/host"
	run berth ps --filter volume=data --format '{{.Names}}'
	assert_output_is vols
	run berth ps --filter volume=/h --format '{{.Names}}'
	assert_output_is vols
	run berth ps --filter volume=nosuch --format '{{.Names}}'
	assert_output_is ""
	run berth ps --filter volume=data --filter volume=nosuch --format '{{.Names}}'
	assert_output_is vols
}
