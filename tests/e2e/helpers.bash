# Shared helpers for the end-to-end tests.  Every test gets its own state
# directory (--root) and bundle under $BATS_TEST_TMPDIR; teardown force-deletes
# whatever the test left behind.
#
# Environment:
#   RUNTIME       the runc-compatible runtime under test
#                 (default: $BERTH_BUILD/src/cmd/berth-runtime/berth-runtime)
#   BERTH_BUILD   the meson build directory (default: <top>/build)
#   HELPERS_DIR   where recvtty and fdcheck live (default: $BERTH_BUILD/tests/helpers)

bats_require_minimum_version 1.5.0

BERTH_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BERTH_BUILD=${BERTH_BUILD:-$BERTH_TOP/build}
RUNTIME=${RUNTIME:-$BERTH_BUILD/src/cmd/berth-runtime/berth-runtime}
HELPERS_DIR=${HELPERS_DIR:-$BERTH_BUILD/tests/helpers}
# One pristine rootfs per bats run, copied into each bundle (make-bundle.sh).
export BERTH_ROOTFS_CACHE=${BERTH_ROOTFS_CACHE:-$BATS_RUN_TMPDIR/rootfs-cache}
export RUNTIME

# --- runtime identity --------------------------------------------------------

runtime_name() {
	if [ -z "${_RUNTIME_NAME:-}" ]; then
		case "$("$RUNTIME" --version 2>/dev/null | head -n1)" in
		berth*) _RUNTIME_NAME=berth ;;
		runc*) _RUNTIME_NAME=runc ;;
		crun*) _RUNTIME_NAME=crun ;;
		*) _RUNTIME_NAME=unknown ;;
		esac
	fi
	echo "$_RUNTIME_NAME"
}

# A test of berth's own behaviour (stricter than runc, or a message format).
requires_berth() {
	[ "$(runtime_name)" = berth ] || skip "berth-only: ${1:-behaviour differs in $(runtime_name)}"
}

requires_helper() {
	[ -x "$HELPERS_DIR/$1" ] || skip "test helper \`$1\` not built ($HELPERS_DIR)"
}

# requires_ns TYPE: the kernel supports namespace TYPE (/proc/self/ns name).
requires_ns() {
	[ -e "/proc/self/ns/$1" ] || skip "kernel without $1 namespaces"
}

cgroup_v2_only() {
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]
}

# --- running the runtime -------------------------------------------------------

# rt ARGS...: the runtime with this test's private state directory.
rt() {
	"$RUNTIME" --root "$ROOT" "$@"
}

# rt_bg ARGS...: `rt ARGS` for create and run -d: the container's stdin is
# /dev/null and its stdout/stderr append to $CTR_OUT/$CTR_ERR, because a
# container holding bats' output pipe would hang `run`.  The runtime's own
# messages land in $CTR_ERR too; on failure they are copied to stderr.
rt_bg() {
	local rc=0
	rt "$@" </dev/null >>"$CTR_OUT" 2>>"$CTR_ERR" || rc=$?
	[ "$rc" -eq 0 ] || cat "$CTR_ERR" >&2
	return "$rc"
}

# --- bundles -------------------------------------------------------------------

# make_bundle [--shared] [--rootless] [-- ARG...]: (re)create $BUNDLE with
# process.args = ARG... (default: sh).  --shared points root.path at the
# read-only pristine rootfs instead of copying it (for tests that never write).
make_bundle() {
	local opts=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--shared) opts+=(--shared-rootfs) ;;
		--) break ;;
		*) opts+=("$1") ;;
		esac
		shift
	done
	"$BERTH_TOP/scripts/make-bundle.sh" "$BUNDLE" --cgroups-path "$CGROUPS_PATH" "${opts[@]}" "$@"
}

# edit_config JQ-FILTER [jq options...]: rewrite $BUNDLE/config.json in place.
edit_config() {
	local filter=$1 tmp
	shift
	tmp=$(mktemp "$BUNDLE/config.json.XXXXXX")
	jq "$@" "$filter" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# json_array ARG...: a JSON array of strings (`jq --args` would eat a "-c").
json_array() {
	local i opts=()
	for i in $(seq 1 $#); do
		opts+=(--arg "a$i" "${!i}")
	done
	jq -cn "${opts[@]}" '[$ARGS.named | to_entries[] | {k: (.key[1:] | tonumber), v: .value}] | sort_by(.k) | map(.v)'
}

# set_args ARG...: process.args = ARG...
set_args() {
	edit_config '.process.args = $a' --argjson a "$(json_array "$@")"
}

# container_pid ID: the init pid from `state`.
container_pid() {
	rt state "$1" | jq -r .pid
}

container_status() {
	rt state "$1" | jq -r .status
}

# wait_for_status ID STATUS [TRIES]: poll `state` (every 50ms).
wait_for_status() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do
		[ "$(container_status "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	echo "container $1 did not reach $2 (is $(container_status "$1" 2>&1))" >&2
	return 1
}

# wait_for_file PATH [TRIES]: poll for PATH to exist and be non-empty.
wait_for_file() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	echo "$1 never appeared" >&2
	return 1
}

# wait_pid_gone PID: the process is gone (a zombie may linger until its
# reaper gets to it, so poll).
wait_pid_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "process $1 still exists" >&2
	return 1
}

# fds_from_ls < `ls -l /proc/self/fd` output: "N TARGET" per open fd, without
# the directory fd ls itself read /proc/self/fd through.
fds_from_ls() {
	tr -d '\r' | awk '/ -> / { t = $NF; n = $(NF - 2); if (t !~ "^/proc/[0-9]+/fd$") print n, t }' | sort -n
}

# --- assertions (no bats-assert on Debian) -------------------------------------

# mount_count: the host's mounts, for "nothing left mounted" checks; mounts
# under /tmp that belong to other test runs (parallel suites) are not counted.
mount_count() {
	awk -v own="${BATS_RUN_TMPDIR:-/nonexistent}" '!(index($5, "/tmp/") == 1 && index($5, own) != 1)' \
		/proc/self/mountinfo | wc -l
}

fail() {
	echo "FAIL: $*" >&2
	[ -z "${stderr:-}" ] || echo "stderr was:"$'\n'"$stderr" >&2
	return 1
}

# assert_output_contains STRING: $output (from `run`) contains STRING.
assert_output_contains() {
	[[ "$output" == *"$1"* ]] || fail "output does not contain \`$1\`; output was:"$'\n'"$output"
}

refute_output_contains() {
	[[ "$output" != *"$1"* ]] || fail "output contains \`$1\`; output was:"$'\n'"$output"
}

assert_stderr_contains() {
	[[ "$stderr" == *"$1"* ]] || fail "stderr does not contain \`$1\`; stderr was:"$'\n'"$stderr"
}

# assert_output_is STRING
assert_output_is() {
	[ "$output" = "$1" ] || fail "expected output \`$1\`, got:"$'\n'"$output"
}

# assert_line_is N STRING: line N (from 0) of $output.
assert_line_is() {
	[ "${lines[$1]:-}" = "$2" ] || fail "expected line $1 = \`$2\`, got \`${lines[$1]:-}\`; output was:"$'\n'"$output"
}

assert_status() {
	[ "$status" -eq "$1" ] || fail "expected exit status $1, got $status; output was:"$'\n'"$output"
}

assert_failure() {
	[ "$status" -ne 0 ] || fail "expected failure, got exit status 0; output was:"$'\n'"$output"
}

assert_success() {
	[ "$status" -eq 0 ] || fail "expected success, got exit status $status; output was:"$'\n'"$output"
}

# --- setup / teardown -----------------------------------------------------------

common_setup() {
	[ -x "$RUNTIME" ] || command -v "$RUNTIME" >/dev/null ||
		skip "runtime \`$RUNTIME\` not built (make build, or RUNTIME=/usr/sbin/runc)"
	ROOT=$BATS_TEST_TMPDIR/root
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	CTR_OUT=$BATS_TEST_TMPDIR/ctr.out
	CTR_ERR=$BATS_TEST_TMPDIR/ctr.err
	: >"$CTR_OUT"
	: >"$CTR_ERR"
	# Unique per test so that a leftover cgroup can never be joined by a later test.
	CGROUPS_PATH=/berth-e2e-$$-${BATS_SUITE_TEST_NUMBER:-$BATS_TEST_NUMBER}
	mkdir -p "$ROOT"
	# bats makes its directories 0700: a container root mapped to another
	# host uid (user namespaces) must still reach the rootfs.
	chmod a+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR" 2>/dev/null || true
	start_watchdog
}

# A test stuck in `run` on a pipe that a container holds (say `run rt exec -d`)
# is beyond BATS_TEST_TIMEOUT's reach, and bats' timeout also kills this
# watchdog; so it fires a little earlier: after E2E_WATCHDOG seconds (default
# BATS_TEST_TIMEOUT - 3, or 120) it force-deletes the test's containers, which
# closes the pipe and lets the test fail.
start_watchdog() {
	local limit=${E2E_WATCHDOG:-120}
	if [ -z "${E2E_WATCHDOG:-}" ] && [ -n "${BATS_TEST_TIMEOUT:-}" ]; then
		limit=$((BATS_TEST_TIMEOUT > 4 ? BATS_TEST_TIMEOUT - 3 : 1))
	fi
	(
		sleep "$limit"
		for id in $(timeout 10 "$RUNTIME" --root "$ROOT" list -q 2>/dev/null); do
			timeout 10 "$RUNTIME" --root "$ROOT" delete --force "$id"
		done
	) </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	WATCHDOG_PID=$!
}

stop_watchdog() {
	[ -n "${WATCHDOG_PID:-}" ] || return 0
	local p
	for p in $(pgrep -P "$WATCHDOG_PID" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	kill "$WATCHDOG_PID" 2>/dev/null
	WATCHDOG_PID=
}

# Force-delete every container the test left in $ROOT and drop its cgroups.
common_teardown() {
	local id ctrl
	stop_watchdog
	if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
		# Bounded: a hung runtime must not hang the whole suite.
		for id in $(timeout 20 "$RUNTIME" --root "$ROOT" list -q 2>/dev/null); do
			timeout 20 "$RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	if [ -n "${CGROUPS_PATH:-}" ]; then
		for ctrl in /sys/fs/cgroup /sys/fs/cgroup/*; do
			[ -d "$ctrl$CGROUPS_PATH" ] && rmdir "$ctrl$CGROUPS_PATH" 2>/dev/null
		done
	fi
	# Mounts a test made under its tmpdir must not outlive it (bats rm -rf's it).
	if [ -n "${BATS_TEST_TMPDIR:-}" ]; then
		awk -v d="$BATS_TEST_TMPDIR" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
			sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	fi
	return 0
}

setup() {
	common_setup
}

teardown() {
	common_teardown
}
