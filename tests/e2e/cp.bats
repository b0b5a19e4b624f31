#!/usr/bin/env bats
# berth cp: both ways, running and stopped containers, tar streams, docker's
# rules for files and directories, and paths resolved inside the container:
# its symlinks never lead berth to the host's files.

load berth

setup() {
	berth_setup
	berth_bootstrap >/dev/null
	OUT=$BATS_TEST_TMPDIR/out
	mkdir -p "$OUT"
}

teardown() {
	local id
	for id in $(berth ps -aq --no-trunc 2>/dev/null); do berth rm -f -v "$id" >/dev/null 2>&1; done
	berth_teardown
}

# a running container "ct" with /d/a, /d/sub/b (mode 0640), /d/exe (0755), owned by 1000:1000
start_c() {
	berth run -d --name ct busybox sh -c '
		mkdir -p /d/sub && echo a >/d/a && echo b >/d/sub/b && chmod 640 /d/sub/b &&
		printf "#!/bin/sh\n" >/d/exe && chmod 755 /d/exe && chown -R 1000:1000 /d &&
		touch /ready && exec sleep 1000' >/dev/null
	for _ in $(seq 100); do berth exec ct test -e /ready 2>/dev/null && return 0; sleep 0.1; done
	fail "container ct did not get ready"
}

@test "cp from a running container: a file to a new name, into a directory, over a file" {
	start_c
	run berth cp ct:/d/a "$OUT/new"
	assert_success
	[ "$(cat "$OUT/new")" = a ]
	mkdir "$OUT/dir"
	run berth cp ct:/d/sub/b "$OUT/dir"
	assert_success
	[ "$(cat "$OUT/dir/b")" = b ]
	[ "$(stat -c %a "$OUT/dir/b")" = 640 ]
	# owners become the user's (root) without -a, kept with -a
	[ "$(stat -c %u:%g "$OUT/dir/b")" = 0:0 ]
	run berth cp -a ct:/d/sub/b "$OUT/owned"
	[ "$(stat -c %u:%g "$OUT/owned")" = 1000:1000 ]
	echo old >"$OUT/existing"
	run berth cp ct:/d/exe "$OUT/existing"
	assert_success
	[ "$(cat "$OUT/existing")" = "#!/bin/sh" ]
	[ "$(stat -c %a "$OUT/existing")" = 755 ]
	# a missing directory with a trailing slash is an error for a file
	run --separate-stderr berth cp ct:/d/a "$OUT/nodir/"
	assert_status 1
	[ ! -e "$OUT/nodir" ]
}

@test "cp of directories: into an existing one, as a new one, only the contents with /." {
	start_c
	mkdir "$OUT/into"
	run berth cp ct:/d "$OUT/into"
	assert_success
	[ "$(cat "$OUT/into/d/sub/b")" = b ]
	run berth cp ct:/d "$OUT/fresh"
	assert_success
	[ "$(cat "$OUT/fresh/sub/b")" = b ]
	[ "$(cat "$OUT/fresh/a")" = a ]
	mkdir "$OUT/contents"
	run berth cp ct:/d/. "$OUT/contents"
	assert_success
	[ "$(cat "$OUT/contents/a")" = a ]
	[ ! -e "$OUT/contents/d" ]
	touch "$OUT/afile"
	run --separate-stderr berth cp ct:/d "$OUT/afile"
	assert_status 1
	[[ "$stderr" == *"cannot copy a directory to a file"* ]] || fail "stderr: $stderr"
}

@test "cp into a running container and into a stopped one, then back" {
	start_c
	mkdir -p "$BATS_TEST_TMPDIR/src/tree/deep"
	echo one >"$BATS_TEST_TMPDIR/src/tree/deep/f"
	chmod 600 "$BATS_TEST_TMPDIR/src/tree/deep/f"
	ln -s deep/f "$BATS_TEST_TMPDIR/src/tree/link"
	run berth cp "$BATS_TEST_TMPDIR/src/tree" ct:/tmp/
	assert_success
	run berth exec ct sh -c 'cat /tmp/tree/deep/f; stat -c "%a %u" /tmp/tree/deep/f; readlink /tmp/tree/link'
	assert_output_is $'one\n600 0\ndeep/f'
	berth stop -t 0 ct >/dev/null
	id=$(berth inspect --format '{{.Id}}' ct)
	echo two >"$BATS_TEST_TMPDIR/src/two"
	run berth cp "$BATS_TEST_TMPDIR/src/two" ct:/tmp/tree/
	assert_success
	run berth cp ct:/tmp/tree/two "$OUT/two"
	assert_success
	[ "$(cat "$OUT/two")" = two ]
	# the copy mounted the stopped container's root for itself only
	run grep -c "$id" /proc/self/mountinfo
	assert_output_is 0
	berth start ct >/dev/null
	run berth exec ct cat /tmp/tree/two /tmp/tree/deep/f
	assert_output_is $'two\none'
}

@test "cp with a created container, and errors: no such container, no such file" {
	berth create --name made busybox true >/dev/null
	echo x >"$BATS_TEST_TMPDIR/x"
	run berth cp "$BATS_TEST_TMPDIR/x" made:/x
	assert_success
	run berth cp made:/x "$OUT/x"
	assert_success
	[ "$(cat "$OUT/x")" = x ]
	run --separate-stderr berth cp nope:/x "$OUT/y"
	assert_status 1
	[[ "$stderr" == *"No such container: nope"* ]] || fail "stderr: $stderr"
	run --separate-stderr berth cp made:/nothing "$OUT/y"
	assert_status 1
	[[ "$stderr" == *"Could not find the file /nothing in container made"* ]] || fail "stderr: $stderr"
	run --separate-stderr berth cp "$BATS_TEST_TMPDIR/none" made:/x
	assert_status 1
	run --separate-stderr berth cp "$OUT/x" "$OUT/z"
	assert_failure
	[[ "$stderr" == *"must specify at least one container source"* ]] || fail "stderr: $stderr"
}

@test "cp - streams a tar both ways" {
	start_c
	run bash -c "'$BERTH' cp ct:/d - | tar -tvf - | awk '{print \$1, \$NF}'"
	assert_success
	assert_output_contains "drwxr-xr-x d/"
	assert_output_contains "-rw-r----- d/sub/b"
	mkdir -p "$BATS_TEST_TMPDIR/t/x"
	echo in >"$BATS_TEST_TMPDIR/t/x/file"
	tar -C "$BATS_TEST_TMPDIR/t" -cf - x | berth cp - ct:/tmp
	run berth exec ct cat /tmp/x/file
	assert_output_is in
	run --separate-stderr bash -c "tar -C '$BATS_TEST_TMPDIR/t' -cf - x | '$BERTH' cp - ct:/d/a"
	assert_failure
	[[ "$stderr" == *"extraction point is not a directory"* ]] || fail "stderr: $stderr"
}

@test "cp never follows the container's symlinks to the host" {
	secret=$BATS_TEST_TMPDIR/host-secret
	echo SECRET >"$secret"
	victim=$BATS_TEST_TMPDIR/host-victim
	echo intact >"$victim"
	berth run -d --name ct busybox sh -c "
		ln -s '$secret' /etc/evil && ln -s / /link && ln -s ../../../../../../../.. /up &&
		mkdir -p '$(dirname "$victim")' && ln -s '$victim' /victim && touch /ready && exec sleep 1000" >/dev/null
	for _ in $(seq 100); do berth exec ct test -e /ready 2>/dev/null && break; sleep 0.1; done
	# the link itself comes out, never what it points to on the host
	run berth cp ct:/etc/evil "$OUT/evil"
	assert_success
	[ -L "$OUT/evil" ]
	[ "$(readlink "$OUT/evil")" = "$secret" ]
	# followed (-L), it is resolved in the container, where there is no such file
	run --separate-stderr berth cp -L ct:/etc/evil "$OUT/evil2"
	assert_status 1
	[ ! -e "$OUT/evil2" ]
	run berth cp -L ct:/up/etc/hostname "$OUT/hn"
	assert_success
	[ "$(cat "$OUT/hn")" = "$(berth exec ct cat /etc/hostname)" ]
	# writes through a symlinked directory land in the container
	echo planted >"$BATS_TEST_TMPDIR/planted"
	run berth cp "$BATS_TEST_TMPDIR/planted" "ct:/link$BATS_TEST_TMPDIR/"
	assert_success
	run berth cp "$BATS_TEST_TMPDIR/planted" "ct:/up$BATS_TEST_TMPDIR/planted2"
	assert_success
	[ ! -e "$BATS_TEST_TMPDIR/planted2" ]
	run berth exec ct cat "$BATS_TEST_TMPDIR/planted" "$BATS_TEST_TMPDIR/planted2"
	assert_output_is $'planted\nplanted'
	# over a symlink to a host file: the link is replaced in the container, the host file untouched
	run berth cp "$BATS_TEST_TMPDIR/planted" ct:/victim
	assert_success
	[ "$(cat "$victim")" = intact ]
	run berth exec ct cat /victim
	assert_output_is planted
	# the same with the container stopped (its root filesystem instead of /proc/PID/root)
	berth stop -t 0 ct >/dev/null
	run berth cp "$BATS_TEST_TMPDIR/planted" "ct:/up$BATS_TEST_TMPDIR/planted3"
	assert_success
	[ ! -e "$BATS_TEST_TMPDIR/planted3" ]
	run berth cp -L ct:/etc/evil "$OUT/evil3"
	assert_status 1
	[ "$(cat "$secret")" = SECRET ]
}

@test "a tar stream cannot climb out of the destination or through its own symlinks" {
	start_c
	outside=$BATS_TEST_TMPDIR/outside
	mkdir -p "$outside"
	python3 - "$BATS_TEST_TMPDIR/dotdot.tar" "$BATS_TEST_TMPDIR/link.tar" "$outside" <<'EOF'
import io, sys, tarfile
def f(t, path, data=b"pwned\n"):
    ti = tarfile.TarInfo(path); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
with tarfile.open(sys.argv[1], "w") as t:
    f(t, "ok"); f(t, "../../../../../../escaped")
with tarfile.open(sys.argv[2], "w") as t:
    ti = tarfile.TarInfo("evil"); ti.type = tarfile.SYMTYPE; ti.linkname = sys.argv[3]; t.addfile(ti)
    f(t, "evil/pwned")
EOF
	run berth cp - ct:/tmp <"$BATS_TEST_TMPDIR/dotdot.tar"
	assert_failure
	run berth exec ct ls /escaped
	assert_failure
	# the link's target exists in the container too: the entry below the link lands there
	berth exec ct mkdir -p "$outside"
	run berth cp - ct:/tmp <"$BATS_TEST_TMPDIR/link.tar"
	assert_success
	[ ! -e "$outside/pwned" ]
	run berth exec ct cat "$outside/pwned"
	assert_output_is pwned
}

@test "cp sees a running container's volumes and tmpfs mounts" {
	berth run -d --name ct -v vol:/vol --tmpfs /scratch busybox sh -c 'echo v >/vol/f; echo s >/scratch/f; touch /ready; exec sleep 1000' >/dev/null
	for _ in $(seq 100); do berth exec ct test -e /ready 2>/dev/null && break; sleep 0.1; done
	run berth cp ct:/vol/f "$OUT/v"
	assert_success
	[ "$(cat "$OUT/v")" = v ]
	run berth cp ct:/scratch/f "$OUT/s"
	assert_success
	[ "$(cat "$OUT/s")" = s ]
	echo new >"$BATS_TEST_TMPDIR/n"
	run berth cp "$BATS_TEST_TMPDIR/n" ct:/vol/n
	assert_success
	[ "$(cat "$BERTH_ROOT/volumes/vol/_data/n")" = new ]
}

@test "cp to the host: no device nodes, no set-id bits unless -a keeps the owner too" {
	berth run -d --name ct busybox sh -c 'mkdir /x && mknod /x/blk b 7 0 && mkfifo /x/fifo && cp /bin/busybox /x/suid &&
		chown 1000 /x/suid && chmod 4755 /x/suid && touch /ready && exec sleep 1000' >/dev/null
	for _ in $(seq 100); do berth exec ct test -e /ready 2>/dev/null && break; sleep 0.1; done
	run berth cp ct:/x "$OUT/x"
	assert_success
	[ ! -e "$OUT/x/blk" ] || fail "a device node reached the host: $(ls -l "$OUT/x/blk")"
	[ -p "$OUT/x/fifo" ]
	[ "$(stat -c '%a %u' "$OUT/x/suid")" = "755 0" ]
	run berth cp -a ct:/x/suid "$OUT/suid-a"
	assert_success
	[ "$(stat -c '%a %u' "$OUT/suid-a")" = "4755 1000" ]
}

@test "cp with a stopped container reaches its volumes and bind mounts, as docker mounts them for the copy" {
	mkdir -p "$BATS_TEST_TMPDIR/bound"
	echo host >"$BATS_TEST_TMPDIR/bound/h"
	berth run --name ct -v vol:/vol -v "$BATS_TEST_TMPDIR/bound":/bound busybox sh -c 'echo v >/vol/f; mkdir /vol/sub' >/dev/null
	run berth cp ct:/vol/f "$OUT/v"
	assert_success
	[ "$(cat "$OUT/v")" = v ]
	run berth cp ct:/bound/h "$OUT/h"
	assert_success
	[ "$(cat "$OUT/h")" = host ]
	echo new >"$BATS_TEST_TMPDIR/n"
	run berth cp "$BATS_TEST_TMPDIR/n" ct:/vol/sub/
	assert_success
	[ "$(cat "$BERTH_ROOT/volumes/vol/_data/sub/n")" = new ]
	run berth cp ct:/vol/. "$OUT/all"
	assert_success
	[ -f "$OUT/all/f" ] && [ -f "$OUT/all/sub/n" ]
	# a symlink in the volume still resolves inside it, never on the host
	ln -s / "$BERTH_ROOT/volumes/vol/_data/up"
	run berth cp "$BATS_TEST_TMPDIR/n" "ct:/vol/up$BATS_TEST_TMPDIR/escaped"
	[ ! -e "$BATS_TEST_TMPDIR/escaped" ]
	# nothing stays mounted for the stopped container
	id=$(berth inspect --format '{{.Id}}' ct)
	run grep -c "$id" /proc/self/mountinfo
	assert_output_is 0
}
