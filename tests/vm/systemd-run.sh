#!/usr/bin/env bash
# tests/vm/systemd-run.sh: berth-runtime's systemd cgroup driver in a qemu VM
# that boots systemd as PID 1 (`make check-systemd`).
#
# Nothing on a build host runs systemd as PID 1, so the VM does: a Debian
# bookworm rootfs (debootstrap --variant=minbase with systemd and dbus, made
# once and cached) with berth-runtime, jq, a busybox bundle and
# tests/vm/systemd-tests.sh added, packed into an uncompressed initramfs.
# Its /init (tests/vm/systemd-init) makes / a bind mount (pivot_root(2), which
# containers use, does not work on the initial rootfs) and execs systemd,
# which starts only berth-test.service (systemd.unit=): the tests, TAP on the
# serial console, a `VM-RESULT:` line, then power off.  No network device, no
# disk.
#
# The VM boots once per cgroup layout: unified (cgroup v2, systemd's default)
# and hybrid (systemd.unified_cgroup_hierarchy=0: v1 controllers and the
# name=systemd hierarchy, plus cgroup2 at /sys/fs/cgroup/unified).
#
# Exit status: 0 when every boot passed; 1 when a test failed, a VM printed no
# result or ran past the timeout; 2 on a setup error.
#
# Environment:
#   RUNTIME           berth-runtime to test (default build/src/cmd/berth-runtime/berth-runtime)
#   BERTH_VM_KERNEL   kernel image (default: the newest /boot/vmlinuz-*)
#   BERTH_VM_ACCEL    kvm, tcg or auto (default: kvm when usable, see run.sh)
#   BERTH_VM_TIMEOUT  seconds before a VM is killed (default 240 with KVM, 600 with TCG)
#   BERTH_VM_LAYOUTS  the layouts to boot, from "unified hybrid" (the default)
#   BERTH_VM_DIR      work directory (default build/vm-systemd)
#   BERTH_VM_ROOTFS   the cached debootstrap rootfs (default /var/tmp/berth-vm-cache/bookworm-systemd);
#                     made when missing, which needs root and the Debian mirror
#   BERTH_VM_MIRROR   Debian mirror for debootstrap (default: the first deb.debian.org-style
#                     URI in /etc/apt/sources.list*, else http://deb.debian.org/debian)
#   QEMU              qemu binary (default qemu-system-x86_64)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$top/tests/vm
runtime=${RUNTIME:-$top/build/src/cmd/berth-runtime/berth-runtime}
work=${BERTH_VM_DIR:-$top/build/vm-systemd}
rootfs=${BERTH_VM_ROOTFS:-/var/tmp/berth-vm-cache/bookworm-systemd}
qemu=${QEMU:-qemu-system-x86_64}
accel=${BERTH_VM_ACCEL:-auto}
layouts=${BERTH_VM_LAYOUTS:-unified hybrid}

vm_name=vm-systemd
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

vm_need "$qemu"
vm_need cpio
vm_need jq
vm_need ldd
vm_need timeout
[ -x "$runtime" ] || vm_die "\`$runtime\` not built (ninja -C build)"
runtime=$(realpath "$runtime")
# libsystemd is opened when the driver needs it (src/cgroups/sd-bus-load.c): ask the binary, not ldd
"$runtime" features | jq -e '.linux.cgroup.systemd' >/dev/null ||
	vm_die "\`$runtime\` was built without libsystemd (install libsystemd-dev, reconfigure)"
[ -x /bin/busybox ] || vm_die "/bin/busybox not found (install busybox-static)"
for l in $layouts; do
	case "$l" in
	unified | hybrid) ;;
	*) vm_die "BERTH_VM_LAYOUTS: unknown layout \`$l\` (unified, hybrid)" ;;
	esac
done

kernel=$(vm_kernel)
vm_accel 240 600

mirror() {
	local m
	m=${BERTH_VM_MIRROR:-}
	if [ -z "$m" ]; then
		m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
			sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(http[^[:space:]]*\)[[:space:]]\+bookworm[[:space:]].*/\2/p; s/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)[[:space:]]*$/\1/p' |
			head -n 1)
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

# The debootstrap rootfs, made once: systemd, dbus and their dependencies.
make_rootfs() {
	local tmp=$rootfs.tmp m
	[ -x "$rootfs/lib/systemd/systemd" ] && return 0
	[ "$(id -u)" -eq 0 ] || vm_die "the VM rootfs \`$rootfs\` is missing and only root can debootstrap it"
	vm_need debootstrap
	m=$(mirror)
	echo "vm-systemd: debootstrap bookworm (minbase, systemd, dbus) from $m into $rootfs"
	rm -rf "$tmp"
	mkdir -p "$(dirname "$rootfs")"
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$tmp" "$m" >"$tmp.log" 2>&1 ||
		vm_die "debootstrap failed (log: $tmp.log)"
	mv "$tmp" "$rootfs"
}

build_initramfs() {
	rm -rf "$stage"
	cp -a "$rootfs" "$stage"
	# what the VM never reads: smaller image, faster boot under TCG
	rm -rf "$stage"/usr/share/{doc,man,info,locale,zoneinfo} "$stage"/var/cache/apt/* "$stage"/var/lib/apt/lists/*
	vm_copy_elf "$runtime" /usr/bin/berth-runtime
	[ -x "$stage/usr/bin/jq" ] || vm_copy_elf "$(command -v jq)" /usr/bin/jq
	install -m 755 "$here/systemd-init" "$stage/init"
	mkdir -p "$stage/berth" "$stage/newroot"
	install -m 755 "$here/systemd-tests.sh" "$stage/berth/systemd-tests.sh"
	cat >"$stage/etc/systemd/system/berth-test.service" <<-'EOF'
		[Unit]
		Description=berth systemd cgroup driver tests
		# Wants, not Requires: a test stops dbus
		Wants=dbus.socket
		After=dbus.socket
		SuccessAction=poweroff-force
		FailureAction=poweroff-force

		[Service]
		Type=oneshot
		ExecStart=/berth/systemd-tests.sh
		StandardOutput=tty
		StandardError=tty
		TTYPath=/dev/ttyS0
		TimeoutStartSec=infinity
	EOF
	echo berth-vm >"$stage/etc/hostname"
	: >"$stage/etc/machine-id"
	RUNTIME=$runtime "$top/scripts/make-bundle.sh" "$stage/berth/bundle" -- true >/dev/null
	vm_pack "$initrd"
}

boot() {
	local layout=$1 append
	append="console=ttyS0 quiet panic=-1 init=/init systemd.unit=berth-test.service"
	append+=" systemd.show_status=0 systemd.log_level=warning systemd.log_target=console"
	append+=" berth.timeout=$vm_timeout"
	if [ "$layout" = hybrid ]; then
		append+=" systemd.unified_cgroup_hierarchy=0"
	else
		append+=" systemd.unified_cgroup_hierarchy=1"
	fi
	echo "vm-systemd: booting ($layout cgroups; kernel $kernel; accel $accel; timeout ${timeout_s}s)"
	vm_boot "$layout" 1536 "$kernel" "$initrd" "$append" "$work/console-$layout.log"
}

mkdir -p "$work"
work=$(cd "$work" && pwd)
stage=$work/stage
initrd=$work/initramfs.cpio

make_rootfs
t0=$(date +%s%N)
build_initramfs
t1=$(date +%s%N)
echo "vm-systemd: initramfs $initrd ($(($(stat -c %s "$initrd") / 1024 / 1024)) MiB) built in $(vm_secs "$t0" "$t1")s"

rc=0
for l in $layouts; do
	boot "$l" || rc=1
done
exit $rc
