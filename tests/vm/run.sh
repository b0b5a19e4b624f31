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

die() {
	echo "vm: $*" >&2
	exit 2
}

need() {
	command -v "$1" >/dev/null 2>&1 || die "\`$1\` not found (install it with: scripts/deps.sh --vm)"
}

need "$qemu"
need cpio
need jq
need ldd
need timeout
[ -x "$runtime" ] || die "\`$runtime\` not built (ninja -C build)"
runtime=$(realpath "$runtime")
[ -x /bin/busybox ] || die "/bin/busybox not found (install busybox-static)"
case "$filter" in
*[!A-Za-z0-9_.-]*) die "BERTH_VM_FILTER may hold only letters, digits, \`_\`, \`.\` and \`-\`" ;;
esac

kernel=${BERTH_VM_KERNEL:-}
if [ -z "$kernel" ]; then
	kernel=$(printf '%s\n' /boot/vmlinuz-* | grep -v '\*' | sort -V | tail -n 1 || true)
	[ -n "$kernel" ] || die "no kernel in /boot (install linux-image-amd64: scripts/deps.sh --vm)"
fi
[ -r "$kernel" ] || die "cannot read \`$kernel\`"

# kvm_usable: can qemu run a stock kernel under KVM here?  It must open
# /dev/kvm read-write, and KVM must be backed by VT-x or AMD-V: a host that
# is itself a VM may offer /dev/kvm through kvm_pvm (pagetable-based virtual
# machines), which boots only PVM-enabled guest kernels; Debian's hangs.
kvm_usable() {
	[ -c /dev/kvm ] || return 1
	{ exec 3<>/dev/kvm; } 2>/dev/null || return 1
	exec 3>&-
	[ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]
}

if [ "$accel" = auto ]; then
	if kvm_usable; then
		accel=kvm
	else
		accel=tcg
		[ ! -c /dev/kvm ] || echo "vm: /dev/kvm is not usable for a stock kernel (no kvm_intel/kvm_amd, or no access): using TCG"
	fi
fi
case "$accel" in
kvm) cpu=host; timeout_s=${BERTH_VM_TIMEOUT:-180} ;;
tcg) cpu=max; timeout_s=${BERTH_VM_TIMEOUT:-600} ;;
*) die "BERTH_VM_ACCEL must be kvm, tcg or auto" ;;
esac
# The VM stops itself a little before the host gives up on it, so a hung test
# still leaves a result line and the host timeout only catches a hung VM.
vm_timeout=$((timeout_s > 60 ? timeout_s - 30 : timeout_s * 3 / 4))

mkdir -p "$work"
work=$(cd "$work" && pwd)
stage=$work/stage
initrd=$work/initramfs.cpio
log=$work/console.log
rm -rf "$stage"
mkdir -p "$stage"

# copy_elf FILE [DEST]: FILE at DEST (default: the same path) in the stage,
# with every shared library and the dynamic loader at their host paths.
copy_elf() {
	local file=$1 dest=${2:-$1} lib
	mkdir -p "$stage$(dirname "$dest")"
	cp -L "$file" "$stage$dest"
	# ldd prints "name => /path (addr)" or "/path (addr)"; vdso has no path.
	for lib in $(ldd "$file" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}

# secs T0 T1: seconds between two `date +%s%N`, one decimal.
secs() {
	local ds=$((($2 - $1) / 100000000))
	echo "$((ds / 10)).$((ds % 10))"
}

build_initramfs() {
	local d a
	for d in bin dev proc sys run tmp newroot etc berth; do
		mkdir -p "$stage/$d"
	done
	cp /bin/busybox "$stage/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
	done
	copy_elf "$runtime" /usr/bin/berth-runtime
	copy_elf "$(command -v jq)" /usr/bin/jq
	install -m 755 "$here/init" "$stage/init"
	install -m 644 "$here/tests.sh" "$stage/berth/tests.sh"
	echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
	echo "root:x:0:" >"$stage/etc/group"
	# The container's rootfs and base config.json (process.args replaced per test).
	RUNTIME=$runtime "$top/scripts/make-bundle.sh" "$stage/berth/bundle" -- true >/dev/null
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) >"$initrd"
}

t0=$(date +%s%N)
build_initramfs
t1=$(date +%s%N)
echo "vm: initramfs $initrd ($(($(stat -c %s "$initrd") / 1024)) KiB) built in $(secs "$t0" "$t1")s;" \
	"kernel $kernel; accel $accel; timeout ${timeout_s}s"

append="console=ttyS0 quiet panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all init=/init"
append+=" berth.timeout=$vm_timeout"
[ -z "$filter" ] || append+=" berth.filter=$filter"

# -nodefaults: no NIC (the VM never touches the host network), no disk, no
# monitor; -no-reboot with panic=-1: a dying /init ends qemu at once.  The
# console goes to stdout without \r and without SeaBIOS's terminal escapes
# (one of them turns off line wrapping in the user's terminal).
set +e
timeout -k 10 "$timeout_s" "$qemu" \
	-accel "$accel" -cpu "$cpu" -m 1024 -smp 2 \
	-nodefaults -nographic -no-reboot -serial stdio -monitor none -nic none \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	</dev/null 2>&1 | tr -d '\r' | sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[A-Za-z]//g' | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e
t2=$(date +%s%N)
echo "vm: the VM ran $(secs "$t1" "$t2")s (accel $accel)"

if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
	echo "vm: FAIL: the VM ran past ${timeout_s}s and was killed (console log: $log)" >&2
	exit 1
fi
result=$(grep -a '^VM-RESULT: ' "$log" | tail -n 1 || true)
if [ -z "$result" ]; then
	echo "vm: FAIL: the VM printed no VM-RESULT line (qemu exit status $qemu_rc; console log: $log)" >&2
	exit 1
fi
passed=$(sed -n 's/^VM-RESULT: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$result")
failed=$(sed -n 's/^VM-RESULT: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$result")
# Cross-check the summary against the TAP lines themselves.
not_ok=$(grep -ac '^not ok ' "$log" || true)
if [ -z "$passed" ] || [ "$failed" != 0 ] || [ "$not_ok" != 0 ] || [ "$passed" -eq 0 ]; then
	echo "vm: FAIL: ${result#VM-RESULT: }" >&2
	grep -a '^not ok ' "$log" | sed 's/^/vm:   /' >&2 || true
	exit 1
fi
echo "vm: PASS: ${result#VM-RESULT: }"
