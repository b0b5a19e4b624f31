#!/usr/bin/env bats
# berth inspect / berth container inspect: docker's JSON for containers,
# --format templates, containers before images, --type, missing objects.

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

@test "inspect: docker's container JSON (Config, State, HostConfig, Path, Args)" {
	local id
	id=$(berth run -d --name web --label tier=web --label empty -e FOO=bar -m 64m --pids-limit 50 -w /tmp \
		busybox sh -c 'sleep 1000')
	run berth inspect web
	assert_success
	# 4-space indentation, an array of one object, like docker
	[[ "${lines[0]}" == "[" && "${lines[1]}" == "    {" ]] || fail "layout: ${lines[0]}${lines[1]}"
	echo "$output" | jq -e --arg id "$id" '
		length == 1 and .[0] as $c
		| $c.Id == $id and $c.Name == "/web"
		and $c.Path == "sh" and $c.Args == ["-c", "sleep 1000"]
		and ($c.Image | startswith("sha256:")) and ($c.Created | test("^[0-9]{4}-.*Z$"))
		and $c.State.Status == "running" and $c.State.Running == true and $c.State.Paused == false
		and $c.State.Pid > 0 and $c.State.ExitCode == 0 and ($c.State.StartedAt | startswith("20"))
		and $c.State.FinishedAt == "0001-01-01T00:00:00Z"
		and $c.Config.Image == "busybox" and $c.Config.Labels == {"tier": "web", "empty": ""}
		and ($c.Config.Env | index("FOO=bar")) != null and ($c.Config.Env[0] | startswith("PATH="))
		and $c.Config.Cmd == ["sh", "-c", "sleep 1000"] and $c.Config.WorkingDir == "/tmp"
		and $c.Config.Hostname == ($id | .[0:12])
		and $c.HostConfig.Memory == 67108864 and $c.HostConfig.PidsLimit == 50
		and $c.HostConfig.NetworkMode == "bridge" and ($c.HostConfig | has("Path") | not)
		and $c.HostConfig.AutoRemove == false and $c.RestartCount == 0
		and $c.GraphDriver.Name == "overlay" and ($c.GraphDriver.Data.UpperDir | endswith("/upper"))
		and $c.Mounts == [] and ($c.NetworkSettings.Networks.bridge.IPAddress | startswith("10.88."))
		and ($c.LogPath | endswith("ctr.log")) and ($c.HostnamePath | endswith("hostname"))'
	# the pid is the container's init, on this host
	[ "$(cat /proc/"$(berth inspect -f '{{.State.Pid}}' web)"/comm)" = sleep ]
}

@test "inspect -f: docker's templates" {
	berth run -d --name fmt --label a=1 -e X=y busybox sleep 1000 >/dev/null
	run berth inspect -f '{{.State.Status}}' fmt
	assert_output_is running
	run berth inspect -f '{{.Name}} {{.State.ExitCode}} {{.State.Running}}' fmt
	assert_output_is "/fmt 0 true"
	run berth inspect -f '{{json .Config.Labels}}' fmt
	assert_output_is '{"a":"1"}'
	run berth inspect -f '{{.Config.Env}}' fmt
	[[ "$output" =~ ^\[PATH=.*\ X=y\]$ ]] || fail "env: $output"
	run berth inspect -f '{{index .Config.Labels "a"}} {{join .Config.Cmd ","}} {{.Config.Image}}' fmt
	assert_output_is "1 sleep,1000 busybox"
	run berth container inspect --format '{{.Id}}' fmt
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "id: $output"
	run berth inspect --format json fmt
	echo "$output" | jq -e '.[0].Name == "/fmt"'
	run berth inspect -f '{{.State.Status' fmt
	assert_status 125
}

@test "inspect: an exited container's state; the image's Cmd when none was given" {
	berth run --name done busybox sh -c 'exit 7' >/dev/null 2>&1 || true
	berth create --name fresh busybox >/dev/null
	run berth inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}} {{.State.Running}}' done
	assert_output_is "exited 7 0 false"
	run berth inspect -f '{{.State.FinishedAt}}' done
	[[ "$output" != 0001-* ]] || fail "finished: $output"
	run berth inspect -f '{{.State.Status}} {{json .Config.Cmd}} {{.Path}} {{json .Args}} {{.State.StartedAt}}' fresh
	assert_output_is 'created ["sh"] sh [] 0001-01-01T00:00:00Z'
}

@test "inspect: --entrypoint and --init as docker shows them" {
	berth create --name ep --entrypoint /bin/echo busybox hi there >/dev/null
	run berth inspect -f '{{.Path}} {{json .Args}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}' ep
	assert_output_is '/bin/echo ["hi","there"] ["/bin/echo"] ["hi","there"]'
	# a new entrypoint drops the image's Cmd
	berth create --name ep2 --entrypoint /bin/true busybox >/dev/null
	run berth inspect -f '{{json .Config.Cmd}} {{json .Args}}' ep2
	assert_output_is 'null []'
	# --init runs berth-init first, but Path is still the user's command
	berth create --name withinit --init busybox sleep 5 >/dev/null
	run berth inspect -f '{{.Path}} {{json .Args}} {{.HostConfig.Init}}' withinit
	assert_output_is 'sleep ["5"] true'
}

@test "inspect: a container first, then an image; --type; container inspect only containers" {
	local img
	img=$(berth image inspect -f '{{.Id}}' busybox)
	# a container named like the image wins
	berth create --name busybox busybox true >/dev/null
	run berth inspect -f '{{.Name}}' busybox
	assert_output_is /busybox
	run berth inspect --type image -f '{{.Id}}' busybox
	assert_output_is "$img"
	run berth inspect --type container -f '{{.Name}}' busybox
	assert_output_is /busybox
	run berth image inspect -f '{{.Id}}' busybox
	assert_output_is "$img"
	# an image by id through the generic form
	run berth inspect -f '{{.Id}}' "$img"
	assert_output_is "$img"
	run berth inspect --type volume busybox
	assert_status 125
	assert_output_contains "not a valid value for --type"
	run berth container inspect "${img#sha256:}"
	assert_status 1
	assert_output_contains "No such container"
}

@test "inspect: missing objects are docker's errors; what was found is still printed" {
	berth create --name here busybox true >/dev/null
	run --separate-stderr berth inspect nosuch
	assert_status 1
	assert_output_is "[]"
	assert_stderr_contains "No such object: nosuch"
	run --separate-stderr berth inspect here nosuch
	assert_status 1
	echo "$output" | jq -e 'length == 1 and .[0].Name == "/here"'
	assert_stderr_contains "No such object: nosuch"
	run --separate-stderr berth inspect --type container nosuch
	assert_status 1
	assert_stderr_contains "No such container: nosuch"
	run --separate-stderr berth inspect --type image nosuch
	assert_status 1
	assert_stderr_contains "No such image: nosuch"
	run --separate-stderr berth inspect -f '{{.Name}}' here nosuch
	assert_status 1
	assert_output_is /here
	run berth inspect
	assert_status 125
}

@test "inspect -s: SizeRw and SizeRootFs" {
	berth run --name writer busybox sh -c 'head -c 5000 /dev/zero > /f' >/dev/null
	run berth inspect -s writer
	echo "$output" | jq -e '.[0].SizeRw == 5000 and .[0].SizeRootFs > 1000000'
	run berth inspect writer
	echo "$output" | jq -e '.[0] | has("SizeRw") | not'
}
