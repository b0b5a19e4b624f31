#!/usr/bin/env bash
# bench/pull.sh: `berth pull` against `podman pull` and `ctr pull` of the
# same large image from a local registry (Debian's docker-registry on
# 127.0.0.1, plain HTTP, a generated config; nothing else is contacted).
#
# The image is bench/make-big-image.sh's (a Debian bookworm minbase rootfs,
# then a layer of docs and 96 MiB of random data), pushed once with skopeo,
# which gzips the two layers (~150 MB compressed).  Every run starts from an
# empty store:
#   berth    its own BERTH_ROOT
#   podman   its own --root, overlay driver (what a default podman uses)
#   ctr      a private containerd (its own root, state and socket, overlayfs
#            snapshotter, CRI plugin off), restarted empty before each run
#            (not timed); ctr pull fetches and unpacks, as the others do
# All stores are on the same filesystem (/var/tmp).
#
# Environment: BERTH (binary), PODMAN, CTR, CONTAINERD, RUNS (default 5),
# WARMUP (default 1), NO_CTR=1 to leave ctr out, BERTH_BENCH_CACHE (where
# the image is built and kept, default /var/tmp/berth-bench).  Results in
# bench/results/pull.*.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH=${BERTH:-$top/build/src/cmd/berth/berth}
PODMAN=${PODMAN:-$(command -v podman || true)}
CTR=${CTR:-$(command -v ctr || true)}
CONTAINERD=${CONTAINERD:-$(command -v containerd || true)}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
NO_CTR=${NO_CTR:-0}
cache=${BERTH_BENCH_CACHE:-/var/tmp/berth-bench}
results=$top/bench/results

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

for t in hyperfine jq skopeo docker-registry curl python3; do
	command -v "$t" >/dev/null || die "$t not installed (make deps)"
done
[ -x "$BERTH" ] || die "\`$BERTH\` not built (make build)"
[ -n "$PODMAN" ] || die "podman not installed"
if [ "$NO_CTR" != 1 ] && { [ -z "$CTR" ] || [ -z "$CONTAINERD" ]; }; then
	die "containerd/ctr not installed (or NO_CTR=1)"
fi

image=$("$top/bench/make-big-image.sh")
mkdir -p "$cache"
work=$(mktemp -d "$cache/pull.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	if [ -f "$work/ctrd.pid" ]; then
		kill "$(cat "$work/ctrd.pid")" 2>/dev/null || true
		sleep 0.5
	fi
	# containerd's snapshots may still be mounted if it died in the middle
	awk -v d="$work" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# --- the registry ----------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: $reg
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	curl -s -o /dev/null "http://$reg/v2/" && break
	sleep 0.1
done
ref=$reg/bench/big:1
skopeo copy -q --dest-tls-verify=false --dest-compress "docker-archive:$image" "docker://$ref"
manifest=$(skopeo inspect --tls-verify=false --raw "docker://$ref")
echo "image: $ref, layers (gzip): $(jq -r '[.layers[].size] | map(. / 1000000 | floor | tostring + " MB") | join(" + ")' <<<"$manifest")"

# --- the commands ------------------------------------------------------------------
# A store from a previous run is moved aside, not deleted: ext4 then scans past
# thousands of recently deleted inodes for every file the next run creates,
# which made the timings swing by seconds.  The trash goes at the end.
mkdir -p "$work/trash"
aside() {
	local d
	for d in "$@"; do
		printf '[ ! -e %s ] || mv -T %s %s/trash/$(date +%%s%%N)-%s; ' "$d" "$d" "$work" "${d##*/}"
	done
	echo sync
}
berth_cmd="BERTH_ROOT=$work/berth BERTH_RUN_ROOT=$work/berth-run $BERTH pull -q --tls-verify=false $ref"
berth_prep=$(aside "$work/berth" "$work/berth-run")
podman_cmd="$PODMAN --root $work/podman --runroot $work/podman-run --storage-driver overlay pull -q --tls-verify=false $ref"
podman_prep=$(aside "$work/podman" "$work/podman-run")

# A containerd of our own, restarted on an empty root before each ctr run.
cat >"$work/containerd.toml" <<EOF
version = 2
root = "$work/ctrd/root"
state = "$work/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/ctrd/sock"
EOF
cat >"$work/ctrd-restart.sh" <<EOF
#!/bin/bash
if [ -f $work/ctrd.pid ]; then
	kill \$(cat $work/ctrd.pid) 2>/dev/null
	while kill -0 \$(cat $work/ctrd.pid) 2>/dev/null; do sleep 0.05; done
fi
awk -v d="$work/ctrd/" 'index(\$5, d) == 1 { print \$5 }' /proc/self/mountinfo | sort -r | xargs -r umount -l
[ ! -e $work/ctrd ] || mv -T $work/ctrd $work/trash/\$(date +%s%N)-ctrd
mkdir -p $work/ctrd
setsid $CONTAINERD --config $work/containerd.toml </dev/null >>$work/containerd.log 2>&1 &
echo \$! >$work/ctrd.pid
for _ in \$(seq 1 200); do
	$CTR --address $work/ctrd/sock version >/dev/null 2>&1 && break
	sleep 0.05
done
sync
EOF
chmod +x "$work/ctrd-restart.sh"
ctr_cmd="$CTR --address $work/ctrd/sock -n bench images pull --plain-http $ref >/dev/null"
ctr_prep="$work/ctrd-restart.sh"

# --- each must pull it once, and agree ---------------------------------------------
sh -c "$berth_prep" && sh -c "$berth_cmd" >/dev/null || die "berth cannot pull $ref"
sh -c "$podman_prep" && sh -c "$podman_cmd" >/dev/null || die "podman cannot pull $ref"
berth_id=$(BERTH_ROOT=$work/berth BERTH_RUN_ROOT=$work/berth-run "$BERTH" image inspect --format '{{.Id}}' "$ref")
podman_id=sha256:$($PODMAN --root "$work/podman" --runroot "$work/podman-run" --storage-driver overlay \
	image inspect --format '{{.Id}}' "$ref")
[ "$berth_id" = "$podman_id" ] || die "berth pulled $berth_id, podman $podman_id"
args=(--prepare "$berth_prep" -n "berth pull" "$berth_cmd" --prepare "$podman_prep" -n "podman pull" "$podman_cmd")
if [ "$NO_CTR" != 1 ]; then
	sh -c "$ctr_prep" && sh -c "$ctr_cmd" || die "ctr cannot pull $ref"
	"$CTR" --address "$work/ctrd/sock" -n bench images ls -q | grep -qx "$ref" || die "ctr did not record $ref"
	args+=(--prepare "$ctr_prep" -n "ctr pull" "$ctr_cmd")
fi

mkdir -p "$results"
hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$results/pull.json" \
	--export-markdown "$results/pull.md" "${args[@]}"

jq -r '.results as $r | ($r[] | "\(.command): \(.mean * 1000 | round) ms ± \(.stddev * 1000 | round) ms"),
	"berth / podman: \(($r[0].mean / $r[1].mean) * 100 | round / 100)x",
	(if ($r | length) > 2 then "berth / ctr: \(($r[0].mean / $r[2].mean) * 100 | round / 100)x" else empty end)' \
	"$results/pull.json"
