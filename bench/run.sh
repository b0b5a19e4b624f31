#!/usr/bin/env bash
# bench/run.sh: container start-to-exit latency and peak RSS of berth-runtime
# against runc and crun.  Each runtime runs the same busybox bundle (/bin/true
# in new mnt, pid, net, uts, ipc and cgroup namespaces) with its own --root and
# a fresh container id per run.
#
# crun refuses hybrid cgroup hosts (v1 controllers + an empty v2 mount), so on
# such a host the whole benchmark, all three runtimes alike, runs in a private
# mount namespace where /sys/fs/cgroup/unified is lazily unmounted.
#
# Environment: BERTH, RUNC, CRUN (binaries), RUNS (default 100), WARMUP
# (default 10), RSS_RUNS (default 10), SPACED_RUNS (default 30) and SPACING
# (seconds between spaced starts, default 0.3).  Results in bench/results/.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH=${BERTH:-$top/build/src/cmd/berth-runtime/berth-runtime}
RUNC=${RUNC:-$(command -v runc || true)}
CRUN=${CRUN:-$(command -v crun || true)}
RUNS=${RUNS:-100}
WARMUP=${WARMUP:-10}
RSS_RUNS=${RSS_RUNS:-10}
SPACED_RUNS=${SPACED_RUNS:-30}
SPACING=${SPACING:-0.3}
results=$top/bench/results

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_enter_v1_view "$0" "$@"

command -v hyperfine >/dev/null || die "hyperfine not installed (make deps)"
[ -x /usr/bin/time ] || die "/usr/bin/time not installed (package time)"
[ -x "$BERTH" ] || die "\`$BERTH\` not built (make build)"

names=(berth)
bins=("$BERTH")
[ -n "$RUNC" ] && names+=(runc) && bins+=("$RUNC")
[ -n "$CRUN" ] && names+=(crun) && bins+=("$CRUN")

# State on tmpfs, as /run is on a real host.
base=/run
[ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/berth-bench.XXXXXX")
cleanup() {
	local i
	for i in "${!names[@]}"; do
		for id in $("${bins[$i]}" --root "$work/${names[$i]}" list -q 2>/dev/null); do
			"${bins[$i]}" --root "$work/${names[$i]}" delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT

# One config for all: runc's spec (crun 1.8 refuses newer ociVersions).
bundle=$work/bundle
RUNTIME=${RUNC:-$BERTH} BERTH_ROOTFS_CACHE=$work/rootfs "$top/scripts/make-bundle.sh" "$bundle" --shared-rootfs -- /bin/true
jq '.linux.namespaces = [{type: "mount"}, {type: "pid"}, {type: "network"}, {type: "uts"}, {type: "ipc"}, {type: "cgroup"}]
	| .ociVersion = "1.0.2"' "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

cmds=()
for i in "${!names[@]}"; do
	mkdir -p "$work/${names[$i]}"
	# Every run must succeed once before it is timed.
	"${bins[$i]}" --root "$work/${names[$i]}" run --bundle "$bundle" "probe-${names[$i]}" </dev/null ||
		die "${names[$i]} cannot run the bundle"
	# $$ (the shell hyperfine starts per run) makes each container id unique.
	cmds+=(-n "${names[$i]}" "${bins[$i]} --root $work/${names[$i]} run --bundle $bundle b\$\$ </dev/null")
done

mkdir -p "$results"
hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$results/hyperfine.json" \
	--export-markdown "$results/hyperfine.md" "${cmds[@]}"

# Spaced starts, as containers usually start: back to back, the kernel's
# cgroup migration lock often still rides on the previous run's RCU grace
# period; with a pause in between every runtime that migrates a pid pays a
# full grace period (berth's init joins its cgroup without that lock).
hyperfine --warmup 3 --runs "$SPACED_RUNS" --prepare "sleep $SPACING" \
	--export-json "$results/hyperfine-spaced.json" "${cmds[@]}"

# Peak RSS (KiB) of the runtime process: the highest of RSS_RUNS runs.
declare -A rss
for i in "${!names[@]}"; do
	max=0
	for ((r = 0; r < RSS_RUNS; r++)); do
		kib=$(/usr/bin/time -f %M -o "$work/rss" "${bins[$i]}" --root "$work/${names[$i]}" run \
			--bundle "$bundle" "rss$r" </dev/null >/dev/null 2>&1 && cat "$work/rss")
		[ "$kib" -gt "$max" ] && max=$kib
	done
	rss[${names[$i]}]=$max
done

mean_ms() {
	jq -r --arg n "$1" '.results[] | select(.command == $n) | .mean * 1000' "$results/${2:-hyperfine}.json"
}

{
	printf '\n%-8s %10s %10s %10s %14s\n' runtime "mean ms" "stddev ms" "min ms" "peak RSS KiB"
	for n in "${names[@]}"; do
		jq -r --arg n "$n" --arg rss "${rss[$n]}" '.results[] | select(.command == $n)
			| [$n, (.mean * 1000), (.stddev * 1000), (.min * 1000), ($rss | tonumber)]
			| @tsv' "$results/hyperfine.json" |
			awk -F'\t' '{ printf "%-8s %10.2f %10.2f %10.2f %14d\n", $1, $2, $3, $4, $5 }'
	done
	berth=$(mean_ms berth)
	spaced=$(mean_ms berth hyperfine-spaced)
	for n in runc crun; do
		other=$(mean_ms "$n")
		[ -n "$other" ] || continue
		awk -v b="$berth" -v o="$other" -v n="$n" -v rb="${rss[berth]}" -v ro="${rss[$n]}" \
			-v sb="$spaced" -v so="$(mean_ms "$n" hyperfine-spaced)" \
			'BEGIN { printf "berth/%s: time %.2fx back to back, %.2fx spaced (%.1f vs %.1f ms), peak RSS %.2fx\n",
				 n, b / o, sb / so, sb, so, rb / ro }'
	done
} | tee "$results/summary.txt"
