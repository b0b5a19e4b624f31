#!/usr/bin/env bash
# bench/inflate.sh: gzip inflate rate of zlib against ISA-L's igzip on a
# realistic layer (a tar of parts of this host's /usr: Python, headers,
# sbin, Perl; about 230 MB), compressed with gzip -6 as docker and buildah
# do.  Prints MB/s of decompressed output for zlib, ISA-L and berth's
# decompressor (whichever of the two it was built with), then the time of a
# whole berth unpack of that layer (inflate, two SHA-256, tar, files).
#
# Environment: INFLATE_BENCH (the helper binary), INFLATE_DIRS (what to tar,
# relative to /), REPS (default 5).  Results in bench/results/inflate.txt.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${INFLATE_BENCH:-$top/build/tests/helpers/inflate-bench}
DIRS=${INFLATE_DIRS:-usr/lib/python3.11 usr/include usr/sbin usr/share/perl}
REPS=${REPS:-5}
results=$top/bench/results

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

[ -x "$BENCH" ] || die "\`$BENCH\` not built (make build)"
dirs=()
for d in $DIRS; do
	[ -d "/$d" ] && dirs+=("$d")
done
[ ${#dirs[@]} -gt 0 ] || die "none of \`$DIRS\` exists"

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-inflate.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$results"

tar -C / --sort=name -cf "$work/layer.tar" "${dirs[@]}" 2>/dev/null || true
gzip -6 -n -c "$work/layer.tar" >"$work/layer.tar.gz"
echo "layer: ${dirs[*]}: $(stat -c %s "$work/layer.tar") bytes, gzip -6: $(stat -c %s "$work/layer.tar.gz") bytes"
rm "$work/layer.tar"

{
	echo "# $(date -u +%F) $(uname -r), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
	"$BENCH" inflate "$work/layer.tar.gz" "$REPS"
	best=
	for _ in 1 2 3; do
		rm -rf "$work/dest" && mkdir "$work/dest"
		sync
		s=$("$BENCH" unpack "$work/layer.tar.gz" "$work/dest" | awk '/^seconds/ {print $2}')
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$s; fi
	done
	echo "full unpack (best of 3): $best s"
} | tee "$results/inflate.txt"
