#!/usr/bin/env bash
# tests/vm/run.sh: run tests/vm/tests.sh against berth-runtime in a qemu VM
# whose only cgroup hierarchy is cgroup v2 (`make check-cgroup2`).
#
# The host may have any cgroup layout: the VM boots an installed Debian kernel
# (linux-image-amd64; it need not be the running one) with cgroup_no_v1=all
# and an initramfs built here from busybox-static, berth-runtime, jq (with the
# shared libraries they need, at their host paths), a busybox bundle from
# scripts/make-bundle.sh and tests/vm/{init,tests.sh}.  The VM has no network
# device and no disk; everything it needs is in the initramfs.  Its serial
# console is printed as it comes; the result is the `VM-RESULT:` line that
# tests/vm/init prints before it powers off.
#
# Exit status: 0 when every test passed or was skipped; 1 when a test failed,
# the VM printed no result or ran past the timeout; 2 on a setup error.
#
# Environment:
#   RUNTIME           berth-runtime to test (default build/src/cmd/berth-runtime/berth-runtime)
#   BERTH_VM_KERNEL   kernel image (default: the newest /boot/vmlinuz-*)
#   BERTH_VM_ACCEL    kvm, tcg or auto (default: kvm when /dev/kvm can be opened)
#   BERTH_VM_TIMEOUT  seconds before the VM is killed (default 180 with KVM, 600 with TCG)
#   BERTH_VM_FILTER   run only the tests whose name contains this string
#   BERTH_VM_DIR      work directory for the initramfs and the console log (default build/vm)
#   QEMU              qemu binary (default qemu-system-x86_64)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$top/tests/vm
runtime=${RUNTIME:-$top/build/src/cmd/berth-runtime/berth-runtime}
work=${BERTH_VM_DIR:-$top/build/vm}
qemu=${QEMU:-qemu-system-x86_64}
accel=${BERTH_VM_ACCEL:-auto}
filter=${BERTH_VM_FILTER:-}

vm_name=vm
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

vm_need "$qemu"
vm_need cpio
vm_need jq
vm_need ldd
vm_need timeout
[ -x "$runtime" ] || vm_die "\`$runtime\` not built (ninja -C build)"
runtime=$(realpath "$runtime")
[ -x /bin/busybox ] || vm_die "/bin/busybox not found (install busybox-static)"
case "$filter" in
*[!A-Za-z0-9_.-]*) vm_die "BERTH_VM_FILTER may hold only letters, digits, \`_\`, \`.\` and \`-\`" ;;
esac

kernel=$(vm_kernel)
vm_accel 180 600

mkdir -p "$work"
work=$(cd "$work" && pwd)
stage=$work/stage
initrd=$work/initramfs.cpio
log=$work/console.log
rm -rf "$stage"
mkdir -p "$stage"

build_initramfs() {
	local d a
	for d in bin dev proc sys run tmp newroot etc berth; do
		mkdir -p "$stage/$d"
	done
	cp /bin/busybox "$stage/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
	done
	vm_copy_elf "$runtime" /usr/bin/berth-runtime
	vm_copy_elf "$(command -v jq)" /usr/bin/jq
	install -m 755 "$here/init" "$stage/init"
	install -m 644 "$here/tests.sh" "$stage/berth/tests.sh"
	echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
	echo "root:x:0:" >"$stage/etc/group"
	# The container's rootfs and base config.json (process.args replaced per test).
	RUNTIME=$runtime "$top/scripts/make-bundle.sh" "$stage/berth/bundle" -- true >/dev/null
	vm_pack "$initrd"
}

t0=$(date +%s%N)
build_initramfs
t1=$(date +%s%N)
echo "vm: initramfs $initrd ($(($(stat -c %s "$initrd") / 1024)) KiB) built in $(vm_secs "$t0" "$t1")s;" \
	"kernel $kernel; accel $accel; timeout ${timeout_s}s"

append="console=ttyS0 quiet panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all init=/init"
append+=" berth.timeout=$vm_timeout"
[ -z "$filter" ] || append+=" berth.filter=$filter"

vm_boot "cgroup v2" 1024 "$kernel" "$initrd" "$append" "$log" || exit 1
