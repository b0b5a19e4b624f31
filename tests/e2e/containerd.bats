#!/usr/bin/env bats
# The runtime under containerd: Debian's containerd on a private socket, state
# and root, a busybox image built locally as an OCI layout tarball, and ctr
# driving the runtime through containerd-shim-runc-v2 (--runc-binary).

load helpers

IMAGE=docker.io/library/busybox:latest

# build_image_tar ROOTFS OUT: an OCI image layout tarball of ROOTFS (one
# uncompressed layer), named $IMAGE.
build_image_tar() {
	local rootfs=$1 out=$2 dir blobs layer_digest layer_size cfg_digest cfg_size man_digest man_size
	dir=$(mktemp -d "$BATS_FILE_TMPDIR/oci.XXXXXX")
	blobs=$dir/blobs/sha256
	mkdir -p "$blobs"
	tar --numeric-owner --sort=name --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .
	layer_digest=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
	layer_size=$(stat -c %s "$dir/layer.tar")
	mv "$dir/layer.tar" "$blobs/$layer_digest"

	jq -cn --arg d "sha256:$layer_digest" '{
		architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
		rootfs: {type: "layers", diff_ids: [$d]}
	}' >"$dir/config.json"
	cfg_digest=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
	cfg_size=$(stat -c %s "$dir/config.json")
	mv "$dir/config.json" "$blobs/$cfg_digest"

	jq -cn --arg c "sha256:$cfg_digest" --argjson cs "$cfg_size" --arg l "sha256:$layer_digest" --argjson ls "$layer_size" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]
	}' >"$dir/manifest.json"
	man_digest=$(sha256sum "$dir/manifest.json" | cut -d' ' -f1)
	man_size=$(stat -c %s "$dir/manifest.json")
	mv "$dir/manifest.json" "$blobs/$man_digest"

	jq -cn --arg m "sha256:$man_digest" --argjson ms "$man_size" --arg name "$IMAGE" '{
		schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
			platform: {architecture: "amd64", os: "linux"},
			annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": "latest"}}]
	}' >"$dir/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	tar -C "$dir" -cf "$out" oci-layout index.json blobs
	rm -rf "$dir"
}

setup_file() {
	command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd not installed"
	[ -x "$RUNTIME" ] || command -v "$RUNTIME" >/dev/null || skip "runtime \`$RUNTIME\` not built"
	# Short: the socket path must fit in sun_path.
	CTD_DIR=$(mktemp -d /tmp/berth-ctd.XXXXXX)
	export CTD_DIR CTD_SOCK=$CTD_DIR/containerd.sock
	# Our own containerd namespace: containerd names cgroups /<namespace>/<id>.
	export CTD_NS=berth-e2e-$$
	containerd config default |
		sed -e "s|^root = .*|root = \"$CTD_DIR/root\"|" \
			-e "s|^state = .*|state = \"$CTD_DIR/state\"|" \
			-e "s|^  address = \"/run/containerd/containerd.sock\"|  address = \"$CTD_SOCK\"|" \
			-e 's|^disabled_plugins = .*|disabled_plugins = ["io.containerd.grpc.v1.cri"]|' \
			>"$CTD_DIR/config.toml"
	containerd --config "$CTD_DIR/config.toml" >"$CTD_DIR/containerd.log" 2>&1 &
	echo $! >"$CTD_DIR/pid"
	for _ in $(seq 200); do
		ctr -a "$CTD_SOCK" version >/dev/null 2>&1 && break
		sleep 0.05
	done
	ctr -a "$CTD_SOCK" version >/dev/null || {
		cat "$CTD_DIR/containerd.log" >&2
		return 1
	}

	BUNDLE=$BATS_FILE_TMPDIR/img "$BERTH_TOP/scripts/make-bundle.sh" "$BATS_FILE_TMPDIR/img" -- true
	build_image_tar "$BATS_FILE_TMPDIR/img/rootfs" "$CTD_DIR/busybox.tar"
	# overlayfs where the snapshotter loaded (it needs a filesystem that can
	# host overlay upper dirs), native otherwise.
	if ctr -a "$CTD_SOCK" plugins ls | awk '$2 == "overlayfs" { print $NF }' | grep -qx ok; then
		export CTD_SNAPSHOTTER=overlayfs
	else
		export CTD_SNAPSHOTTER=native
	fi
	ctr -a "$CTD_SOCK" -n "$CTD_NS" images import --snapshotter "$CTD_SNAPSHOTTER" "$CTD_DIR/busybox.tar" >&2
}

teardown_file() {
	[ -n "${CTD_DIR:-}" ] || return 0
	local t
	for t in $(ctr_ task ls -q 2>/dev/null); do
		ctr_ task kill -s KILL "$t" >/dev/null 2>&1
		ctr_ task rm -f "$t" >/dev/null 2>&1
	done
	for t in $(ctr_ containers ls -q 2>/dev/null); do
		ctr_ containers rm "$t" >/dev/null 2>&1
	done
	if [ -f "$CTD_DIR/pid" ]; then
		kill "$(cat "$CTD_DIR/pid")" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$(cat "$CTD_DIR/pid")" 2>/dev/null || break; sleep 0.05; done
	fi
	# Snapshot mounts left by a crash must go before the directory.
	awk -v d="$CTD_DIR" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$CTD_DIR"
	rmdir /sys/fs/cgroup/*/"$CTD_NS" /sys/fs/cgroup/"$CTD_NS" 2>/dev/null || true
}

setup() {
	common_setup
}

teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -n "${CTD_DIR:-}" ]; then
		echo "--- containerd.log (tail)" >&2
		tail -n 30 "$CTD_DIR/containerd.log" >&2
	fi
}

ctr_() {
	ctr -a "$CTD_SOCK" -n "$CTD_NS" "$@"
}

# ctr_run ARGS...: `ctr run` with the runtime under test, its state and the
# IO fifos in our private directory.
ctr_run() {
	ctr_ run --snapshotter "$CTD_SNAPSHOTTER" --runc-binary "$RUNTIME" --runc-root "$CTD_DIR/runc" \
		--fifo-dir "$CTD_DIR/fifo" "$@"
}

@test "containerd: the image is there ($CTD_SNAPSHOTTER snapshotter)" {
	run ctr_ images ls -q
	assert_success
	assert_output_contains "$IMAGE"
}

@test "containerd: ctr run --rm prints hello" {
	run ctr_run --rm "$IMAGE" t1 echo hello
	assert_success
	assert_output_is hello
}

@test "containerd: exit status reaches ctr" {
	run ctr_run --rm "$IMAGE" t2 sh -c 'exit 7'
	assert_status 7
}

@test "containerd: run -d, task ls, kill, rm" {
	run ctr_run -d "$IMAGE" t3 sleep 1000
	assert_success
	run ctr_ task ls
	assert_success
	[[ "$output" =~ t3\ +[0-9]+\ +RUNNING ]] || fail "t3 not running: $output"
	run ctr_ task kill -s KILL t3
	assert_success
	for _ in $(seq 100); do
		ctr_ task ls | grep -qE 't3 +[0-9]+ +STOPPED' && break
		sleep 0.05
	done
	run ctr_ task ls
	[[ "$output" =~ t3\ +[0-9]+\ +STOPPED ]] || fail "t3 not stopped: $output"
	run ctr_ task rm t3
	assert_success
	run ctr_ containers rm t3
	assert_success
	run ctr_ task ls -q
	[ -z "$output" ]
}

@test "containerd: the task's namespaces and cgroup" {
	run ctr_run -d "$IMAGE" t4 sleep 1000
	assert_success
	pid=$(ctr_ task ls | awk '$1 == "t4" { print $2 }')
	[ -n "$pid" ] && [ "$pid" -gt 0 ]
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	# containerd's default cgroupsPath is /<namespace>/<id>.
	grep -qE ":pids:/$CTD_NS/t4\$|^0::/$CTD_NS/t4\$" "/proc/$pid/cgroup"
	ctr_ task kill -s KILL t4
	for _ in $(seq 100); do ctr_ task ls | grep -qE 't4 +[0-9]+ +STOPPED' && break; sleep 0.05; done
	ctr_ task rm t4
	ctr_ containers rm t4
}
