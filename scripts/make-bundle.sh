#!/usr/bin/env bash
# make-bundle.sh DIR [--rootless] [--shared-rootfs] [--cgroups-path P] [-- ARG...]
#
# Build a busybox OCI bundle in DIR from the host's busybox-static: DIR/rootfs
# holds /bin/busybox, a symlink per applet, /etc/passwd and /etc/group and the
# usual empty mount points; DIR/config.json comes from `$RUNTIME spec` (our
# berth-runtime by default, runc when berth-runtime is not built yet), with
# process.terminal=false and process.args set to ARG... (default: sh).
#
# Nothing inside the rootfs is executed while it is built.
#
#   --rootless       ask the runtime for a rootless spec (`spec --rootless`)
#   --shared-rootfs  do not copy a rootfs into DIR: point root.path at the
#                    pristine cached rootfs (absolute path, root.readonly=true).
#                    For tests that never write to the rootfs.
#   --cgroups-path P linux.cgroupsPath = P (default: none, the runtime picks)
#
# Environment:
#   RUNTIME              runtime used for `spec` (default build/src/cmd/berth-runtime/berth-runtime)
#   BERTH_ROOTFS_CACHE   where the pristine rootfs is built once and copied
#                        from (default ${TMPDIR:-/tmp}/berth-rootfs-cache.<uid>)
#   BUSYBOX              busybox binary to use (default /bin/busybox)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
busybox=${BUSYBOX:-/bin/busybox}
cache=${BERTH_ROOTFS_CACHE:-${TMPDIR:-/tmp}/berth-rootfs-cache.$(id -u)}

die() {
	echo "make-bundle.sh: $*" >&2
	exit 1
}

dir=
rootless=
shared=
cgpath=
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--rootless) rootless=--rootless ;;
	--shared-rootfs) shared=1 ;;
	--cgroups-path) [ $# -ge 2 ] || die "--cgroups-path needs a value"; cgpath=$2; shift ;;
	--) shift; args=("$@"); break ;;
	-*) die "unknown option \`$1\`" ;;
	*) [ -z "$dir" ] || die "only one DIR"; dir=$1 ;;
	esac
	shift
done
[ -n "$dir" ] || die "usage: make-bundle.sh DIR [--rootless] [--shared-rootfs] [--cgroups-path P] [-- ARG...]"
[ ${#args[@]} -gt 0 ] || args=(sh)

# A statically linked busybox: the rootfs holds no libraries.
[ -x "$busybox" ] || die "\`$busybox\` not found (install busybox-static)"
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
	die "\`$busybox\` is not statically linked (install busybox-static)"
fi

# build_rootfs DEST: populate DEST (must not exist) with the busybox tree.
build_rootfs() {
	local dest=$1 d a
	mkdir -p "$dest"
	for d in bin sbin usr/bin usr/sbin etc tmp proc sys dev root home/user var/tmp run mnt; do
		mkdir -p "$dest/$d"
	done
	chmod 1777 "$dest/tmp" "$dest/var/tmp"
	chmod 700 "$dest/root"
	cp "$busybox" "$dest/bin/busybox"
	chmod 755 "$dest/bin/busybox"
	# `busybox --list` only prints names: it runs the host binary, not the copy.
	for a in $("$busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$dest/bin/$a"
	done
	cat >"$dest/etc/passwd" <<-'PASSWD'
		root:x:0:0:root:/root:/bin/sh
		user:x:1000:1000:user:/home/user:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	PASSWD
	cat >"$dest/etc/group" <<-'GROUP'
		root:x:0:
		user:x:1000:
		nogroup:x:65534:
	GROUP
	chown 1000:1000 "$dest/home/user" 2>/dev/null || true
	echo berth >"$dest/etc/hostname"
	: >"$dest/etc/hosts"
	: >"$dest/etc/resolv.conf"
}

# The pristine rootfs, built once: concurrent callers race through a
# temporary directory and an atomic rename.
if [ ! -e "$cache/.complete" ]; then
	tmp=$(mktemp -d "$cache.XXXXXX")
	build_rootfs "$tmp/rootfs"
	touch "$tmp/rootfs/.complete"
	rm -rf "$cache"
	mv -T "$tmp/rootfs" "$cache" 2>/dev/null || true
	rm -rf "$tmp"
	[ -e "$cache/.complete" ] || die "cannot build the rootfs cache in \`$cache\`"
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -z "$shared" ]; then
	rm -rf "$dir/rootfs"
	cp -a "$cache" "$dir/rootfs"
	rm -f "$dir/rootfs/.complete"
	rootpath=rootfs
	readonly_root=false
else
	rootpath=$cache
	readonly_root=true
fi

# The spec generator: the runtime under test, or runc while ours is not built.
runtime=${RUNTIME:-$top/build/src/cmd/berth-runtime/berth-runtime}
if ! [ -x "$runtime" ] && ! command -v "$runtime" >/dev/null 2>&1; then
	runtime=runc
fi
# A relative path would not survive the cd below.
case "$runtime" in
*/*) runtime=$(realpath "$runtime") ;;
esac
rm -f "$dir/config.json"
(cd "$dir" && "$runtime" spec $rootless) || die "\`$runtime spec\` failed"

# One --arg per element: `jq --args` would take a "-c" element for its own option.
jqargs=()
for i in "${!args[@]}"; do
	jqargs+=(--arg "a$i" "${args[$i]}")
done
argsjson=$(jq -cn "${jqargs[@]}" '[$ARGS.named | to_entries[] | {k: (.key[1:] | tonumber), v: .value}] | sort_by(.k) | map(.v)')
tmpcfg=$(mktemp "$dir/config.json.XXXXXX")
jq --argjson args "$argsjson" --arg root "$rootpath" --argjson ro "$readonly_root" --arg cg "$cgpath" '
	.process.terminal = false
	| if $cg != "" then .linux.cgroupsPath = $cg else . end
	| .process.args = $args
	| .root.path = $root
	| .root.readonly = $ro
' "$dir/config.json" >"$tmpcfg"
mv "$tmpcfg" "$dir/config.json"
