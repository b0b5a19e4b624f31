#!/usr/bin/env bats
# berth pull / push / login / logout against Debian's docker-registry on
# 127.0.0.1 (a generated config, a free port; never any other registry):
# plain HTTP, TLS with a throwaway CA, htpasswd basic auth, bearer tokens
# from a test token server, round trips with skopeo and podman, a multi-arch
# index, and a proxy that corrupts, cuts and slows blobs.
#
# Test images are made here from the host's static busybox
# (tests/e2e/registry/make-oci.py) and pushed with skopeo:
#   test/bb:1     two gzip'ed layers: busybox, then /etc/hello
#   test/multi:1  an OCI index: linux/amd64 and linux/arm64/v8, each with /etc/arch

load berth
load registry/registry

setup_file() {
	local t
	for t in docker-registry skopeo podman openssl htpasswd python3 jq curl; do
		command -v "$t" >/dev/null || skip "$t not installed"
	done
	[ -x /bin/busybox ] || skip "no /bin/busybox"
	export F=$BATS_FILE_TMPDIR
	mkdir -p "$F/rootfs/bin" "$F/hello/etc" "$F/amd/etc" "$F/arm/etc"
	cp /bin/busybox "$F/rootfs/bin/busybox"
	ln -s busybox "$F/rootfs/bin/sh"
	echo hello >"$F/hello/etc/hello"
	echo amd64 >"$F/amd/etc/arch"
	echo arm64 >"$F/arm/etc/arch"
	python3 "$REGISTRY_HELPERS/make-oci.py" "$F/oci-bb" 1 "linux/amd64=$F/rootfs,$F/hello" >/dev/null
	python3 "$REGISTRY_HELPERS/make-oci.py" "$F/oci-multi" 1 \
		"linux/amd64=$F/rootfs,$F/amd" "linux/arm64/v8=$F/rootfs,$F/arm" >/dev/null

	registry_start "$F/plain"
	export REG_PLAIN=$REG
	skopeo copy -q --dest-tls-verify=false "oci:$F/oci-bb:1" "docker://$REG/test/bb:1"
	skopeo copy -q --all --dest-tls-verify=false "oci:$F/oci-multi:1" "docker://$REG/test/multi:1"

	export BB_DIGEST BB_ID BB_L1 BB_L2 MULTI_DIGEST
	BB_DIGEST=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/test/bb:1")
	BB_ID=$(skopeo inspect --tls-verify=false --raw "docker://$REG/test/bb:1" | jq -r .config.digest)
	BB_L1=$(skopeo inspect --tls-verify=false --raw "docker://$REG/test/bb:1" | jq -r '.layers[0].digest')
	BB_L2=$(skopeo inspect --tls-verify=false --raw "docker://$REG/test/bb:1" | jq -r '.layers[1].digest')
	MULTI_DIGEST=sha256:$(skopeo inspect --tls-verify=false --raw "docker://$REG/test/multi:1" | sha256sum | cut -d' ' -f1)
}

teardown_file() {
	registry_stop "$BATS_FILE_TMPDIR/plain"
}

teardown() {
	local d
	for d in "$BATS_TEST_TMPDIR"/reg-*; do
		[ -d "$d" ] && registry_stop "$d"
	done
	berth_teardown
}

# file_in REF PATH: the content of PATH in the image REF (mounted read-only).
file_in() {
	local mnt
	mnt=$(berth image mount "$1") || return 1
	cat "$mnt/$2"
	berth image unmount "$1" >/dev/null
}

# skopeo_cs ARGS...: a private podman store for this test.
test_podman() {
	podman --root "$BATS_TEST_TMPDIR/p" --runroot "$BATS_TEST_TMPDIR/pr" --storage-driver vfs "$@"
}

# --- plain HTTP, pull ----------------------------------------------------------------

@test "pull from a plain-HTTP registry: skopeo's image, same id, digest and layers" {
	run -0 berth pull --tls-verify=false "$REG_PLAIN/test/bb:1"
	[[ "$output" == *"1: Pulling from $REG_PLAIN/test/bb"* ]]
	[[ "$output" == *"${BB_L1:7:12}: Pull complete"* ]]
	[[ "$output" == *"Digest: $BB_DIGEST"* ]]
	[[ "$output" == *"Status: Downloaded newer image for $REG_PLAIN/test/bb:1"* ]]
	[ "${lines[-1]}" = "$REG_PLAIN/test/bb:1" ]

	[ "$(berth image inspect --format '{{.Id}}' "$REG_PLAIN/test/bb:1")" = "$BB_ID" ]
	[ "$(berth image inspect --format '{{json .RepoDigests}}' "$REG_PLAIN/test/bb:1")" = "[\"$REG_PLAIN/test/bb@$BB_DIGEST\"]" ]
	diff <(berth image inspect "$REG_PLAIN/test/bb:1" | jq -r '.[0].RootFS.Layers[]') \
		<(skopeo inspect --tls-verify=false --config "docker://$REG_PLAIN/test/bb:1" | jq -r '.rootfs.diff_ids[]')
	[ "$(file_in "$REG_PLAIN/test/bb:1" etc/hello)" = hello ]
	[ -z "$(tmp_litter)" ]

	# again: nothing to download
	run -0 berth pull --tls-verify=false "$REG_PLAIN/test/bb:1"
	[[ "$output" == *"${BB_L1:7:12}: Already exists"* ]]
	[[ "$output" == *"Status: Image is up to date for $REG_PLAIN/test/bb:1"* ]]
	[[ "$output" != *Downloading* ]]
}

@test "pull -q prints only the image id; by digest the image gets no name" {
	run -0 berth pull -q --tls-verify=false "$REG_PLAIN/test/bb@$BB_DIGEST"
	[ "$output" = "$BB_ID" ]
	[ "$(berth images -q --no-trunc)" = "$BB_ID" ]
	# listed by the repository it came from, with no tag (as docker lists it)
	run -0 berth images --format '{{.Repository}}:{{.Tag}}'
	[ "$output" = "$REG_PLAIN/test/bb:<none>" ]
	[ "$(berth image inspect --format '{{json .RepoDigests}}' "$BB_ID")" = "[\"$REG_PLAIN/test/bb@$BB_DIGEST\"]" ]
	# the image group's pull is the same command
	berth rmi -f "$BB_ID" >/dev/null
	run -0 berth image pull -q --tls-verify=false "$REG_PLAIN/test/bb@$BB_DIGEST"
	[ "$output" = "$BB_ID" ]
}

@test "a plain-HTTP registry needs --tls-verify=false or a place in the insecure registries" {
	run -1 berth pull "$REG_PLAIN/test/bb:1"
	[[ "$output" == *"plain-HTTP registry needs --tls-verify=false"* ]]
	[ -z "$(berth images -q)" ]

	BERTH_INSECURE_REGISTRIES="other:1, $REG_PLAIN" run -0 berth pull -q "$REG_PLAIN/test/bb:1"
	[ "$output" = "$BB_ID" ]

	printf '# test\ninsecure = [\n  "localhost:1",\n  "%s",\n]\n' "$REG_PLAIN" >"$BATS_TEST_TMPDIR/registries.conf"
	berth rmi -f "$REG_PLAIN/test/bb:1" >/dev/null
	BERTH_REGISTRIES_CONF=$BATS_TEST_TMPDIR/registries.conf run -0 berth pull -q "$REG_PLAIN/test/bb:1"
	[ "$output" = "$BB_ID" ]
	# the setting is for the registries it names only
	BERTH_REGISTRIES_CONF=$BATS_TEST_TMPDIR/registries.conf BERTH_INSECURE_REGISTRIES=x:1 \
		run -1 berth pull "127.0.0.1:1/test/bb:1"
}

@test "pull of a tag the registry does not have fails with status 1 and records nothing" {
	run -1 berth pull --tls-verify=false "$REG_PLAIN/test/bb:nope"
	[[ "$output" == *"manifest for $REG_PLAIN/test/bb:nope not found: manifest unknown"* ]]
	run -1 berth pull --tls-verify=false "$REG_PLAIN/test/none:1"
	[ -z "$(berth images -aq)" ]
	[ -z "$(tmp_litter)" ]
}

# --- multi-arch -----------------------------------------------------------------------

@test "a multi-arch index: --platform picks its entry, the default is the host's" {
	run -0 berth pull --tls-verify=false --platform linux/arm64 "$REG_PLAIN/test/multi:1"
	[[ "$output" == *"Digest: $MULTI_DIGEST"* ]]
	[ "$(berth image inspect --format '{{.Architecture}}/{{.Variant}}' "$REG_PLAIN/test/multi:1")" = arm64/v8 ]
	[ "$(file_in "$REG_PLAIN/test/multi:1" etc/arch)" = arm64 ]
	# the repo digest is the index's: what the tag names
	[ "$(berth image inspect --format '{{json .RepoDigests}}' "$REG_PLAIN/test/multi:1")" = "[\"$REG_PLAIN/test/multi@$MULTI_DIGEST\"]" ]

	[ "$(uname -m)" = x86_64 ] || skip "the host is not amd64"
	run -0 berth pull -q --tls-verify=false "$REG_PLAIN/test/multi:1"
	[ "$(berth image inspect --format '{{.Architecture}}' "$REG_PLAIN/test/multi:1")" = amd64 ]
	[ "$(file_in "$REG_PLAIN/test/multi:1" etc/arch)" = amd64 ]
	# the arm64 image lost its name but stays, with the layer both share
	[ "$(berth images -aq | wc -l)" = 2 ]
}

@test "a platform the index lacks fails and says what it has; --platform is checked on a plain manifest too" {
	run -1 berth pull --tls-verify=false --platform linux/s390x "$REG_PLAIN/test/multi:1"
	[[ "$output" == *'no manifest for platform "linux/s390x" in the index (it has: linux/amd64, linux/arm64/v8)'* ]]
	run -1 berth pull --tls-verify=false --platform linux/arm64 "$REG_PLAIN/test/bb:1"
	[[ "$output" == *"does not match the specified platform: wanted linux/arm64, actual: linux/amd64"* ]]
	[ -z "$(berth images -aq)" ]
}

# --- push -----------------------------------------------------------------------------

@test "berth push, skopeo and podman pull: the same digest and image id" {
	local id digest
	id=$(berth_bootstrap localhost/bb:boot)
	run -0 berth push --tls-verify=false --digestfile "$BATS_TEST_TMPDIR/digest" localhost/bb:boot "$REG_PLAIN/pushed/boot:1"
	[[ "$output" == *"The push refers to repository [$REG_PLAIN/pushed/boot]"* ]]
	[[ "$output" == *": Pushed"* ]]
	digest=$(cat "$BATS_TEST_TMPDIR/digest")
	[[ "${lines[-1]}" == "1: digest: $digest size: "* ]]

	[ "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG_PLAIN/pushed/boot:1")" = "$digest" ]
	# the manifest the registry serves is berth's, byte for byte
	diff <(skopeo inspect --tls-verify=false --raw "docker://$REG_PLAIN/pushed/boot:1") \
		<(cat "$BERTH_ROOT/blobs/sha256/${digest#sha256:}")
	test_podman pull -q --tls-verify=false "$REG_PLAIN/pushed/boot:1" >/dev/null
	[ "sha256:$(test_podman image inspect --format '{{.Id}}' "$REG_PLAIN/pushed/boot:1")" = "$id" ]
	[ "$(test_podman image inspect --format '{{.Digest}}' "$REG_PLAIN/pushed/boot:1")" = "$digest" ]
	[ "$(berth image inspect --format '{{json .RepoDigests}}' localhost/bb:boot)" = "[\"$REG_PLAIN/pushed/boot@$digest\"]" ]

	# and berth pulls back what it pushed
	BERTH_ROOT=$BATS_TEST_TMPDIR/root2 run -0 berth pull -q --tls-verify=false "$REG_PLAIN/pushed/boot:1"
	[ "$output" = "$id" ]
}

@test "push of a pulled image: same digest; podman pushes, berth pulls" {
	berth pull -q --tls-verify=false "$REG_PLAIN/test/bb:1" >/dev/null
	run -0 berth push --tls-verify=false --digestfile "$BATS_TEST_TMPDIR/digest" "$REG_PLAIN/test/bb:1" "$REG_PLAIN/copy/bb:2"
	[ "$(cat "$BATS_TEST_TMPDIR/digest")" = "$BB_DIGEST" ]

	# podman on the other side: what it pushes, berth pulls with the same digest
	test_podman pull -q --tls-verify=false "$REG_PLAIN/test/bb:1" >/dev/null
	test_podman push -q --tls-verify=false --digestfile "$BATS_TEST_TMPDIR/pdigest" "$REG_PLAIN/test/bb:1" \
		"docker://$REG_PLAIN/podman/bb:1"
	BERTH_ROOT=$BATS_TEST_TMPDIR/root2 run -0 berth pull --tls-verify=false "$REG_PLAIN/podman/bb:1"
	[[ "$output" == *"Digest: $(cat "$BATS_TEST_TMPDIR/pdigest")"* ]]
	[ "$(BERTH_ROOT=$BATS_TEST_TMPDIR/root2 berth image inspect --format '{{.Id}}' "$REG_PLAIN/podman/bb:1")" = \
		"sha256:$(test_podman image inspect --format '{{.Id}}' "$REG_PLAIN/test/bb:1")" ]
}

@test "push: HEAD first, a cross-repository mount, chunked uploads, and nothing sent twice" {
	local reg=$BATS_TEST_TMPDIR/reg-1 first
	mkdir -p "$reg"
	proxy_start "$reg" "$REG_PLAIN" pass
	berth pull -q --tls-verify=false "$PROXY/test/bb:1" >/dev/null
	: >"$PROXY_LOG"
	run -0 berth push --tls-verify=false "$PROXY/test/bb:1" "$PROXY/mounted/bb:1"
	[[ "$output" == *"${BB_L1:7:12}: Mounted from test/bb"* ]]
	grep -q "^HEAD /v2/mounted/bb/blobs/$BB_L1 " "$PROXY_LOG"
	grep -q "^POST /v2/mounted/bb/blobs/uploads/?mount=sha256%3A${BB_L1#sha256:}&from=test%2Fbb " "$PROXY_LOG"
	! grep -q "^PUT /v2/mounted/bb/blobs/uploads/" "$PROXY_LOG"
	grep -q "^PUT /v2/mounted/bb/manifests/1 " "$PROXY_LOG"

	# a new repository, no mount source: chunks of 64 KiB
	berth_bootstrap localhost/bb:boot >/dev/null
	: >"$PROXY_LOG"
	BERTH_PUSH_CHUNK_SIZE=64K run -0 berth push --tls-verify=false localhost/bb:boot "$PROXY/chunked/bb:1"
	[ "$(grep -c '^PATCH /v2/chunked/bb/blobs/uploads/' "$PROXY_LOG")" -gt 10 ]
	grep -q "^PUT /v2/chunked/bb/blobs/uploads/.*digest=sha256%3A" "$PROXY_LOG"
	first=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$PROXY/chunked/bb:1")
	[ "$(berth image inspect --format '{{json .RepoDigests}}' localhost/bb:boot)" = "[\"$PROXY/chunked/bb@$first\"]" ]

	# pushed again: only HEADs and the manifest
	: >"$PROXY_LOG"
	run -0 berth push --tls-verify=false localhost/bb:boot "$PROXY/chunked/bb:1"
	[[ "$output" == *"Layer already exists"* ]]
	! grep -qE '^(POST|PATCH)' "$PROXY_LOG"
	[ "$(grep -c '^PUT' "$PROXY_LOG")" = 1 ]
}

# --- TLS, basic auth, credentials -----------------------------------------------------

@test "TLS with a self-signed CA and htpasswd auth: certs.d, --cert-dir, login, logout" {
	local reg=$BATS_TEST_TMPDIR/reg-tls auth=$BATS_TEST_TMPDIR/auth.json
	registry_start "$reg" --tls --htpasswd
	berth pull -q --tls-verify=false "$REG_PLAIN/test/bb:1" >/dev/null

	# the CA is unknown
	run -1 berth push "$REG_PLAIN/test/bb:1" "$REG/tls/bb:1"
	[[ "$output" == *"certificate"* ]]
	# known from a certs.d directory for HOST:PORT, but credentials are wanted
	mkdir -p "$BATS_TEST_TMPDIR/certs.d/$REG"
	cp "$reg/tls/ca.crt" "$BATS_TEST_TMPDIR/certs.d/$REG/ca.crt"
	export BERTH_CERTS_D=$BATS_TEST_TMPDIR/nothing-here:$BATS_TEST_TMPDIR/certs.d
	run -1 berth push --authfile "$auth" "$REG_PLAIN/test/bb:1" "$REG/tls/bb:1"
	[[ "$output" == *"unauthorized: authentication required"* ]]

	run -1 berth login -u "$REGISTRY_USER" --password-stdin --authfile "$auth" "$REG" <<<"wrong"
	[[ "$output" == *"unauthorized: incorrect username or password"* ]]
	[ ! -e "$auth" ]
	run -0 berth login -u "$REGISTRY_USER" --password-stdin --authfile "$auth" "$REG" <<<"$REGISTRY_PASSWORD"
	[ "$output" = "Login Succeeded" ]
	[ "$(stat -c %a "$auth")" = 600 ]
	[ "$(jq -r --arg r "$REG" '.auths[$r].auth' "$auth" | base64 -d)" = "$REGISTRY_USER:$REGISTRY_PASSWORD" ]

	run -0 berth push --authfile "$auth" --digestfile "$BATS_TEST_TMPDIR/digest" "$REG_PLAIN/test/bb:1" "$REG/tls/bb:1"
	[ "$(cat "$BATS_TEST_TMPDIR/digest")" = "$BB_DIGEST" ]
	[ "$(skopeo inspect --cert-dir "$reg/tls" --creds "$REGISTRY_USER:$REGISTRY_PASSWORD" --format '{{.Digest}}' \
		"docker://$REG/tls/bb:1")" = "$BB_DIGEST" ]

	# a fresh store pulls it, with the CA from --cert-dir instead
	unset BERTH_CERTS_D
	BERTH_ROOT=$BATS_TEST_TMPDIR/root2 run -0 berth pull -q --authfile "$auth" --cert-dir "$reg/tls" "$REG/tls/bb:1"
	[ "$output" = "$BB_ID" ]
	# --creds instead of the file
	BERTH_ROOT=$BATS_TEST_TMPDIR/root3 run -0 berth pull -q --cert-dir "$reg/tls" \
		--creds "$REGISTRY_USER:$REGISTRY_PASSWORD" "$REG/tls/bb:1"

	run -0 berth logout --authfile "$auth" "$REG"
	[ "$output" = "Removing login credentials for $REG" ]
	[ "$(jq -r '.auths | length' "$auth")" = 0 ]
	BERTH_ROOT=$BATS_TEST_TMPDIR/root4 run -1 berth pull --authfile "$auth" --cert-dir "$reg/tls" "$REG/tls/bb:1"
	[[ "$output" == *"unauthorized"* ]]
	run -0 berth logout --authfile "$auth" "$REG"
	[ "$output" = "Not logged in to $REG" ]
}

@test "login keeps credentials where docker and podman look: auth.json under XDG_RUNTIME_DIR, else ~/.docker/config.json" {
	local reg=$BATS_TEST_TMPDIR/reg-basic home=$BATS_TEST_TMPDIR/home
	registry_start "$reg" --htpasswd
	mkdir -p "$home" "$BATS_TEST_TMPDIR/xdg"
	env -u REGISTRY_AUTH_FILE -u XDG_RUNTIME_DIR -u DOCKER_CONFIG HOME="$home" \
		"$BERTH" login --tls-verify=false -u "$REGISTRY_USER" --password-stdin "$REG" <<<"$REGISTRY_PASSWORD"
	[ "$(stat -c %a "$home/.docker/config.json")" = 600 ]
	[ "$(stat -c %a "$home/.docker")" = 700 ]
	# podman reads what berth wrote
	[ "$(podman login --get-login --authfile "$home/.docker/config.json" "$REG")" = "$REGISTRY_USER" ]

	env -u REGISTRY_AUTH_FILE -u DOCKER_CONFIG HOME="$home" XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg" \
		"$BERTH" login --tls-verify=false -u "$REGISTRY_USER" -p "$REGISTRY_PASSWORD" "$REG" 2>/dev/null
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/xdg/containers/auth.json")" = 600 ]
	run -0 env -u REGISTRY_AUTH_FILE -u DOCKER_CONFIG HOME="$home" XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg" \
		"$BERTH" push --tls-verify=false "$(berth_bootstrap localhost/bb:boot)" "$REG/basic/bb:1"
	# logout forgets it in both files
	run -0 env -u REGISTRY_AUTH_FILE -u DOCKER_CONFIG HOME="$home" XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg" \
		"$BERTH" logout "$REG"
	[ "$(jq '.auths | length' "$home/.docker/config.json")" = 0 ]
	[ "$(jq '.auths | length' "$BATS_TEST_TMPDIR/xdg/containers/auth.json")" = 0 ]
	run -1 berth login --tls-verify=false -u "$REGISTRY_USER" "$REG" </dev/null
	[[ "$output" == *"non TTY"* ]]
}

# --- bearer tokens ----------------------------------------------------------------------

@test "bearer token auth: scopes and service from the challenge, anonymous pull of a public repository" {
	local reg=$BATS_TEST_TMPDIR/reg-token auth=$BATS_TEST_TMPDIR/auth.json
	registry_start "$reg" --token
	berth pull -q --tls-verify=false "$REG_PLAIN/test/bb:1" >/dev/null

	run -1 berth push --tls-verify=false --authfile "$auth" "$REG_PLAIN/test/bb:1" "$REG/private/bb:1"
	[[ "$output" == *"unauthorized"* ]]
	run -1 berth login --tls-verify=false -u "$REGISTRY_USER" --password-stdin --authfile "$auth" "$REG" <<<"nope"
	[[ "$output" == *"incorrect username or password"* ]]
	run -0 berth login --tls-verify=false -u "$REGISTRY_USER" --password-stdin --authfile "$auth" "$REG" <<<"$REGISTRY_PASSWORD"
	: >"$TOKEN_LOG"
	run -0 berth push --tls-verify=false --authfile "$auth" "$REG_PLAIN/test/bb:1" "$REG/private/bb:1"
	jq -e 'select(.service == "berth-test-registry" and .account == "berthuser" and .who == "user"
		and (.scope | index("repository:private/bb:pull,push")))' "$TOKEN_LOG" >/dev/null

	# a second repository mounts from the first, with a token for both
	berth pull -q --tls-verify=false --authfile "$auth" "$REG/private/bb:1" >/dev/null
	: >"$TOKEN_LOG"
	run -0 berth push --tls-verify=false --authfile "$auth" "$REG/private/bb:1" "$REG/public/bb:1"
	[[ "$output" == *"Mounted from private/bb"* ]]
	jq -e 'select((.scope | index("repository:public/bb:pull,push")) and (.scope | index("repository:private/bb:pull")))' \
		"$TOKEN_LOG" >/dev/null

	# anonymous: public/ may be pulled, private/ not
	: >"$TOKEN_LOG"
	BERTH_ROOT=$BATS_TEST_TMPDIR/root2 run -0 berth pull -q --tls-verify=false "$REG/public/bb:1"
	[ "$output" = "$BB_ID" ]
	jq -e 'select(.who == "anonymous" and .scope == ["repository:public/bb:pull"])' "$TOKEN_LOG" >/dev/null
	BERTH_ROOT=$BATS_TEST_TMPDIR/root3 run -1 berth pull --tls-verify=false "$REG/private/bb:1"
	[[ "$output" == *"pull access denied for $REG/private/bb"* ]]
	[ -z "$(BERTH_ROOT=$BATS_TEST_TMPDIR/root3 berth images -aq)" ]
	# skopeo, with the same credentials, sees what berth pushed
	[ "$(skopeo inspect --tls-verify=false --creds "$REGISTRY_USER:$REGISTRY_PASSWORD" --format '{{.Digest}}' \
		"docker://$REG/private/bb:1")" = "$BB_DIGEST" ]
}

# --- bad blobs, dropped and killed transfers ------------------------------------------------

@test "a corrupted blob fails the pull and leaves nothing in the store" {
	local reg=$BATS_TEST_TMPDIR/reg-proxy before
	mkdir -p "$reg"
	proxy_start "$reg" "$REG_PLAIN" corrupt "$BB_L1"
	berth images >/dev/null
	before=$(store_state)
	run -1 berth pull --tls-verify=false "$PROXY/test/bb:1"
	[[ "$output" == *"layer $BB_L1: digest mismatch: expected $BB_L1, got sha256:"* ]]
	# no image, no name, no blob (not even the layer that was fine), no layer
	[ "$(store_state)" = "$before" ]
	[ -z "$(ls "$BERTH_ROOT/blobs/sha256")" ]
	[ -z "$(tmp_litter)" ]
	# the good copy pulls fine afterwards
	run -0 berth pull -q --tls-verify=false "$REG_PLAIN/test/bb:1"
	[ "$output" = "$BB_ID" ]
}

@test "a dropped transfer resumes with a Range request" {
	local reg=$BATS_TEST_TMPDIR/reg-proxy size
	mkdir -p "$reg"
	proxy_start "$reg" "$REG_PLAIN" cut 100000
	run -0 berth pull -q --tls-verify=false "$PROXY/test/bb:1"
	[ "$output" = "$BB_ID" ]
	# the first GET of the big layer was cut after 100000 bytes; the next asked for the rest
	grep -q "^GET /v2/test/bb/blobs/$BB_L1 bytes=100000-$" "$PROXY_LOG"
	[ "$(grep -c "^GET /v2/test/bb/blobs/$BB_L1 " "$PROXY_LOG")" = 2 ]
	[ "$(file_in "$PROXY/test/bb:1" etc/hello)" = hello ]
}

@test "a pull killed mid-way is completed by the next one, which reuses the verified blob" {
	local reg=$BATS_TEST_TMPDIR/reg-proxy pid i
	mkdir -p "$reg"
	# the busybox layer (about 1 MB) takes seconds at 100 kB/s, the /etc/hello one a moment
	proxy_start "$reg" "$REG_PLAIN" slow 100000
	"$BERTH" pull -q --tls-verify=false "$PROXY/test/bb:1" >/dev/null 2>&1 3>&- &
	pid=$!
	for i in $(seq 1 100); do
		[ -e "$BERTH_ROOT/blobs/sha256/${BB_L2#sha256:}" ] && break
		sleep 0.1
	done
	[ -e "$BERTH_ROOT/blobs/sha256/${BB_L2#sha256:}" ]
	[ ! -e "$BERTH_ROOT/blobs/sha256/${BB_L1#sha256:}" ]
	kill -9 "$pid"
	wait "$pid" || true
	[ -z "$(berth images -aq)" ]

	: >"$PROXY_LOG"
	run -0 berth pull --tls-verify=false "$PROXY/test/bb:1"
	[[ "${lines[-1]}" == "$PROXY/test/bb:1" ]]
	grep -q "^GET /v2/test/bb/blobs/$BB_L1 " "$PROXY_LOG"
	! grep -q "^GET /v2/test/bb/blobs/$BB_L2 " "$PROXY_LOG"
	[ "$(berth image inspect --format '{{.Id}}' "$PROXY/test/bb:1")" = "$BB_ID" ]
	[ "$(file_in "$PROXY/test/bb:1" etc/hello)" = hello ]
}
