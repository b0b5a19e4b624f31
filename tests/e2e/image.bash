# A busybox container image built locally (no registry), for the tests that
# drive the runtime through a container engine (containerd, podman).
# Load after helpers.bash.

# build_image_tar ROOTFS OUT NAME: an OCI image layout tarball (oci-archive)
# of ROOTFS (one uncompressed layer), named NAME (a full reference such as
# docker.io/library/busybox:latest, in the io.containerd.image.name annotation).
build_image_tar() {
	local rootfs=$1 out=$2 name=$3 dir blobs layer_digest layer_size cfg_digest cfg_size man_digest man_size
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

	jq -cn --arg m "sha256:$man_digest" --argjson ms "$man_size" --arg name "$name" '{
		schemaVersion: 2,
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
			platform: {architecture: "amd64", os: "linux"},
			annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": "latest"}}]
	}' >"$dir/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	tar -C "$dir" -cf "$out" oci-layout index.json blobs
	rm -rf "$dir"
}

# build_busybox_image_tar OUT NAME: build_image_tar of make-bundle.sh's
# busybox rootfs (from the host's busybox-static).
build_busybox_image_tar() {
	local bundle
	bundle=$(mktemp -d "$BATS_FILE_TMPDIR/img.XXXXXX")
	BUNDLE=$bundle "$BERTH_TOP/scripts/make-bundle.sh" "$bundle" -- true
	build_image_tar "$bundle/rootfs" "$1" "$2"
	rm -rf "$bundle"
}
