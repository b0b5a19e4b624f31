#!/usr/bin/env python3
"""Build an OCI image layout from local directories, for the registry tests.

    make-oci.py OUT TAG [--plain] PLATFORM=DIR[,DIR...] [PLATFORM=DIR[,DIR...] ...]

Each PLATFORM ("linux/amd64", "linux/arm64/v8") gets an image whose layers
are the DIRs, tarred (sorted, numeric owners, mtime 0) and gzip'ed (--plain:
not compressed).  One platform: OUT/index.json names its manifest TAG; more:
TAG names an image index of them (what `skopeo copy --all oci:OUT:TAG` pushes).
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

args = sys.argv[1:]
out, tag = args[0], args[1]
plain = "--plain" in args
specs = [a for a in args[2:] if a != "--plain"]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)


def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def tar_dir(src):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, files in os.walk(src):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                path = os.path.join(root, name)
                ti = t.gettarinfo(path, os.path.relpath(path, src))
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                ti.mtime = 0
                if ti.isreg():
                    with open(path, "rb") as f:
                        t.addfile(ti, f)
                else:
                    t.addfile(ti)
    return buf.getvalue()


def image(platform, dirs):
    parts = platform.split("/")
    diff_ids, layers = [], []
    for d in dirs:
        raw = tar_dir(d)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        data = raw if plain else gzip.compress(raw, mtime=0)
        digest, size = put(data)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("" if plain else "+gzip"),
                       "digest": digest, "size": size})
    config = {"architecture": parts[1], "os": parts[0], "created": "2024-01-02T03:04:05Z",
              "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                         "Cmd": ["sh"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "make-oci.py " + d} for d in dirs]}
    if len(parts) > 2:
        config["variant"] = parts[2]
    cdigest, csize = put(json.dumps(config, separators=(",", ":")).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest,
                           "size": csize},
                "layers": layers}
    mdigest, msize = put(json.dumps(manifest, separators=(",", ":")).encode())
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": msize,
            "platform": {"architecture": parts[1], "os": parts[0]}}
    if len(parts) > 2:
        desc["platform"]["variant"] = parts[2]
    return desc


descs = []
for spec in specs:
    platform, _, dirs = spec.partition("=")
    descs.append(image(platform, dirs.split(",")))
if len(descs) == 1:
    top = descs[0]
    top.pop("platform")
else:
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descs}
    digest, size = put(json.dumps(idx, separators=(",", ":")).encode())
    top = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size}
top["annotations"] = {"org.opencontainers.image.ref.name": tag}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [top]}, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
print(top["digest"])
