#!/usr/bin/env bats
# The berth engine CLI's image commands: bootstrap, images, tag, rmi,
# inspect, history, import (and hostile tarballs), prune, image mount, many
# commands at once, and two container root filesystems sharing one layer.
# Every test has its own store (berth.bash); nothing touches /var/lib/berth.

load berth

BUSYBOX_NAME=localhost/busybox:latest

# A rootfs tarball: bin/busybox, bin/sh, etc/greeting; $1 = output, $2 = greeting.
make_rootfs_tar() {
	local dir
	dir=$(mktemp -d "$BATS_TEST_TMPDIR/rootfs.XXXXXX")
	mkdir -p "$dir/bin" "$dir/etc"
	cp /bin/busybox "$dir/bin/busybox"
	ln -s busybox "$dir/bin/sh"
	echo "${2:-hello}" >"$dir/etc/greeting"
	tar --numeric-owner -C "$dir" -cf "$1" .
}

# hostile_tar KIND OUT: a tarball that must not unpack (python's tarfile writes what GNU tar would refuse).
hostile_tar() {
	python3 - "$1" "$2" "$BATS_TEST_TMPDIR/outside" <<'EOF'
import io, sys, tarfile
kind, out, outside = sys.argv[1:4]
def f(path, data=b"pwned\n"):
    ti = tarfile.TarInfo(path); ti.size = len(data); return ti, io.BytesIO(data)
def l(path, target, hard=False):
    ti = tarfile.TarInfo(path); ti.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE; ti.linkname = target
    return ti, None
entries = {
    "dotdot": [f("etc/ok"), f("../escaped")],
    "abs-dotdot": [f("etc/ok"), f("/../../escaped")],
    "symlink": [l("evil", outside), f("evil/pwned")],
    "symlink-rel": [l("evil", "../../../../../../.." + outside), f("evil/pwned")],
    "hardlink": [l("evil", outside + "/target", hard=True)],
}[kind]
with tarfile.open(out, "w") as t:
    for ti, data in entries:
        t.addfile(ti, data)
EOF
}

# make_two_layer_archive OUT: a docker-archive of two:1, two layers; the second
# changes etc/greeting, deletes etc/gone (a whiteout) and adds etc/new.
make_two_layer_archive() {
	python3 - "$1" <<'EOF'
import hashlib, io, json, sys, tarfile
def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for path, data in entries:
            ti = tarfile.TarInfo(path)
            if data is None:
                ti.type = tarfile.DIRTYPE; ti.mode = 0o755
                t.addfile(ti)
            else:
                ti.size = len(data); ti.mode = 0o755
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()
busybox = open("/bin/busybox", "rb").read()
l1 = layer([("bin", None), ("bin/busybox", busybox), ("etc", None), ("etc/greeting", b"one\n"), ("etc/gone", b"x\n")])
l2 = layer([("etc", None), ("etc/greeting", b"two\n"), ("etc/.wh.gone", b""), ("etc/new", b"new\n")])
ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in (l1, l2)]
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/busybox", "sh"]},
    "rootfs": {"type": "layers", "diff_ids": ids},
    "history": [{"created_by": "layer one"}, {"created_by": "layer two"}]}).encode()
manifest = json.dumps([{"Config": "config.json", "RepoTags": ["two:1"], "Layers": ["l1.tar", "l2.tar"]}]).encode()
with tarfile.open(sys.argv[1], "w") as t:
    for name, data in (("l1.tar", l1), ("l2.tar", l2), ("config.json", config), ("manifest.json", manifest)):
        ti = tarfile.TarInfo(name); ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
EOF
}

# fs_type PATH: the filesystem type of the mount at PATH (after mountinfo's "-" separator).
fs_type() {
	awk -v d="$1" '$5 == d { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 1); exit } }' /proc/self/mountinfo
}

is_mountpoint() {
	awk -v d="$1" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# --- bootstrap -------------------------------------------------------------------

@test "image bootstrap: localhost/busybox:latest from the host's static busybox, same id every time" {
	[ -x /bin/busybox ] || skip "no /bin/busybox"
	run berth image bootstrap
	assert_success
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "not an image id: $output"
	local id=$output

	run berth images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	assert_success
	assert_output_is "localhost/busybox:latest ${id:7:12}"

	# another store, the same busybox: the same layer, config and id
	BERTH_ROOT=$BATS_TEST_TMPDIR/root2 run berth image bootstrap
	assert_success
	assert_output_is "$id"
	# and again in the first store: nothing new
	run berth image bootstrap
	assert_output_is "$id"
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" -eq 1 ]

	run berth image inspect --format '{{json .Config.Cmd}} {{.Os}}' busybox
	assert_output_is '["sh"] linux'
}

@test "image bootstrap: the image has busybox, its applets, passwd and a sticky /tmp" {
	berth image bootstrap >/dev/null
	run berth image mount busybox
	assert_success
	local m=$output
	[ -x "$m/bin/busybox" ]
	cmp /bin/busybox "$m/bin/busybox"
	[ "$(readlink "$m/bin/sh")" = busybox ]
	[ -L "$m/bin/ls" ]
	grep -q '^root:x:0:0:' "$m/etc/passwd"
	grep -q '^root:x:0:' "$m/etc/group"
	[ "$(stat -c %a "$m/tmp")" = 1777 ]
	[ -d "$m/proc" ] && [ -d "$m/sys" ] && [ -d "$m/dev" ]
	[ "$(stat -c %u:%g "$m/bin/busybox")" = 0:0 ]
}

@test "image bootstrap: refuses a dynamically linked busybox, and a name with a digest" {
	run berth image bootstrap --busybox /bin/ls
	assert_status 125
	assert_output_contains "dynamically linked"
	run berth image bootstrap --busybox "$BATS_TEST_TMPDIR/none"
	assert_failure
	assert_output_contains "none"
	run berth image bootstrap "x@sha256:$(printf '%064d' 0)"
	assert_status 125
	assert_output_contains "digest"
	run berth images -q
	assert_output_is ""
}

# --- images ------------------------------------------------------------------------

@test "images: docker's table, -q, --no-trunc, --format templates and json" {
	local id
	id=$(berth image bootstrap)
	berth tag busybox example.com/team/app:1.0
	make_rootfs_tar "$BATS_TEST_TMPDIR/r.tar"
	berth import "$BATS_TEST_TMPDIR/r.tar" >/dev/null

	run berth images
	assert_success
	[[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]] || fail "header: ${lines[0]}"
	# columns line up under the header, docker's tabwriter way (at least 3 spaces, 10 wide)
	local tag_col
	tag_col=$(awk 'NR == 1 { print index($0, "TAG") }' <<<"$output")
	[ "$(awk -v c="$tag_col" 'NR > 1 && substr($0, c - 1, 1) != " " { bad = 1 } END { print bad + 0 }' <<<"$output")" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	assert_output_contains "example.com/team/app"
	[[ "$output" =~ localhost/busybox\ +latest\ +${id:7:12}\ +N/A\ +2\.[0-9]+MB ]] || fail "busybox row: $output"
	[[ "$output" =~ \<none\>\ +\<none\>\ +[0-9a-f]{12}\ +(Less\ than\ a\ second|[0-9]+\ seconds?)\ ago ]] ||
		fail "untagged row: $output"

	run berth images -q
	[ "${#lines[@]}" -eq 2 ] # one line per image, not per name
	[[ "${lines[0]}" =~ ^[0-9a-f]{12}$ ]]

	run berth images -aq --no-trunc
	assert_output_contains "$id"

	run berth images --format '{{.Repository}}:{{.Tag}}' busybox
	assert_output_is "localhost/busybox:latest"

	run berth images --format json
	assert_success
	[ "$(echo "$output" | jq -r 'select(.Tag == "1.0") | .Repository')" = example.com/team/app ]
	[ "$(echo "$output" | jq -r 'select(.Tag == "1.0") | .ID')" = "${id:7:12}" ]
	[ "$(echo "$output" | jq -s length)" -eq 3 ]

	run berth images --format 'table {{.ID}}\t{{.Size}}'
	[[ "${lines[0]}" =~ ^IMAGE\ ID\ +SIZE$ ]]

	run berth image ls --filter dangling=true -q
	[ "${#lines[@]}" -eq 1 ]
	[ "${lines[0]}" != "${id:7:12}" ]
}

@test "images: option parsing like docker's: combined, =value, --, unknown flags" {
	berth image bootstrap >/dev/null
	run berth images -qa --no-trunc=true
	assert_success
	[[ "$output" =~ ^sha256: ]]
	run berth images --format='{{.Tag}}'
	assert_output_is latest
	run berth images busybox --format '{{.Tag}}'
	assert_output_is latest

	run berth images --bogus
	assert_status 125
	assert_output_contains "unknown flag: --bogus"
	assert_output_contains "See 'berth images --help'"
	run berth images -qz
	assert_status 125
	assert_output_contains "unknown shorthand flag: 'z' in -qz"
	run berth images --format
	assert_status 125
	assert_output_contains "flag needs an argument: --format"
	run berth tag onlyone
	assert_status 125
	assert_output_contains '"berth tag" requires exactly 2 arguments'
	run berth nosuchcommand
	assert_status 125
	run berth images --help
	assert_success
	assert_output_contains "Usage:  berth images [OPTIONS] [REPOSITORY[:TAG]]"
	run berth image
	assert_success
	assert_output_contains "bootstrap"
	run berth --version
	assert_output_contains "berth version"
	run berth --log-level nonsense images
	assert_status 125
}

@test "images: --root and --runroot override \$BERTH_ROOT" {
	berth --root "$BATS_TEST_TMPDIR/other" --runroot "$BATS_TEST_TMPDIR/otherrun" image bootstrap >/dev/null
	[ -d "$BATS_TEST_TMPDIR/other/layers" ]
	run berth images -q
	assert_output_is ""
	run berth --root "$BATS_TEST_TMPDIR/other" images -q
	[ "${#lines[@]}" -eq 1 ]
}

# --- tag, rmi ------------------------------------------------------------------------

@test "tag: names an image by name, short id or full id; index.json follows" {
	local id
	id=$(berth image bootstrap)
	berth tag busybox mine:1
	berth tag "${id:7:5}" quay.io/x/y:2
	berth tag "$id" localhost/z
	run berth images --format '{{.Repository}}:{{.Tag}}'
	assert_output_contains "mine:1"
	assert_output_contains "quay.io/x/y:2"
	assert_output_contains "localhost/z:latest"
	run jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$BERTH_ROOT/index.json"
	assert_output_is "docker.io/library/mine:1
localhost/busybox:latest
localhost/z:latest
quay.io/x/y:2"
	# short names resolve to docker.io first, then localhost/
	[ "$(berth_image_id mine:1)" = "$id" ]
	[ "$(berth_image_id z)" = "$id" ]

	run berth tag nosuch:1 other
	assert_status 1
	assert_output_contains "No such image: nosuch:1"
	run berth tag busybox "bad@sha256:$(printf '%064d' 0)"
	assert_status 125
	assert_output_contains "digest"
	run berth tag busybox 'UPPER'
	assert_status 125
}

@test "rmi: docker's rules: a name untags, the last name deletes, an id with several names needs -f" {
	local id
	id=$(berth image bootstrap)
	berth tag busybox second:1

	run berth rmi "${id:7:12}"
	assert_status 125
	assert_output_contains "image is referenced in multiple repositories"
	[ "$(berth images -q | wc -l)" -eq 1 ]

	run berth rmi second:1
	assert_success
	assert_output_is "Untagged: second:1"
	[ -n "$(berth images -q)" ]

	run berth rmi busybox
	assert_success
	assert_line_is 0 "Untagged: localhost/busybox:latest"
	assert_line_is 1 "Deleted: $id"
	[[ "${lines[2]}" =~ ^Deleted:\ sha256:[0-9a-f]{64}$ ]] # the layer
	run berth images -q
	assert_output_is ""
	[ -z "$(ls "$BERTH_ROOT/layers")" ]
	[ -z "$(ls "$BERTH_ROOT/blobs/sha256")" ]
	[ "$(jq '.manifests | length' "$BERTH_ROOT/index.json")" -eq 0 ]

	run berth rmi busybox
	assert_status 1
	assert_output_is "berth: No such image: busybox"
}

@test "rmi -f: an id with several names goes with all of them; a shared layer stays" {
	local id
	id=$(berth image bootstrap)
	berth tag busybox a:1
	berth tag busybox b:1
	make_rootfs_tar "$BATS_TEST_TMPDIR/r.tar"
	berth import "$BATS_TEST_TMPDIR/r.tar" other:1 >/dev/null
	run berth rmi -f "$id"
	assert_success
	assert_output_contains "Untagged: a:1"
	assert_output_contains "Untagged: b:1"
	assert_output_contains "Untagged: localhost/busybox:latest"
	assert_output_contains "Deleted: $id"
	run berth images --format '{{.Repository}}:{{.Tag}}'
	assert_output_is "other:1"
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" -eq 1 ]
	# the rest of the list still runs after a missing one, and the status says it failed
	run berth rmi nosuch other:1
	assert_status 1
	assert_output_contains "Untagged: other:1"
	assert_output_contains "No such image: nosuch"
}

# --- inspect, history --------------------------------------------------------------

@test "inspect: docker's image inspect JSON; --format; missing images" {
	local id
	id=$(berth image bootstrap)
	run berth image inspect busybox
	assert_success
	echo "$output" | jq -e --arg id "$id" '
		length == 1 and .[0].Id == $id and .[0].RepoTags == ["localhost/busybox:latest"]
		and .[0].RepoDigests == [] and .[0].Os == "linux" and (.[0].Architecture | length > 0)
		and .[0].Config.Cmd == ["sh"] and (.[0].Config.Env[0] | startswith("PATH="))
		and .[0].RootFS.Type == "layers" and (.[0].RootFS.Layers | length) == 1
		and .[0].Size > 1000000 and .[0].Created == "1970-01-01T00:00:00Z"
		and (.[0].Metadata.LastTagTime | length > 0)'
	# 4-space indentation, like docker
	[[ "${lines[1]}" == "    {" ]]

	run berth inspect --format '{{.Id}} {{index .RepoTags 0}} {{.Config.Cmd}}' "${id:7:12}"
	assert_output_is "$id localhost/busybox:latest [sh]"

	# the generic inspect looks for containers too: docker's "No such object"
	run berth inspect busybox nosuch
	assert_status 1
	assert_output_contains "No such object: nosuch"
	run --separate-stderr berth image inspect nosuch
	assert_status 1
	assert_output_is "[]"
	assert_stderr_contains "No such image: nosuch"
	run berth inspect --type container busybox
	assert_status 1
	assert_output_contains "No such container: busybox"
	run berth inspect --type nonsense busybox
	assert_status 125
}

@test "history: docker's columns; the import's comment; --no-trunc and -q" {
	make_rootfs_tar "$BATS_TEST_TMPDIR/r.tar"
	local id
	id=$(berth import -m "first import" "$BATS_TEST_TMPDIR/r.tar" hist:1)
	run berth history hist:1
	assert_success
	[[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]] || fail "header: ${lines[0]}"
	[[ "${lines[1]}" =~ ^${id:7:12}\ +(Less\ than\ a\ second|[0-9]+\ seconds?)\ ago\ +berth\ import\ +[0-9.]+MB\ +first\ import$ ]] ||
		fail "row: ${lines[1]}"
	run berth history -q --no-trunc hist:1
	assert_output_is "$id"
	run berth history --format '{{.CreatedBy}}|{{.Comment}}' hist:1
	assert_output_is "berth import|first import"
	run berth history nosuch
	assert_status 1
}

# --- import ----------------------------------------------------------------------------

@test "import: a rootfs tarball with -c changes and -m; gzip from stdin gives the same layer" {
	make_rootfs_tar "$BATS_TEST_TMPDIR/r.tar" "imported"
	run berth import -c 'CMD ["/bin/busybox", "cat", "/etc/greeting"]' -c 'ENV A=b C="d e"' -c 'ENV PATH /bin' \
		-c 'WORKDIR /tmp' -c 'EXPOSE 8080' -c 'USER 1000' -c 'LABEL org.x=y' -c 'ENTRYPOINT /bin/sh' \
		-m "hand made" "$BATS_TEST_TMPDIR/r.tar" imp:v1
	assert_success
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	berth image inspect imp:v1 | jq -e '.[0].Config as $c |
		$c.Cmd == ["/bin/busybox", "cat", "/etc/greeting"] and $c.Env == ["A=b", "C=d e", "PATH=/bin"]
		and $c.WorkingDir == "/tmp" and $c.ExposedPorts == {"8080/tcp": {}} and $c.User == "1000"
		and $c.Labels == {"org.x": "y"} and $c.Entrypoint == ["/bin/sh", "-c", "/bin/sh"]
		and .[0].Comment == "hand made"'

	gzip -c "$BATS_TEST_TMPDIR/r.tar" | berth import - gz:1 >/dev/null
	[ "$(berth image inspect --format '{{json .RootFS.Layers}}' imp:v1)" = \
		"$(berth image inspect --format '{{json .RootFS.Layers}}' gz:1)" ]
	# the diff id is the sha256 of the tar itself
	[ "$(berth image inspect --format '{{index .RootFS.Layers 0}}' imp:v1)" = \
		"sha256:$(sha256sum "$BATS_TEST_TMPDIR/r.tar" | cut -d' ' -f1)" ]
	# one unpacked layer for both
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" -eq 1 ]

	local m
	m=$(berth image mount gz:1)
	[ "$(cat "$m/etc/greeting")" = imported ]

	run berth import -c 'FROM x' "$BATS_TEST_TMPDIR/r.tar"
	assert_status 125
	assert_output_contains "FROM is not a valid change command"
	run berth import "$BATS_TEST_TMPDIR/nosuch.tar"
	assert_failure
	assert_output_contains "nosuch.tar"
}

@test "import: hostile tarballs fail clearly, change nothing in the store and write nothing outside it" {
	berth image bootstrap >/dev/null
	mkdir -p "$BATS_TEST_TMPDIR/outside"
	echo original >"$BATS_TEST_TMPDIR/outside/target"
	local before kind
	before=$(store_state)
	for kind in dotdot abs-dotdot symlink symlink-rel hardlink; do
		hostile_tar "$kind" "$BATS_TEST_TMPDIR/$kind.tar"
		run berth import "$BATS_TEST_TMPDIR/$kind.tar" "evil:$kind"
		[ "$status" -ne 0 ] || fail "$kind: imported"
		assert_output_contains "berth: import: "
		[ "$(store_state)" = "$before" ] || fail "$kind: the store changed"
		[ -z "$(tmp_litter)" ] || fail "$kind: litter in tmp/: $(tmp_litter)"
	done
	[ ! -e "$BATS_TEST_TMPDIR/escaped" ]
	[ ! -e "$BATS_TEST_TMPDIR/outside/pwned" ]
	[ "$(cat "$BATS_TEST_TMPDIR/outside/target")" = original ]
	[ ! -e "$BATS_TEST_TMPDIR/root/escaped" ]
}

@test "import: a gzip bomb stops at \$BERTH_MAX_LAYER_SIZE and leaves nothing" {
	berth image bootstrap >/dev/null
	python3 -c '
import gzip, io, sys, tarfile
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    ti = tarfile.TarInfo("zeros"); ti.size = 64 << 20
    t.addfile(ti, io.BytesIO(bytes(ti.size)))
sys.stdout.buffer.write(gzip.compress(buf.getvalue(), 9))' >"$BATS_TEST_TMPDIR/bomb.tar.gz"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/bomb.tar.gz")" -lt 1000000 ]
	local before
	before=$(store_state)
	BERTH_MAX_LAYER_SIZE=4M run berth import "$BATS_TEST_TMPDIR/bomb.tar.gz" bomb:1
	assert_failure
	assert_output_contains "size limit"
	[ "$(store_state)" = "$before" ]
	[ -z "$(tmp_litter)" ]
	BERTH_MAX_LAYER_SIZE=nonsense run berth images
	assert_status 125
	assert_output_contains "BERTH_MAX_LAYER_SIZE"
}

# --- prune -----------------------------------------------------------------------------

@test "image prune: unnamed images, then their layers and blobs; -a takes named ones; the prompt defaults to no" {
	berth image bootstrap >/dev/null
	make_rootfs_tar "$BATS_TEST_TMPDIR/r.tar" one
	local dangling
	dangling=$(berth import "$BATS_TEST_TMPDIR/r.tar")
	# litter of a crashed command
	mkdir "$BERTH_ROOT/tmp/dir-crashed" "$BERTH_ROOT/layers/$(printf '%064d' 7)"
	[ "$(ls "$BERTH_ROOT/blobs/sha256" | wc -l)" -eq 6 ]

	run berth image prune <<<"n"
	assert_success
	assert_output_contains "Are you sure you want to continue? [y/N]"
	[ "$(berth images -q | wc -l)" -eq 2 ]

	run berth image prune -f
	assert_success
	assert_line_is 0 "Deleted Images:"
	assert_output_contains "deleted: $dangling"
	[[ "$output" =~ Total\ reclaimed\ space:\ [0-9.]+MB ]] || fail "reclaimed: $output"
	run berth images --format '{{.Repository}}'
	assert_output_is localhost/busybox
	[ "$(ls "$BERTH_ROOT/blobs/sha256" | wc -l)" -eq 3 ]
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" -eq 1 ]
	[ -z "$(tmp_litter)" ]

	run berth image prune -f
	assert_output_is "Total reclaimed space: 0B"

	run berth image prune -af
	assert_output_contains "untagged: localhost/busybox:latest"
	run berth images -q
	assert_output_is ""
	[ -z "$(ls "$BERTH_ROOT/blobs/sha256")" ]
	[ -z "$(ls "$BERTH_ROOT/layers")" ]
}

# --- image mount -------------------------------------------------------------------

@test "image mount: read-only at <runroot>/image-mounts/<id>/merged, idempotent; rmi waits for unmount" {
	local id m
	id=$(berth image bootstrap)
	run berth image mount busybox
	assert_success
	m=$output
	[ "$m" = "$BERTH_RUN_ROOT/image-mounts/${id:7}/merged" ]
	is_mountpoint "$m"
	[ -x "$m/bin/busybox" ]
	run touch "$m/newfile"
	assert_failure
	run berth image mount "${id:7:12}"
	assert_output_is "$m"
	[ "$(awk -v d="$m" '$5 == d' /proc/self/mountinfo | wc -l)" -eq 1 ]

	run berth rmi busybox
	assert_failure
	assert_output_contains "mounted"
	run berth image prune -af
	[ -n "$(berth images -q)" ]

	run berth image unmount busybox
	assert_success
	assert_output_is "$id"
	! is_mountpoint "$m"
	[ ! -e "$BERTH_RUN_ROOT/image-mounts/${id:7}" ]
	run berth image unmount busybox
	assert_success
	berth rmi busybox >/dev/null
}

@test "image mount: two layers are a read-only overlay with the upper layer's changes; the copy driver agrees" {
	make_two_layer_archive "$BATS_TEST_TMPDIR/two.tar"
	run berth load -i "$BATS_TEST_TMPDIR/two.tar"
	assert_success
	assert_output_contains "two:1"
	local m
	m=$(berth image mount two:1)
	[ "$(fs_type "$m")" = overlay ]
	[ "$(cat "$m/etc/greeting")" = two ]
	[ "$(cat "$m/etc/new")" = new ]
	[ ! -e "$m/etc/gone" ]
	run touch "$m/x"
	assert_failure
	run berth history --format '{{.CreatedBy}}' two:1
	assert_output_is "layer two
layer one"
	berth image unmount two:1 >/dev/null

	m=$(BERTH_ROOTFS_DRIVER=copy berth image mount two:1)
	[ "$(cat "$m/etc/greeting")" = two ]
	[ "$(cat "$m/etc/new")" = new ]
	[ ! -e "$m/etc/gone" ]
	[ ! -e "$m/etc/.wh.gone" ]
	run touch "$m/x"
	assert_failure
	berth image unmount two:1 >/dev/null
	[ ! -e "$m" ]
}

# --- concurrency -------------------------------------------------------------------------

@test "20 imports and 20 tags at once all land, in the database and in index.json" {
	local i pids=()
	berth image bootstrap >/dev/null
	for i in $(seq 1 20); do
		make_rootfs_tar "$BATS_TEST_TMPDIR/r$i.tar" "v$i"
	done
	for i in $(seq 1 20); do
		berth import "$BATS_TEST_TMPDIR/r$i.tar" "par/imp:$i" >"$BATS_TEST_TMPDIR/imp$i.out" 2>&1 &
		pids+=($!)
		berth tag busybox "par/tag:$i" >"$BATS_TEST_TMPDIR/tag$i.out" 2>&1 &
		pids+=($!)
	done
	# not a bare `wait`: it would also wait for bats' own test-timeout timer
	wait "${pids[@]}"
	cat "$BATS_TEST_TMPDIR"/*.out
	run berth images --format '{{.Repository}}:{{.Tag}}'
	[ "$(echo "$output" | grep -c '^par/imp:')" -eq 20 ] || fail "imports: $output"
	[ "$(echo "$output" | grep -c '^par/tag:')" -eq 20 ] || fail "tags: $output"
	[ "$(jq '.manifests | length' "$BERTH_ROOT/index.json")" -eq 41 ]
	# every import is its own image; they share no layer, bootstrap's is separate
	[ "$(berth images -q | wc -l)" -eq 21 ]
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" -eq 21 ]
	[ -z "$(tmp_litter)" ]
}

@test "the same tarball imported 10 times at once: one layer, one image" {
	make_rootfs_tar "$BATS_TEST_TMPDIR/r.tar"
	local i pids=()
	for i in $(seq 1 10); do
		berth import "$BATS_TEST_TMPDIR/r.tar" "same:$i" >"$BATS_TEST_TMPDIR/imp$i.out" &
		pids+=($!)
	done
	wait "${pids[@]}"
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" -eq 1 ]
	[ "$(berth images --format '{{.Tag}}' | wc -l)" -eq 10 ]
	[ -z "$(tmp_litter)" ]
}

# --- two containers over one image ----------------------------------------------------------

@test "two container root filesystems share the image's layer; writes stay in each one's upper dir" {
	requires_helper rootfs-mount
	local id img c
	id=$(berth image bootstrap)
	img=$(berth image mount busybox)
	for c in c1 c2; do
		run "$HELPERS_DIR/rootfs-mount" busybox "$BATS_TEST_TMPDIR/$c/rootfs" "$BATS_TEST_TMPDIR/$c/upper" \
			"$BATS_TEST_TMPDIR/$c/work"
		assert_success
		assert_output_is overlay
	done
	# the layer exists once on disk
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" -eq 1 ]
	# both read the busybox binary from that layer: no copy was made
	[ -z "$(find "$BATS_TEST_TMPDIR/c1/upper" "$BATS_TEST_TMPDIR/c2/upper" -mindepth 1 -print -quit)" ]

	echo c1 >"$BATS_TEST_TMPDIR/c1/rootfs/new"
	echo "intruder:x:0:0::/:/bin/sh" >>"$BATS_TEST_TMPDIR/c1/rootfs/etc/passwd"
	rm "$BATS_TEST_TMPDIR/c1/rootfs/bin/ls"
	[ ! -e "$BATS_TEST_TMPDIR/c2/rootfs/new" ]
	[ ! -e "$img/new" ]
	! grep -q intruder "$BATS_TEST_TMPDIR/c2/rootfs/etc/passwd"
	! grep -q intruder "$img/etc/passwd"
	! grep -q intruder "$BERTH_ROOT/layers/"*/etc/passwd
	[ -L "$BATS_TEST_TMPDIR/c2/rootfs/bin/ls" ]
	[ -L "$img/bin/ls" ]
	# the changes are in c1's upper dir: a new file, a copied-up passwd, a whiteout
	[ -f "$BATS_TEST_TMPDIR/c1/upper/new" ]
	grep -q intruder "$BATS_TEST_TMPDIR/c1/upper/etc/passwd"
	[ -c "$BATS_TEST_TMPDIR/c1/upper/bin/ls" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/c2/upper")" ]

	"$HELPERS_DIR/rootfs-mount" -u "$BATS_TEST_TMPDIR/c1/rootfs"
	"$HELPERS_DIR/rootfs-mount" -u "$BATS_TEST_TMPDIR/c2/rootfs"
	# a restart over the same upper dir keeps the container's changes
	"$HELPERS_DIR/rootfs-mount" busybox "$BATS_TEST_TMPDIR/c1/rootfs" "$BATS_TEST_TMPDIR/c1/upper" "$BATS_TEST_TMPDIR/c1/work"
	[ "$(cat "$BATS_TEST_TMPDIR/c1/rootfs/new")" = c1 ]
}

@test "the copy driver: the same isolation without overlayfs" {
	requires_helper rootfs-mount
	berth image bootstrap >/dev/null
	local c
	for c in c1 c2; do
		BERTH_ROOTFS_DRIVER=copy run "$HELPERS_DIR/rootfs-mount" busybox "$BATS_TEST_TMPDIR/$c/rootfs" \
			"$BATS_TEST_TMPDIR/$c/upper" "$BATS_TEST_TMPDIR/$c/work"
		assert_output_is copy
	done
	echo c1 >"$BATS_TEST_TMPDIR/c1/rootfs/new"
	rm "$BATS_TEST_TMPDIR/c1/rootfs/bin/ls"
	[ ! -e "$BATS_TEST_TMPDIR/c2/rootfs/new" ]
	[ -L "$BATS_TEST_TMPDIR/c2/rootfs/bin/ls" ]
	[ -L "$BERTH_ROOT/layers/"*/bin/ls ]
	"$HELPERS_DIR/rootfs-mount" -u "$BATS_TEST_TMPDIR/c1/rootfs"
	# remounting does not copy the layers over the container's changes again
	BERTH_ROOTFS_DRIVER=copy "$HELPERS_DIR/rootfs-mount" busybox "$BATS_TEST_TMPDIR/c1/rootfs" \
		"$BATS_TEST_TMPDIR/c1/upper" "$BATS_TEST_TMPDIR/c1/work"
	[ ! -e "$BATS_TEST_TMPDIR/c1/rootfs/bin/ls" ]
	[ -e "$BATS_TEST_TMPDIR/c1/rootfs/new" ]
}

@test "two berth-runtime containers run over overlays of the same image" {
	requires_helper rootfs-mount
	[ -x "$RUNTIME" ] || skip "berth-runtime not built"
	berth image bootstrap >/dev/null
	local c
	for c in c1 c2; do
		"$HELPERS_DIR/rootfs-mount" busybox "$BATS_TEST_TMPDIR/$c/rootfs" "$BATS_TEST_TMPDIR/$c/upper" \
			"$BATS_TEST_TMPDIR/$c/work" >/dev/null
		(cd "$BATS_TEST_TMPDIR/$c" && "$RUNTIME" spec)
		jq --arg c "$c" '.root.readonly = false | .process.terminal = false
			| .process.args = ["sh", "-c", "echo \($c) > /who; cat /who; ls /"]' \
			"$BATS_TEST_TMPDIR/$c/config.json" >"$BATS_TEST_TMPDIR/$c/c.json"
		mv "$BATS_TEST_TMPDIR/$c/c.json" "$BATS_TEST_TMPDIR/$c/config.json"
	done
	run "$RUNTIME" --root "$BATS_TEST_TMPDIR/rt" run --bundle "$BATS_TEST_TMPDIR/c1" "c1-$$"
	assert_success
	assert_line_is 0 c1
	run "$RUNTIME" --root "$BATS_TEST_TMPDIR/rt" run --bundle "$BATS_TEST_TMPDIR/c2" "c2-$$"
	assert_success
	assert_line_is 0 c2
	[ "$(cat "$BATS_TEST_TMPDIR/c1/upper/who")" = c1 ]
	[ "$(cat "$BATS_TEST_TMPDIR/c2/upper/who")" = c2 ]
	[ ! -e "$BERTH_ROOT/layers/"*/who ]
}
