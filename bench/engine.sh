#!/usr/bin/env bash
# bench/engine.sh: the berth engine against podman, the daemonless engine it
# is closest to.  Both run the same busybox image (berth's bootstrap image,
# `berth save | podman load`), with no network:
#
#   run      berth run --rm busybox true
#            podman run --rm --network none busybox true
#   lifecycle  run -d busybox sleep, exec CTR true, rm -f CTR (one command line)
#
# then prints the ratios, and the resident memory of what stays beside a
# running container: berth's monitor against podman's conmon.
#
# podman gets a private store (--root under the work dir, --runroot on
# /run), its own containers.conf and storage.conf, cgroupfs and file locks,
# and its default OCI runtime (crun).  The system's /var/lib/containers is
# never written: the load runs with /var/lib read-only.  crun refuses hybrid
# cgroup hosts, so on one the whole benchmark runs in the legacy-v1 view
# (bench/lib.sh), berth alike.
#
# Environment: BERTH_CLI (the berth binary), PODMAN, RUNS (default 30),
# WARMUP (default 3), BENCH_DIR (default bench/.cache).  Results in
# bench/results/engine-*.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH_CLI=${BERTH_CLI:-$top/build/src/cmd/berth/berth}
PODMAN=${PODMAN:-$(command -v podman || true)}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
BENCH_DIR=${BENCH_DIR:-$top/bench/.cache}
results=$top/bench/results

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_enter_v1_view "$0" "$@"

command -v hyperfine >/dev/null || die "hyperfine not installed (make deps)"
command -v jq >/dev/null || die "jq not installed"
[ -x "$BERTH_CLI" ] || die "\`$BERTH_CLI\` not built (make build)"
[ -n "$PODMAN" ] || echo "bench: podman not installed: berth alone" >&2

# Stores on disk, run roots on /run (tmpfs, as on a real host); short run
# paths: unix sockets live there.
mkdir -p "$BENCH_DIR" "$results"
work=$(mktemp -d "$BENCH_DIR/engine.XXXXXX")
work=$(realpath "$work")
runbase=/run
[ -w "$runbase" ] || runbase=${TMPDIR:-/tmp}
run=$(mktemp -d "$runbase/bbe.XXXXXX")

export BERTH_ROOT=$work/berth BERTH_RUN_ROOT=$run/b
pm_args=(--root "$work/podman" --runroot "$run/p" --tmpdir "$run/pt" --network-config-dir "$work/net"
	--cgroup-manager cgroupfs --events-backend file)
# podman's containers and conmons in a cgroup parent of our own (else /libpod_parent), removed at the end
pm_cgroup=/berth-bench-podman-$$
export CONTAINERS_CONF=$work/containers.conf CONTAINERS_STORAGE_CONF=$work/storage.conf
mkdir -p "$work/net" "$run/pt" "$work/vartmp"

pm() {
	TMPDIR=$work/vartmp "$PODMAN" "${pm_args[@]}" "$@"
}

cleanup() {
	local id
	set +e
	for id in $("$BERTH_CLI" ps -aq --no-trunc 2>/dev/null); do "$BERTH_CLI" rm -f -v "$id" >/dev/null 2>&1; done
	[ -z "$PODMAN" ] || pm rm -a -f -t 0 >/dev/null 2>&1
	awk -v a="$work/" -v b="$run/" 'index($5, a) == 1 || index($5, b) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$work" "$run"
	find /sys/fs/cgroup/*"$pm_cgroup" /sys/fs/cgroup"$pm_cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
}
trap cleanup EXIT

cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
netns = "none"
# below any host's hard limits: rootful podman's defaults need CAP_SYS_RESOURCE
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
lock_type = "file"
runtime = "crun"
EOF
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' "$work/podman" "$run/p" >"$CONTAINERS_STORAGE_CONF"

"$BERTH_CLI" image bootstrap >/dev/null
"$BERTH_CLI" run --rm busybox true || die "berth cannot run busybox"
names=(berth)
run_cmds=(-n berth "$BERTH_CLI run --rm busybox true")
life_cmds=(-n berth "id=\$($BERTH_CLI run -d busybox sleep 1000) && $BERTH_CLI exec \$id true && $BERTH_CLI rm -f \$id >/dev/null")
if [ -n "$PODMAN" ]; then
	# podman load writes a blob cache to /var/lib/containers/cache whatever --root says: not here
	# (the full name: a short one is saved without its tag)
	"$BERTH_CLI" save localhost/busybox:latest | TMPDIR=$work/vartmp unshare --mount --propagation private bash -c \
		'mount --bind /var/lib /var/lib && mount -o remount,bind,ro /var/lib && exec "$@"' - \
		"$PODMAN" "${pm_args[@]}" load -q >/dev/null
	pm run --rm --pull never --cgroup-parent "$pm_cgroup" --network none localhost/busybox true || die "podman cannot run busybox"
	pmc="TMPDIR=$work/vartmp $PODMAN ${pm_args[*]}"
	names+=(podman)
	run_cmds+=(-n podman "$pmc run --rm --pull never --cgroup-parent $pm_cgroup --network none localhost/busybox true")
	life_cmds+=(-n podman "id=\$($pmc run -d --pull never --cgroup-parent $pm_cgroup --network none localhost/busybox sleep 1000) && $pmc exec \$id true && $pmc rm -f -t 0 \$id >/dev/null")
fi

hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$results/engine-run.json" \
	--export-markdown "$results/engine-run.md" "${run_cmds[@]}"
hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$results/engine-lifecycle.json" \
	--export-markdown "$results/engine-lifecycle.md" "${life_cmds[@]}"

# What stays resident beside a running container: berth-monitor, conmon (KiB).
id=$("$BERTH_CLI" run -d busybox sleep 1000)
pid=$("$BERTH_CLI" inspect --format '{{.State.Pid}}' "$id")
mon=$(awk '{ print $4 }' "/proc/$pid/stat")
monitor_rss=$(ps -o rss= -p "$mon" | tr -d ' ')
monitor_name=$(cat "/proc/$mon/comm")
"$BERTH_CLI" rm -f "$id" >/dev/null
conmon_rss=
if [ -n "$PODMAN" ]; then
	id=$(pm run -d --pull never --cgroup-parent "$pm_cgroup" --network none localhost/busybox sleep 1000)
	cpid=$(pm inspect --format '{{.State.ConmonPid}}' "$id")
	conmon_rss=$(ps -o rss= -p "$cpid" | tr -d ' ')
	pm rm -f -t 0 "$id" >/dev/null
fi

mean_ms() {
	jq -r --arg n "$1" '.results[] | select(.command == $n) | .mean * 1000' "$results/$2.json"
}

{
	printf '\n%-10s %-8s %10s %10s %10s\n' bench engine "mean ms" "stddev ms" "min ms"
	for b in run lifecycle; do
		for n in "${names[@]}"; do
			jq -r --arg n "$n" --arg b "$b" '.results[] | select(.command == $n)
				| [$b, $n, (.mean * 1000), (.stddev * 1000), (.min * 1000)] | @tsv' "$results/engine-$b.json" |
				awk -F'\t' '{ printf "%-10s %-8s %10.2f %10.2f %10.2f\n", $1, $2, $3, $4, $5 }'
		done
	done
	if [ -n "$PODMAN" ]; then
		for b in run lifecycle; do
			awk -v b="$b" -v x="$(mean_ms berth "engine-$b")" -v y="$(mean_ms podman "engine-$b")" \
				'BEGIN { printf "berth/podman %-10s %.2fx (%.1f vs %.1f ms)\n", b, x / y, x, y }'
		done
	fi
	echo "resident beside a running container: $monitor_name ${monitor_rss} KiB${conmon_rss:+, conmon $conmon_rss KiB}"
} | tee "$results/engine-summary.txt"
