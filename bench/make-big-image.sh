#!/bin/bash
# Build (once) a large two-layer docker-archive for bench/load.sh:
#   layer 1: a Debian bookworm minbase rootfs (debootstrap) without /usr/share/doc
#   layer 2: /usr/share/doc and 96 MiB of random data (/opt/bench/random)
# written like `docker save` / `podman save` (uncompressed <diffid>.tar layers,
# <config>.json, manifest.json, repositories).  Cached under $BERTH_BENCH_CACHE
# (default /var/tmp/berth-bench); prints the archive's path.
#
# The Debian mirror comes from the apt sources (/etc/apt/sources.list*).
set -euo pipefail

cache=${BERTH_BENCH_CACHE:-/var/tmp/berth-bench}
out=$cache/big-image.tar
name=${BIG_IMAGE_NAME:-localhost/bench/bookworm:big}

if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"

mirror() {
	local m
	m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ')
	echo "${m:-http://deb.debian.org/debian}"
}

rootfs=$cache/rootfs
if [ ! -e "$rootfs/.complete" ]; then
	rm -rf "$rootfs"
	debootstrap --variant=minbase bookworm "$rootfs" "$(mirror)" >&2
	rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
	touch "$rootfs/.complete"
fi

work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/l2/usr/share" "$work/l2/opt/bench"
tar --numeric-owner --xattrs --sort=name --exclude=./usr/share/doc --exclude=./.complete \
	-C "$rootfs" -cf "$work/layer1.tar" .
cp -a "$rootfs/usr/share/doc" "$work/l2/usr/share/doc"
head -c 96M /dev/urandom >"$work/l2/opt/bench/random"
tar --numeric-owner --xattrs --sort=name -C "$work/l2" -cf "$work/layer2.tar" .

python3 - "$work" "$out.tmp" "$name" <<'PY'
import hashlib, io, json, os, sys, tarfile, time

work, out, name = sys.argv[1:4]

def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()

layers = [os.path.join(work, "layer1.tar"), os.path.join(work, "layer2.tar")]
diffs = [sha(p) for p in layers]
config = {
    "architecture": "amd64", "os": "linux",
    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
               "Cmd": ["bash"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diffs]},
    "history": [{"created_by": "debootstrap --variant=minbase bookworm"},
                {"created_by": "docs and random data"}],
}
cfg = json.dumps(config, separators=(",", ":")).encode()
cfg_hex = hashlib.sha256(cfg).hexdigest()
repo, tag = name.rsplit(":", 1)
manifest = [{"Config": cfg_hex + ".json", "RepoTags": [name], "Layers": [d + ".tar" for d in diffs]}]

def add_bytes(t, member, data):
    ti = tarfile.TarInfo(member)
    ti.size = len(data)
    ti.mtime = int(time.time())
    t.addfile(ti, io.BytesIO(data))

with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for p, d in zip(layers, diffs):
        t.add(p, arcname=d + ".tar")
    add_bytes(t, cfg_hex + ".json", cfg)
    add_bytes(t, "manifest.json", json.dumps(manifest).encode())
    add_bytes(t, "repositories", json.dumps({repo: {tag: diffs[-1]}}).encode())
PY
mv "$out.tmp" "$out"
echo "$out"
