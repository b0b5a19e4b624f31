#!/usr/bin/env bash
# bench/exec.sh: latency of `exec CTR true` in berth-runtime against runc and
# crun.  Each runtime gets a running container (busybox `sleep`, new mnt, pid,
# net, uts, ipc and cgroup namespaces, its own cgroup) from the same bundle,
# then hyperfine times `RUNTIME --root R exec CTR true`.
#
# crun refuses hybrid cgroup hosts (v1 controllers + an empty v2 mount), so on
# such a host the whole benchmark, all three runtimes alike, runs in a private
# mount namespace where /sys/fs/cgroup/unified is lazily unmounted.
#
# Environment: BERTH, RUNC, CRUN (binaries), RUNS (default 200), WARMUP
# (default 20), SECCOMP=1 to give the containers a seccomp profile (the
# default-allow profile of tests/e2e plus one rule).  Results in
# bench/results/exec-*.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH=${BERTH:-$top/build/src/cmd/berth-runtime/berth-runtime}
RUNC=${RUNC:-$(command -v runc || true)}
CRUN=${CRUN:-$(command -v crun || true)}
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
SECCOMP=${SECCOMP:-}
results=$top/bench/results

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_enter_v1_view "$0" "$@"

command -v hyperfine >/dev/null || die "hyperfine not installed (make deps)"
[ -x "$BERTH" ] || die "\`$BERTH\` not built (make build)"

names=(berth)
bins=("$BERTH")
[ -n "$RUNC" ] && names+=(runc) && bins+=("$RUNC")
[ -n "$CRUN" ] && names+=(crun) && bins+=("$CRUN")

# State on tmpfs, as /run is on a real host.
base=/run
[ -w "$base" ] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/berth-bench-exec.XXXXXX")
cleanup() {
	local i
	for i in "${!names[@]}"; do
		"${bins[$i]}" --root "$work/${names[$i]}" delete --force "exec-${names[$i]}" >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

# One config for all: runc's spec (Debian's crun 1.8 refuses newer ociVersions).
bundle=$work/bundle
RUNTIME=${RUNC:-$BERTH} BERTH_ROOTFS_CACHE=$work/rootfs "$top/scripts/make-bundle.sh" "$bundle" --shared-rootfs \
	-- sleep 1000000
filter='.linux.namespaces = [{type: "mount"}, {type: "pid"}, {type: "network"}, {type: "uts"}, {type: "ipc"}, {type: "cgroup"}]
	| .ociVersion = "1.0.2" | del(.linux.cgroupsPath)'
if [ -n "$SECCOMP" ]; then
	filter+=' | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
fi
jq "$filter" "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

cmds=()
for i in "${!names[@]}"; do
	n=${names[$i]}
	mkdir -p "$work/$n"
	# A distinct id per runtime: the cgroup is named after it (no cgroupsPath).
	"${bins[$i]}" --root "$work/$n" run -d --bundle "$bundle" "exec-$n" </dev/null >/dev/null ||
		die "$n cannot run the bundle"
	"${bins[$i]}" --root "$work/$n" exec "exec-$n" true </dev/null || die "$n cannot exec"
	cmds+=(-n "$n" "${bins[$i]} --root $work/$n exec exec-$n true")
done

mkdir -p "$results"
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$results/exec-hyperfine.json" \
	--export-markdown "$results/exec-hyperfine.md" "${cmds[@]}"

mean_ms() {
	jq -r --arg n "$1" '.results[] | select(.command == $n) | .mean * 1000' "$results/exec-hyperfine.json"
}

{
	printf '\nexec latency%s\n%-8s %10s %10s %10s\n' "${SECCOMP:+ (with seccomp)}" runtime "mean ms" "stddev ms" \
		"min ms"
	for n in "${names[@]}"; do
		jq -r --arg n "$n" '.results[] | select(.command == $n)
			| [$n, (.mean * 1000), (.stddev * 1000), (.min * 1000)] | @tsv' "$results/exec-hyperfine.json" |
			awk -F'\t' '{ printf "%-8s %10.2f %10.2f %10.2f\n", $1, $2, $3, $4 }'
	done
	berth=$(mean_ms berth)
	for n in runc crun; do
		other=$(mean_ms "$n")
		[ -n "$other" ] || continue
		awk -v b="$berth" -v o="$other" -v n="$n" 'BEGIN { printf "berth/%s: time %.2fx\n", n, b / o }'
	done
} | tee "$results/exec-summary.txt"
