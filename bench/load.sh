#!/usr/bin/env bash
# bench/load.sh: `berth load -i` against `podman load -i` of the same large
# docker-archive (bench/make-big-image.sh: a Debian bookworm minbase rootfs
# plus a layer of docs and 96 MiB of random data, two uncompressed layers,
# ~230 MB), each into a fresh store every run (podman: its own --root with
# the overlay driver, as a default podman would use; berth: its own
# BERTH_ROOT).  Both stores live on the same filesystem (/var/tmp), the
# archive is in the page cache for both.
#
# Environment: BERTH (binary), PODMAN, RUNS (default 5), WARMUP (default 1),
# BENCH_GZIP=1 to load a gzip'ed copy of the archive instead (berth reads it
# in one pass, inflating; podman 4 cannot read it, so it gets `gzip -dc |`),
# BERTH_BENCH_CACHE (where the image is built and kept, default
# /var/tmp/berth-bench).  Results in bench/results/load*.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH=${BERTH:-$top/build/src/cmd/berth/berth}
PODMAN=${PODMAN:-$(command -v podman || true)}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
BENCH_GZIP=${BENCH_GZIP:-0}
results=$top/bench/results

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

command -v hyperfine >/dev/null || die "hyperfine not installed (make deps)"
command -v jq >/dev/null || die "jq not installed"
[ -x "$BERTH" ] || die "\`$BERTH\` not built (make build)"
[ -n "$PODMAN" ] || die "podman not installed"

image=$("$top/bench/make-big-image.sh")
suffix=
if [ "$BENCH_GZIP" = 1 ]; then
	[ -s "$image.gz" ] || gzip -c "$image" >"$image.gz"
	image=$image.gz
	suffix=-gzip
fi

work=$(mktemp -d "${BERTH_BENCH_CACHE:-/var/tmp/berth-bench}/load.XXXXXX")
# podman's overlay driver keeps its home bind-mounted
unmount_all() {
	awk -v d="$work" 'index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
}
cleanup() {
	unmount_all
	rm -rf "$work"
}
trap cleanup EXIT

berth_cmd="BERTH_ROOT=$work/berth BERTH_RUN_ROOT=$work/berth-run $BERTH load -q -i $image"
podman_cmd="$PODMAN --root $work/podman --runroot $work/podman-run --storage-driver overlay load -q -i $image"
[ "$BENCH_GZIP" = 1 ] &&
	podman_cmd="gzip -dc $image | $PODMAN --root $work/podman --runroot $work/podman-run --storage-driver overlay load -q"

# Both must load it once before they are timed (and agree on the id).
sh -c "$berth_cmd" >/dev/null || die "berth cannot load $image"
sh -c "$podman_cmd" >/dev/null || die "podman cannot load $image"
berth_id=$(BERTH_ROOT=$work/berth BERTH_RUN_ROOT=$work/berth-run "$BERTH" images -q --no-trunc | head -n1)
podman_id=sha256:$($PODMAN --root "$work/podman" --runroot "$work/podman-run" --storage-driver overlay images -q --no-trunc |
	head -n1 | sed 's/^sha256://')
[ "$berth_id" = "$podman_id" ] || die "berth loaded $berth_id, podman $podman_id"

ls -l "$image"
mkdir -p "$results"
hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$results/load$suffix.json" \
	--export-markdown "$results/load$suffix.md" \
	--prepare "rm -rf $work/berth $work/berth-run; sync" -n "berth load" "$berth_cmd" \
	--prepare "umount -l $work/podman/overlay 2>/dev/null; rm -rf $work/podman $work/podman-run; sync" \
	-n "podman load" "$podman_cmd"

jq -r '.results as $r | ($r[] | "\(.command): mean \(.mean * 1000 | round) ms ± \(.stddev * 1000 | round) ms, median \(.median * 1000 | round) ms, min \(.min * 1000 | round) ms"),
	"podman / berth: mean \(($r[1].mean / $r[0].mean) * 100 | round / 100)x, median \(($r[1].median / $r[0].median) * 100 | round / 100)x"' \
	"$results/load$suffix.json"
