#!/usr/bin/env bats
# berth volume create/ls/rm/inspect/prune, and volumes in containers: named
# (-v name:/path, --mount type=volume), anonymous (-v /path, the image's
# VOLUMEs), pre-filled from the image, in use while a container references
# them, removed with rm -v / --rm.  Every test has its own store (berth.bash).

load berth

setup() {
	berth_setup
	berth_bootstrap >/dev/null
}

teardown() {
	local id
	for id in $(berth ps -aq --no-trunc 2>/dev/null); do berth rm -f "$id" >/dev/null 2>&1; done
	berth_teardown
}

# an image like busybox with the VOLUMEs given ($1 = name, then paths), made with skopeo and umoci
make_volume_image() {
	local name=$1 dir=$BATS_TEST_TMPDIR/img args=() v
	shift
	command -v skopeo >/dev/null && command -v umoci >/dev/null || skip "skopeo and umoci are needed"
	for v in "$@"; do args+=(--config.volume "$v"); done
	mkdir -p "$dir"
	berth save -o "$dir/bb.tar" busybox
	skopeo copy -q "docker-archive:$dir/bb.tar" "oci:$dir/oci:bb" >/dev/null
	umoci config --image "$dir/oci:bb" "${args[@]}" --tag vol
	skopeo copy -q "oci:$dir/oci:vol" "docker-archive:$dir/vol.tar:localhost/$name:latest" >/dev/null
	berth load -q -i "$dir/vol.tar" >/dev/null
}

@test "volume create, ls, inspect and rm, as docker prints them" {
	run berth volume create data1
	assert_success
	assert_output_is data1
	# creating it again is fine, as in docker
	run berth volume create data1
	assert_success
	run berth volume create --label team=a --label x data2
	assert_success
	run berth volume ls
	assert_success
	assert_line_is 0 "DRIVER    VOLUME NAME"
	assert_line_is 1 "local     data1"
	assert_line_is 2 "local     data2"
	[ "${#lines[@]}" -eq 3 ]
	run berth volume inspect data2
	assert_success
	[ "$(jq -r '.[0].Name' <<<"$output")" = data2 ]
	[ "$(jq -r '.[0].Driver' <<<"$output")" = local ]
	[ "$(jq -r '.[0].Scope' <<<"$output")" = local ]
	[ "$(jq -r '.[0].Labels.team' <<<"$output")" = a ]
	[ "$(jq -r '.[0].Labels.x' <<<"$output")" = "" ]
	[ "$(jq -r '.[0].Mountpoint' <<<"$output")" = "$BERTH_ROOT/volumes/data2/_data" ]
	[[ "$(jq -r '.[0].CreatedAt' <<<"$output")" =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8}Z$ ]]
	[ "$(jq -r '.[0] | keys | join(",")' <<<"$output")" = "CreatedAt,Driver,Labels,Mountpoint,Name,Options,Scope" ]
	[ -d "$BERTH_ROOT/volumes/data2/_data" ]
	run berth volume inspect --format '{{.Name}} {{.Driver}}' data1
	assert_output_is "data1 local"
	run berth volume rm data1 data2
	assert_success
	assert_line_is 0 data1
	assert_line_is 1 data2
	[ ! -e "$BERTH_ROOT/volumes/data1" ]
	run berth volume ls -q
	assert_output_is ""
}

@test "volume errors: a missing volume is exit 1, a bad name is refused" {
	run --separate-stderr berth volume inspect nope
	assert_status 1
	[[ "$stderr" == *"No such volume: nope"* ]] || fail "stderr: $stderr"
	run --separate-stderr berth volume rm nope
	assert_status 1
	run berth volume rm -f nope
	assert_success
	run --separate-stderr berth volume create 'a/b'
	assert_failure
	[[ "$stderr" == *"includes invalid characters for a local volume name"* ]] || fail "stderr: $stderr"
	run berth volume ls -q
	assert_output_is ""
}

@test "volume ls: -q, --filter name=, label=, dangling=, driver= and --format" {
	berth volume create alpha >/dev/null
	berth volume create --label env=prod beta >/dev/null
	berth volume create --label env=dev gamma >/dev/null
	berth create --name user -v beta:/data busybox true >/dev/null
	run berth volume ls -q --filter name=a
	assert_output_is $'alpha\nbeta\ngamma'
	run berth volume ls -q --filter name=^g
	assert_output_is gamma
	run berth volume ls -q --filter label=env
	assert_output_is $'beta\ngamma'
	run berth volume ls -q --filter label=env=dev
	assert_output_is gamma
	run berth volume ls -q --filter dangling=true
	assert_output_is $'alpha\ngamma'
	run berth volume ls -q --filter dangling=false
	assert_output_is beta
	run berth volume ls -q --filter driver=local --filter label=env=prod
	assert_output_is beta
	run berth volume ls --format '{{.Name}}:{{.Labels}}:{{.Scope}}' --filter name=beta
	assert_output_is "beta:env=prod:local"
	run berth volume ls --format json --filter name=gamma
	[ "$(jq -r .Mountpoint <<<"$output")" = "$BERTH_ROOT/volumes/gamma/_data" ]
	run berth volume ls --filter bogus=1
	assert_failure
}

@test "a named volume keeps its data across containers and is pre-filled from the image once" {
	run berth run --rm -v conf:/etc busybox sh -c 'cat /etc/passwd >/dev/null && echo changed >/etc/mine'
	assert_success
	# made by run, filled with the image's /etc, then written by the container
	[ -f "$BERTH_ROOT/volumes/conf/_data/passwd" ]
	[ "$(cat "$BERTH_ROOT/volumes/conf/_data/mine")" = changed ]
	run berth volume inspect --format '{{json .Labels}}' conf
	assert_output_is '{}'
	# not filled again: what the first container left is what the next one sees
	rm "$BERTH_ROOT/volumes/conf/_data/passwd"
	run berth run --rm -v conf:/etc busybox sh -c 'ls /etc/passwd; cat /etc/mine'
	assert_output_contains "No such file"
	assert_output_contains changed
	# --mount type=volume and ro
	run berth run --rm --mount type=volume,source=conf,target=/x busybox cat /x/mine
	assert_output_is changed
	run berth run --rm -v conf:/x:ro busybox sh -c 'echo no >/x/mine'
	assert_failure
	assert_output_contains "Read-only file system"
}

@test "a volume some container references cannot be removed until that container is" {
	berth create --name holder -v keep:/data busybox true >/dev/null
	run --separate-stderr berth volume rm keep
	assert_status 1
	[[ "$stderr" == *"remove keep: volume is in use - ["*"]"* ]] || fail "stderr: $stderr"
	id=$(berth inspect --format '{{.Id}}' holder 2>/dev/null || true)
	[ -z "$id" ] || [[ "$stderr" == *"$id"* ]] || fail "the message does not name $id: $stderr"
	# -f does not force a volume in use away either
	run berth volume rm -f keep
	assert_status 1
	[ -d "$BERTH_ROOT/volumes/keep/_data" ]
	# rm -v removes anonymous volumes only: a named one stays
	berth rm -v holder >/dev/null
	run berth volume ls -q
	assert_output_is keep
	run berth volume rm keep
	assert_success
}

@test "anonymous volumes: -v /path makes one, rm keeps it, rm -v and --rm remove it" {
	berth create --name a1 -v /data busybox true >/dev/null
	run berth volume ls -q
	assert_success
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "not an anonymous name: $output"
	anon=$output
	run berth volume inspect --format '{{json .Labels}}' "$anon"
	assert_output_is '{"com.docker.volume.anonymous":""}'
	berth rm a1 >/dev/null
	run berth volume ls -q --filter dangling=true
	assert_output_is "$anon"
	berth volume rm "$anon" >/dev/null

	berth create --name a2 -v /data -v named2:/n busybox true >/dev/null
	[ "$(berth volume ls -q | wc -l)" -eq 2 ]
	berth rm -v a2 >/dev/null
	run berth volume ls -q
	assert_output_is named2

	run berth run --rm -v /data busybox sh -c 'echo x >/data/f'
	assert_success
	run berth volume ls -q
	assert_output_is named2
	[ -z "$(find "$BERTH_ROOT/volumes" -mindepth 1 -maxdepth 1 ! -name named2)" ]
}

@test "the image's VOLUMEs become anonymous volumes, pre-filled; -v over one uses the named volume" {
	make_volume_image vol /etc /data
	run berth run --name v1 localhost/vol sh -c 'ls /etc/passwd && grep -c " /etc " /proc/self/mountinfo && echo hi >/data/x'
	assert_success
	assert_line_is 1 1
	run berth volume ls -q
	[ "${#lines[@]}" -eq 2 ]
	for v in "${lines[@]}"; do
		[[ "$v" =~ ^[0-9a-f]{64}$ ]] || fail "not anonymous: $v"
	done
	ls "$BERTH_ROOT"/volumes/*/_data/passwd
	ls "$BERTH_ROOT"/volumes/*/_data/x
	berth rm -v v1 >/dev/null
	run berth volume ls -q
	assert_output_is ""
	# a named volume at one of the image's VOLUMEs replaces that anonymous one
	run berth run --rm -v mine:/data localhost/vol true
	assert_success
	run berth volume ls -q
	assert_output_is mine
}

@test "volume prune removes unused anonymous volumes, -a unused named ones too" {
	berth volume create named >/dev/null
	berth volume create --label keep=1 labelled >/dev/null
	berth create --name pa -v /anon1 busybox true >/dev/null
	berth create --name pb -v /anon2 -v used:/u busybox true >/dev/null
	berth rm pa >/dev/null
	anon1=$(berth volume ls -q --filter dangling=true | grep -E '^[0-9a-f]{64}$')
	echo 0 >"$BERTH_ROOT/volumes/$anon1/_data/somedata"
	run berth volume prune -f
	assert_success
	assert_line_is 0 "Deleted Volumes:"
	assert_line_is 1 "$anon1"
	assert_output_contains "Total reclaimed space: "
	run berth volume ls -q --filter dangling=true
	assert_output_is $'labelled\nnamed'
	# the prompt; "n" keeps everything
	run bash -c "echo n | '$BERTH' volume prune -a"
	assert_output_contains "WARNING! This will remove all local volumes not used by at least one container."
	[ "$(berth volume ls -q | wc -l)" -eq 4 ]
	run berth volume prune -af --filter label=keep=1
	assert_line_is 1 labelled
	run berth volume prune -af
	assert_line_is 1 named
	# what pb uses stays
	[ "$(berth volume ls -q | wc -l)" -eq 2 ]
	berth rm -v pb >/dev/null
	run berth volume ls -q
	assert_output_is used
}

@test "volume rm racing runs that take the volume: the volume exists whenever a container has it" {
	berth volume create shared >/dev/null
	pids=()
	for i in 1 2 3 4 5 6; do
		berth create --name "r$i" -v shared:/d busybox true >/dev/null 2>&1 &
		pids+=($!)
		berth volume rm shared >/dev/null 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || true; done
	# every container that was made has its volume, with its directory
	for id in $(berth ps -aq --no-trunc); do
		mp=$(jq -r '.mounts[] | select(.destination == "/d") | .source' "$BERTH_ROOT/containers/$id/config.json")
		[ -d "$mp" ] || fail "container $id mounts $mp, which is gone"
		berth volume inspect shared >/dev/null
	done
	if [ -n "$(berth ps -aq)" ]; then
		run berth volume rm shared
		assert_status 1
	fi
}

@test "run fails cleanly on a bad volume name and leaves nothing" {
	run --separate-stderr berth run --rm -v 'bad name:/d' busybox true
	assert_failure
	run berth ps -aq
	assert_output_is ""
	run berth volume ls -q
	assert_output_is ""
	run --separate-stderr berth run --rm -v /d -v /d busybox true
	assert_failure
	[[ "$stderr" == *"Duplicate mount point: /d"* ]] || fail "stderr: $stderr"
	run berth volume ls -q
	assert_output_is ""
}
