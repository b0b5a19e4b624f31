#!/usr/bin/env bash
# bench/network.sh: a container on the default bridge network, berth against
# podman, the daemonless engine it is closest to:
#
#   berth run --rm busybox true                (bridge berth0: netns, veth, lease)
#   podman run --rm localhost/busybox true     (podman's default network)
#   berth run --rm --network none busybox true (for reference: what the network costs)
#
# Each engine runs in a network namespace of its own, made here (their
# default subnets are both 10.88.0.0/16), so neither touches the host's
# network: bridges, veths and NAT rules go with the namespace.  Both run the
# same busybox image (berth's bootstrap image, `berth save | podman load`).
# podman gets a private store (--root under the work dir, --runroot on /run),
# its own containers.conf, storage.conf and network config dir, cgroupfs and
# file locks, and its default OCI runtime (crun); what its network backend is
# (CNI or netavark) is printed.  crun refuses hybrid cgroup hosts, so on one
# the whole benchmark runs in the legacy-v1 view (bench/lib.sh), berth alike.
#
# Environment: BERTH_CLI (the berth binary), PODMAN, RUNS (default 20),
# WARMUP (default 3), BENCH_DIR (default bench/.cache).  Results in
# bench/results/network-*.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH_CLI=${BERTH_CLI:-$top/build/src/cmd/berth/berth}
PODMAN=${PODMAN:-$(command -v podman || true)}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
BENCH_DIR=${BENCH_DIR:-$top/bench/.cache}
results=$top/bench/results

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_enter_v1_view "$0" "$@"

command -v hyperfine >/dev/null || die "hyperfine not installed (make deps)"
command -v jq >/dev/null || die "jq not installed"
command -v ip >/dev/null || die "ip not installed (iproute2)"
[ -x "$BERTH_CLI" ] || die "\`$BERTH_CLI\` not built (make build)"
[ -n "$PODMAN" ] || echo "bench: podman not installed: berth alone" >&2

mkdir -p "$BENCH_DIR" "$results"
work=$(realpath "$(mktemp -d "$BENCH_DIR/network.XXXXXX")")
runbase=/run
[ -w "$runbase" ] || runbase=${TMPDIR:-/tmp}
run=$(mktemp -d "$runbase/bbn.XXXXXX")
ns_b=berth-bench-b-$$
ns_p=berth-bench-p-$$

export BERTH_ROOT=$work/berth BERTH_RUN_ROOT=$run/b
pm_args=(--root "$work/podman" --runroot "$run/p" --tmpdir "$run/pt" --network-config-dir "$work/net"
	--cgroup-manager cgroupfs --events-backend file)
pm_cgroup=/berth-bench-podman-$$
export CONTAINERS_CONF=$work/containers.conf CONTAINERS_STORAGE_CONF=$work/storage.conf
mkdir -p "$work/net" "$run/pt" "$work/vartmp"

pm() {
	TMPDIR=$work/vartmp nsenter --net="/run/netns/$ns_p" "$PODMAN" "${pm_args[@]}" "$@"
}

cleanup() {
	local id
	set +e
	for id in $(ls "$BERTH_ROOT/containers" 2>/dev/null); do
		nsenter --net="/run/netns/$ns_b" "$BERTH_CLI" rm -f "$id" >/dev/null 2>&1
	done
	[ -z "$PODMAN" ] || pm rm -a -f -t 0 >/dev/null 2>&1
	awk -v a="$work/" -v b="$run/" 'index($5, a) == 1 || index($5, b) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount -l "$m"; done
	ip netns del "$ns_b" 2>/dev/null
	ip netns del "$ns_p" 2>/dev/null
	rm -rf "$work" "$run"
	find /sys/fs/cgroup/*"$pm_cgroup" /sys/fs/cgroup"$pm_cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
}
trap cleanup EXIT

for ns in "$ns_b" "$ns_p"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done

cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
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

b="nsenter --net=/run/netns/$ns_b $BERTH_CLI"
"$BERTH_CLI" image bootstrap >/dev/null
$b run --rm busybox true || die "berth cannot run busybox on its bridge"
names=(berth berth-none)
cmds=(-n berth "$b run --rm busybox true" -n berth-none "$b run --rm --network none busybox true")
backend=
if [ -n "$PODMAN" ]; then
	# podman load writes a blob cache to /var/lib/containers/cache whatever --root says: not here
	"$BERTH_CLI" save localhost/busybox:latest | TMPDIR=$work/vartmp unshare --mount --propagation private bash -c \
		'mount --bind /var/lib /var/lib && mount -o remount,bind,ro /var/lib && exec "$@"' - \
		"$PODMAN" "${pm_args[@]}" load -q >/dev/null
	pm run --rm --pull never --cgroup-parent "$pm_cgroup" localhost/busybox true ||
		die "podman cannot run busybox on its default network"
	backend=$(pm info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo unknown)
	pmc="TMPDIR=$work/vartmp nsenter --net=/run/netns/$ns_p $PODMAN ${pm_args[*]}"
	names+=(podman)
	cmds+=(-n podman "$pmc run --rm --pull never --cgroup-parent $pm_cgroup localhost/busybox true")
fi

hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$results/network-run.json" \
	--export-markdown "$results/network-run.md" "${cmds[@]}"

mean_ms() {
	jq -r --arg n "$1" '.results[] | select(.command == $n) | .mean * 1000' "$results/network-run.json"
}

{
	printf '\n%-11s %10s %10s %10s\n' engine "mean ms" "stddev ms" "min ms"
	for n in "${names[@]}"; do
		jq -r --arg n "$n" '.results[] | select(.command == $n) | [$n, (.mean * 1000), (.stddev * 1000), (.min * 1000)]
			| @tsv' "$results/network-run.json" | awk -F'\t' '{ printf "%-11s %10.2f %10.2f %10.2f\n", $1, $2, $3, $4 }'
	done
	if [ -n "$PODMAN" ]; then
		awk -v x="$(mean_ms berth)" -v y="$(mean_ms podman)" -v be="$backend" \
			'BEGIN { printf "berth/podman run --rm on the default network: %.3fx (%.1f vs %.1f ms; podman network backend: %s)\n", x / y, x, y, be }'
	fi
	awk -v x="$(mean_ms berth)" -v y="$(mean_ms berth-none)" \
		'BEGIN { printf "the bridge network costs berth %.1f ms (%.1f vs %.1f ms with --network none)\n", x - y, x, y }'
} | tee "$results/network-summary.txt"
