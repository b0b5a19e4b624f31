#!/usr/bin/env bats
# berth load / berth save: docker-archive and OCI archives, from files and
# pipes, plain and gzip'ed, round trips with podman and skopeo, and broken
# archives that must record nothing.
#
# The test images are built once per file from the host's static busybox in
# a private podman store (vfs, under $BATS_FILE_TMPDIR; the system store is
# never touched):
#   localhost/bb:1  one layer (busybox)
#   localhost/bb:2  bb:1 plus a layer with /etc/hello

load berth

fixture_podman() {
	podman --root "$BATS_FILE_TMPDIR/p" --runroot "$BATS_FILE_TMPDIR/pr" --storage-driver vfs "$@"
}

# A podman store of this test's own, to load berth's archives into.
test_podman() {
	podman --root "$BATS_TEST_TMPDIR/p" --runroot "$BATS_TEST_TMPDIR/pr" --storage-driver vfs "$@"
}

setup_file() {
	local t
	for t in podman skopeo jq python3 gzip; do
		command -v "$t" >/dev/null || skip "$t not installed"
	done
	[ -x /bin/busybox ] || skip "no /bin/busybox"
	export F=$BATS_FILE_TMPDIR
	export FIXTURE_CS="containers-storage:[vfs@$F/p+$F/pr]"

	mkdir -p "$F/rootfs/bin" "$F/ctx"
	cp /bin/busybox "$F/rootfs/bin/busybox"
	ln -s busybox "$F/rootfs/bin/sh"
	tar --numeric-owner -C "$F/rootfs" -cf "$F/rootfs.tar" .
	fixture_podman import -q "$F/rootfs.tar" localhost/bb:1 >/dev/null
	echo hello >"$F/ctx/hello"
	printf 'FROM localhost/bb:1\nCOPY hello /etc/hello\n' >"$F/ctx/Containerfile"
	fixture_podman build -q --pull=never -t localhost/bb:2 "$F/ctx" >/dev/null

	export BB1_ID BB2_ID BB2_LAYERS
	BB1_ID=sha256:$(fixture_podman image inspect --format '{{.Id}}' localhost/bb:1)
	BB2_ID=sha256:$(fixture_podman image inspect --format '{{.Id}}' localhost/bb:2)
	BB2_LAYERS=$(fixture_podman image inspect localhost/bb:2 | jq -r '.[0].RootFS.Layers[]')
	fixture_podman save -q -o "$F/bb1.tar" localhost/bb:1
	fixture_podman save -q -m -o "$F/multi.tar" localhost/bb:1 localhost/bb:2
}

# diff_ids REF: the image's layer diff ids, one a line.
diff_ids() {
	berth image inspect "$1" | jq -r '.[0].RootFS.Layers[]'
}

# names: "repository:tag id" of every image, sorted.
names() {
	berth images -a --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort
}

index_names() {
	jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$BERTH_ROOT/index.json" | sort
}

# flip_byte FILE OFFSET: invert one byte in place.
flip_byte() {
	python3 - "$1" "$2" <<'EOF'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ 0xFF]))
EOF
}

# member_offset ARCHIVE MEMBER: where the member's data starts in the archive.
member_offset() {
	python3 -c 'import sys, tarfile; print(tarfile.open(sys.argv[1]).getmember(sys.argv[2]).offset_data)' "$1" "$2"
}

# assert_nothing_recorded: no image, no name, no index entry, no temp litter.
assert_nothing_recorded() {
	run -0 names
	[ -z "$output" ]
	run -0 jq -r '.manifests | length' "$BERTH_ROOT/index.json"
	[ "$output" = 0 ]
	[ -z "$(tmp_litter)" ]
}

@test "load: podman save keeps the image id, the diff ids and the name" {
	run -0 berth load -i "$F/bb1.tar"
	[[ "$output" == *"Loaded image: localhost/bb:1"* ]]
	[ "$(berth_image_id localhost/bb:1)" = "$BB1_ID" ]
	diff <(diff_ids localhost/bb:1) <(fixture_podman image inspect localhost/bb:1 | jq -r '.[0].RootFS.Layers[]')
	run -0 names
	[ "$output" = "localhost/bb:1 $BB1_ID" ]
	[ "$(index_names)" = localhost/bb:1 ]
	[ -z "$(tmp_litter)" ]
}

@test "load: from stdin, and compressed (gzip, zstd) from a file and from stdin" {
	berth load <"$F/bb1.tar"
	[ "$(berth_image_id localhost/bb:1)" = "$BB1_ID" ]

	gzip -c "$F/multi.tar" >"$BATS_TEST_TMPDIR/multi.tar.gz"
	export BERTH_ROOT=$BATS_TEST_TMPDIR/root-gz
	run -0 berth load -i "$BATS_TEST_TMPDIR/multi.tar.gz"
	[[ "$output" == *"Loaded image: localhost/bb:2"* ]]
	[ "$(berth_image_id localhost/bb:2)" = "$BB2_ID" ]

	export BERTH_ROOT=$BATS_TEST_TMPDIR/root-gz-pipe
	gzip -c "$F/multi.tar" | berth load
	[ "$(berth_image_id localhost/bb:1)" = "$BB1_ID" ]
	[ "$(berth_image_id localhost/bb:2)" = "$BB2_ID" ]
	[ "$(diff_ids localhost/bb:2)" = "$BB2_LAYERS" ]

	if command -v zstd >/dev/null; then
		export BERTH_ROOT=$BATS_TEST_TMPDIR/root-zstd
		zstd -q -c "$F/multi.tar" | berth load
		[ "$(berth_image_id localhost/bb:2)" = "$BB2_ID" ]
	fi
}

@test "load: two images sharing a layer, from one archive" {
	run -0 berth load -i "$F/multi.tar"
	[[ "$output" == *"Loaded image: localhost/bb:1"* ]]
	[[ "$output" == *"Loaded image: localhost/bb:2"* ]]
	run -0 names
	[ "${lines[0]}" = "localhost/bb:1 $BB1_ID" ]
	[ "${lines[1]}" = "localhost/bb:2 $BB2_ID" ]
	[ "$(diff_ids localhost/bb:2)" = "$BB2_LAYERS" ]
	# the busybox layer is unpacked once
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" = 2 ]
}

@test "load: loading twice, from a file or a pipe, changes nothing" {
	berth load -i "$F/multi.tar"
	before=$(store_state)
	run -0 berth load -i "$F/multi.tar"
	[[ "$output" == *"skipped: already exists"* ]]
	[[ "$output" == *"Loaded image: localhost/bb:2"* ]]
	[ "$(store_state)" = "$before" ]
	berth load <"$F/multi.tar"
	[ "$(store_state)" = "$before" ]
	[ -z "$(tmp_litter)" ]
}

@test "load: skopeo's docker-archive from containers-storage keeps the config digest" {
	skopeo copy -q "${FIXTURE_CS}localhost/bb:2" "docker-archive:$BATS_TEST_TMPDIR/d.tar:localhost/sk:1"
	run -0 berth load -i "$BATS_TEST_TMPDIR/d.tar"
	[[ "$output" == *"Loaded image: localhost/sk:1"* ]]
	[ "$(berth_image_id localhost/sk:1)" = "$BB2_ID" ]
	[ "$(diff_ids localhost/sk:1)" = "$BB2_LAYERS" ]
}

@test "load: skopeo's oci-archive (gzip layers), named and unnamed" {
	skopeo copy -q "${FIXTURE_CS}localhost/bb:2" "oci-archive:$BATS_TEST_TMPDIR/o.tar:localhost/oci:1"
	run -0 berth load -i "$BATS_TEST_TMPDIR/o.tar"
	[[ "$output" == *"Loaded image: localhost/oci:1"* ]]
	[ "$(berth_image_id localhost/oci:1)" = "$BB2_ID" ]
	[ "$(diff_ids localhost/oci:1)" = "$BB2_LAYERS" ]

	skopeo copy -q "${FIXTURE_CS}localhost/bb:2" "oci-archive:$BATS_TEST_TMPDIR/u.tar"
	export BERTH_ROOT=$BATS_TEST_TMPDIR/root-unnamed
	run -0 berth load <"$BATS_TEST_TMPDIR/u.tar"
	[[ "$output" == *"Loaded image ID: $BB2_ID"* ]]
	run -0 names
	[ "$output" = "<none>:<none> $BB2_ID" ]
	[ "$(diff_ids "$BB2_ID")" = "$BB2_LAYERS" ]
}

# An OCI layout of bb:2 made by skopeo (its index.json entry has ref.name "latest").
make_layout() {
	skopeo copy -q "${FIXTURE_CS}localhost/bb:2" "oci:$1:latest"
}

@test "load: an OCI layout whose index.json points at a multi-platform index takes linux/amd64" {
	local lay=$BATS_TEST_TMPDIR/lay desc idx idx_digest
	make_layout "$lay"
	# a bare tag as ref.name is no image name: untagged
	tar -C "$lay" -cf "$BATS_TEST_TMPDIR/plain.tar" .
	run -0 berth load -i "$BATS_TEST_TMPDIR/plain.tar"
	[[ "$output" == *"Loaded image ID: $BB2_ID"* ]]

	desc=$(jq -c '.manifests[0] | del(.annotations)' "$lay/index.json")
	# an arm64 entry whose blobs are not there comes first: picking it would fail
	idx=$(jq -cn --argjson d "$desc" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [
			{mediaType: $d.mediaType, size: 1, platform: {os: "linux", architecture: "arm64"},
			 digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"},
			($d + {platform: {os: "linux", architecture: "amd64"}})]}')
	printf '%s' "$idx" >"$lay/idx"
	idx_digest=$(sha256sum "$lay/idx" | cut -d' ' -f1)
	mv "$lay/idx" "$lay/blobs/sha256/$idx_digest"
	jq -cn --arg d "sha256:$idx_digest" --argjson s "${#idx}" '{schemaVersion: 2, manifests: [
		{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
		 annotations: {"org.opencontainers.image.ref.name": "localhost/nested:1"}}]}' >"$lay/index.json"
	tar -C "$lay" -cf "$BATS_TEST_TMPDIR/nested.tar" .
	run -0 berth load -i "$BATS_TEST_TMPDIR/nested.tar"
	[[ "$output" == *"Loaded image: localhost/nested:1"* ]]
	[ "$(berth_image_id localhost/nested:1)" = "$BB2_ID" ]
}

@test "load: docker 25's layout (manifest.json beside an OCI layout) takes the names of manifest.json" {
	local lay=$BATS_TEST_TMPDIR/lay man
	make_layout "$lay"
	man=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$lay/index.json")
	jq -c '[{Config: ("blobs/sha256/" + (.config.digest | sub("sha256:"; ""))),
		RepoTags: ["localhost/d25:1"],
		Layers: [.layers[].digest | "blobs/sha256/" + sub("sha256:"; "")]}]' \
		"$lay/blobs/sha256/$man" >"$lay/manifest.json"
	tar -C "$lay" -cf "$BATS_TEST_TMPDIR/d25.tar" .
	run -0 berth load -i "$BATS_TEST_TMPDIR/d25.tar"
	[[ "$output" == *"Loaded image: localhost/d25:1"* ]]
	[ "$(berth_image_id localhost/d25:1)" = "$BB2_ID" ]
	[ "$(diff_ids localhost/d25:1)" = "$BB2_LAYERS" ]
}

@test "save: podman loads berth's archive with the same ids; skopeo inspects it" {
	berth load -i "$F/multi.tar"
	berth save -o "$BATS_TEST_TMPDIR/out.tar" localhost/bb:1 localhost/bb:2
	run -0 tar -tf "$BATS_TEST_TMPDIR/out.tar"
	[[ "$output" == *"manifest.json"* ]]
	# a layer shared by both images is written once
	[ "$(grep -c 'layer.tar$' <<<"$output")" = 2 ]

	run -0 test_podman load -q -i "$BATS_TEST_TMPDIR/out.tar"
	[ "sha256:$(test_podman image inspect --format '{{.Id}}' localhost/bb:1)" = "$BB1_ID" ]
	[ "sha256:$(test_podman image inspect --format '{{.Id}}' localhost/bb:2)" = "$BB2_ID" ]
	run -0 skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/out.tar:localhost/bb:2"
	[ "$(jq -r '.Layers[]' <<<"$output")" = "$BB2_LAYERS" ]
}

@test "save: gzip'ed blobs are saved uncompressed; berth loads its own archive from a pipe" {
	skopeo copy -q "${FIXTURE_CS}localhost/bb:2" "oci-archive:$BATS_TEST_TMPDIR/o.tar:localhost/oci:1"
	berth load -i "$BATS_TEST_TMPDIR/o.tar"
	berth save localhost/oci:1 >"$BATS_TEST_TMPDIR/out.tar"
	run -0 skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/out.tar"
	[ "$(jq -r '.Layers[]' <<<"$output")" = "$BB2_LAYERS" ]
	test_podman load -q -i "$BATS_TEST_TMPDIR/out.tar"
	[ "sha256:$(test_podman image inspect --format '{{.Id}}' localhost/oci:1)" = "$BB2_ID" ]

	berth save localhost/oci:1 | BERTH_ROOT=$BATS_TEST_TMPDIR/root2 "$BERTH" load
	[ "$(BERTH_ROOT=$BATS_TEST_TMPDIR/root2 "$BERTH" image inspect --format '{{.Id}}' localhost/oci:1)" = "$BB2_ID" ]
}

@test "save: an image saved by id has no tags; the same archive saved twice is identical" {
	berth load -i "$F/bb1.tar"
	berth save -o "$BATS_TEST_TMPDIR/a.tar" "$BB1_ID"
	run -0 tar -xOf "$BATS_TEST_TMPDIR/a.tar" manifest.json
	[ "$(jq -c '.[0].RepoTags' <<<"$output")" = "[]" ]
	berth save -o "$BATS_TEST_TMPDIR/b.tar" "$BB1_ID"
	cmp "$BATS_TEST_TMPDIR/a.tar" "$BATS_TEST_TMPDIR/b.tar"
	run -0 test_podman load -i "$BATS_TEST_TMPDIR/a.tar"
	[ "sha256:$(test_podman image inspect --format '{{.Id}}' "${BB1_ID#sha256:}")" = "$BB1_ID" ]
}

@test "save: a short name keeps the tag it matched (localhost/NAME), and podman loads it under that name" {
	berth load -i "$F/bb1.tar"
	berth tag localhost/bb:1 other/img:2
	berth save -o "$BATS_TEST_TMPDIR/s.tar" bb:1 other/img:2
	run -0 tar -xOf "$BATS_TEST_TMPDIR/s.tar" manifest.json
	[ "$(jq -c '.[0].RepoTags' <<<"$output")" = '["localhost/bb:1","docker.io/other/img:2"]' ]
	test_podman load -q -i "$BATS_TEST_TMPDIR/s.tar"
	[ "sha256:$(test_podman image inspect --format '{{.Id}}' localhost/bb:1)" = "$BB1_ID" ]
}

@test "save: an unknown image fails and writes no file" {
	run ! berth save -o "$BATS_TEST_TMPDIR/x.tar" localhost/nope:1
	[[ "$output" == *"localhost/nope:1"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/x.tar" ]
}

@test "load: a flipped byte in a layer fails, naming the member, and records nothing" {
	local bad=$BATS_TEST_TMPDIR/bad.tar layer
	layer=$(sed -n 2p <<<"$BB2_LAYERS")
	layer=${layer#sha256:}.tar
	cp "$F/multi.tar" "$bad"
	# the data of etc/hello, after the etc/ and etc/hello headers
	flip_byte "$bad" $(($(member_offset "$bad" "$layer") + 1024))
	run ! berth load -i "$bad"
	[[ "$output" == *"\"$layer\""* ]]
	[[ "$output" == *"diff id"* ]]
	assert_nothing_recorded
	run ! berth load <"$bad"
	[[ "$output" == *"diff id"* ]]
	assert_nothing_recorded

	# a good image already there stays as it was
	berth load -i "$F/bb1.tar"
	before=$(names)
	run ! berth load -i "$bad"
	[ "$(names)" = "$before" ]
	[ "$(index_names)" = localhost/bb:1 ]
}

@test "load: a truncated archive fails and records nothing" {
	local size
	size=$(stat -c %s "$F/multi.tar")
	head -c $((size / 2)) "$F/multi.tar" >"$BATS_TEST_TMPDIR/cut.tar"
	run ! berth load -i "$BATS_TEST_TMPDIR/cut.tar"
	[[ "$output" == *"runcated"* ]]
	assert_nothing_recorded
	run ! berth load <"$BATS_TEST_TMPDIR/cut.tar"
	[[ "$output" == *"runcated"* ]]
	assert_nothing_recorded

	gzip -c "$F/multi.tar" | head -c 300000 >"$BATS_TEST_TMPDIR/cut.tar.gz"
	run ! berth load -i "$BATS_TEST_TMPDIR/cut.tar.gz"
	[[ "$output" == *"gzip: unexpected end"* ]]
	assert_nothing_recorded
}

@test "load: a config whose diff ids do not match its layers fails" {
	local d=$BATS_TEST_TMPDIR/x
	mkdir "$d"
	tar -C "$d" -xf "$F/bb1.tar"
	python3 - "$d" <<'EOF'
import hashlib, json, os, sys
d = sys.argv[1]
man = json.load(open(os.path.join(d, "manifest.json")))
cfg_name = man[0]["Config"]
cfg = json.load(open(os.path.join(d, cfg_name)))
cfg["rootfs"]["diff_ids"][0] = "sha256:" + hashlib.sha256(b"not this layer").hexdigest()
data = json.dumps(cfg).encode()
name = hashlib.sha256(data).hexdigest() + ".json"
open(os.path.join(d, name), "wb").write(data)
os.unlink(os.path.join(d, cfg_name))
man[0]["Config"] = name
json.dump(man, open(os.path.join(d, "manifest.json"), "w"))
EOF
	tar -C "$d" -cf "$BATS_TEST_TMPDIR/wrong.tar" .
	run ! berth load -i "$BATS_TEST_TMPDIR/wrong.tar"
	[[ "$output" == *"config says sha256:$(printf 'not this layer' | sha256sum | cut -d' ' -f1)"* ]]
	assert_nothing_recorded
}

@test "load: an OCI blob that does not match its digest fails, naming it" {
	local lay=$BATS_TEST_TMPDIR/lay man blob
	make_layout "$lay"
	man=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$lay/index.json")
	blob=$(jq -r '.layers[0].digest | sub("sha256:"; "")' "$lay/blobs/sha256/$man")
	flip_byte "$lay/blobs/sha256/$blob" 5000
	tar -C "$lay" -cf "$BATS_TEST_TMPDIR/bad.tar" .
	run ! berth load -i "$BATS_TEST_TMPDIR/bad.tar"
	[[ "$output" == *"blobs/sha256/$blob"* ]]
	assert_nothing_recorded
}

@test "load: junk fails with a clear message" {
	mkdir "$BATS_TEST_TMPDIR/j"
	echo '[{"Config": ' >"$BATS_TEST_TMPDIR/j/manifest.json"
	tar -C "$BATS_TEST_TMPDIR/j" -cf "$BATS_TEST_TMPDIR/j.tar" manifest.json
	run ! berth load -i "$BATS_TEST_TMPDIR/j.tar"
	[[ "$output" == *'"manifest.json"'* ]]
	assert_nothing_recorded

	echo '[{"Config": "missing.json", "Layers": []}]' >"$BATS_TEST_TMPDIR/j/manifest.json"
	tar -C "$BATS_TEST_TMPDIR/j" -cf "$BATS_TEST_TMPDIR/j.tar" manifest.json
	run ! berth load -i "$BATS_TEST_TMPDIR/j.tar"
	[[ "$output" == *'"missing.json" is missing'* ]]

	head -c 3000 /dev/urandom >"$BATS_TEST_TMPDIR/r.bin"
	run ! berth load -i "$BATS_TEST_TMPDIR/r.bin"
	[[ "$output" == *"load"* ]]
	assert_nothing_recorded
}

# make_docker_archive OUT NAME LAYER...: a docker-archive (podman's layout
# without the legacy links) of an image with these layer tars, in order; a
# file given twice is one member listed twice.  Prints the image id.
make_docker_archive() {
	python3 - "$@" <<'EOF2'
import hashlib, io, json, os, sys, tarfile
out, name, layers = sys.argv[1], sys.argv[2], sys.argv[3:]
sha = lambda b: hashlib.sha256(b).hexdigest()
data = {p: open(p, "rb").read() for p in layers}
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(data[p]) for p in layers]}}).encode()
members = [(sha(data[p]) + ".tar", data[p]) for p in dict.fromkeys(layers)]
members += [(sha(cfg) + ".json", cfg),
            ("manifest.json", json.dumps([{"Config": sha(cfg) + ".json", "RepoTags": [name],
                                           "Layers": [sha(data[p]) + ".tar" for p in layers]}]).encode())]
with tarfile.open(out, "w") as t:
    for n, b in members:
        ti = tarfile.TarInfo(n)
        ti.size = len(b)
        t.addfile(ti, io.BytesIO(b))
print("sha256:" + sha(cfg))
EOF2
}

@test "load: the same layer at two places (empty layers) and many layers, from a file and a pipe" {
	local d=$BATS_TEST_TMPDIR id i layers=()
	head -c 1024 /dev/zero >"$d/empty.tar"
	id=$(make_docker_archive "$d/dup.tar" localhost/dup:1 "$F/rootfs.tar" "$d/empty.tar" "$d/empty.tar")
	run -0 berth load -i "$d/dup.tar"
	[[ "$output" == *"Loaded image: localhost/dup:1"* ]]
	[ "$(berth_image_id localhost/dup:1)" = "$id" ]
	# three chains: busybox, busybox+empty, busybox+empty+empty
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" = 3 ]
	berth save -o "$d/dup-saved.tar" localhost/dup:1
	test_podman load -q -i "$d/dup-saved.tar"
	[ "sha256:$(test_podman image inspect --format '{{.Id}}' localhost/dup:1)" = "$id" ]

	# more layers than unpack at once
	for i in $(seq 1 20); do
		mkdir -p "$d/l$i/etc"
		echo "$i" >"$d/l$i/etc/layer"
		tar -C "$d/l$i" -cf "$d/l$i.tar" etc
		layers+=("$d/l$i.tar")
	done
	id=$(make_docker_archive "$d/many.tar" localhost/many:1 "$F/rootfs.tar" "${layers[@]}")
	export BERTH_ROOT=$d/root-many
	berth load <"$d/many.tar"
	[ "$(berth_image_id localhost/many:1)" = "$id" ]
	[ "$(diff_ids localhost/many:1 | wc -l)" = 21 ]
	export BERTH_ROOT=$d/root-many-file
	berth load -i "$d/many.tar"
	[ "$(berth_image_id localhost/many:1)" = "$id" ]
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" = 21 ]
}

@test "load: concurrent loads of the same images all succeed" {
	local i pids=()
	berth images >/dev/null # the store exists before the race
	for i in 1 2 3; do
		berth load -q -i "$F/multi.tar" >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
		pids+=($!)
	done
	berth load -q <"$F/multi.tar" >"$BATS_TEST_TMPDIR/out4" 2>&1 &
	pids+=($!)
	for i in "${pids[@]}"; do
		wait "$i"
	done
	run -0 names
	[ "${lines[0]}" = "localhost/bb:1 $BB1_ID" ]
	[ "${lines[1]}" = "localhost/bb:2 $BB2_ID" ]
	[ "$(ls "$BERTH_ROOT/layers" | wc -l)" = 2 ]
	[ -z "$(tmp_litter)" ]
}
