#!/usr/bin/env bash
# Install every Debian package that berth's build, tests and benchmarks need.
# Idempotent: packages already present are skipped, apt runs only when needed.
#   deps.sh              build and test packages
#   deps.sh --build-only build packages
#   deps.sh --vm         build packages and what tests/vm/run.sh needs
set -euo pipefail

build_pkgs=(
	build-essential meson ninja-build pkg-config
	libjansson-dev libseccomp-dev libcap-dev libarchive-dev
	libcurl4-openssl-dev libssl-dev libsqlite3-dev libmnl-dev libnftables-dev
	zlib1g-dev libzstd-dev liblzma-dev libbz2-dev libisal-dev libsystemd-dev musl-tools
)
test_pkgs=(
	bats jq busybox-static runc crun containerd podman util-linux procps
	iproute2 nftables hyperfine valgrind time skopeo umoci buildah docker-registry python3 debootstrap
	apache2-utils openssl curl sqlite3 zstd
)

# Only for `make check-cgroup2` and `make check-systemd` (tests/vm/): a kernel to boot, not to run.
vm_pkgs=(
	linux-image-amd64 qemu-system-x86 cpio busybox-static jq debootstrap
)

want=("${build_pkgs[@]}")
case "${1:-}" in
--build-only) ;;
--vm) want+=("${vm_pkgs[@]}") ;;
*) want+=("${test_pkgs[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
