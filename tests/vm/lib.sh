# tests/vm/lib.sh: what tests/vm/run.sh and tests/vm/systemd-run.sh share:
# tool checks, the kernel and the accelerator, staging binaries into an
# initramfs, and booting a VM whose console ends with a `VM-RESULT:` line.
# Sourced; the caller sets $vm_name (message prefix), $qemu and $accel
# (kvm, tcg or auto), and for vm_copy_elf, $stage.

vm_die() {
	echo "$vm_name: $*" >&2
	exit 2
}

vm_need() {
	command -v "$1" >/dev/null 2>&1 || vm_die "\`$1\` not found (install it with: scripts/deps.sh --vm)"
}

# vm_kernel: $BERTH_VM_KERNEL or the newest /boot/vmlinuz-* (it need not be the running kernel).
vm_kernel() {
	local k=${BERTH_VM_KERNEL:-}
	if [ -z "$k" ]; then
		k=$(printf '%s\n' /boot/vmlinuz-* | grep -v '\*' | sort -V | tail -n 1 || true)
		[ -n "$k" ] || vm_die "no kernel in /boot (install linux-image-amd64: scripts/deps.sh --vm)"
	fi
	[ -r "$k" ] || vm_die "cannot read \`$k\`"
	echo "$k"
}

# kvm_usable: can qemu run a stock kernel under KVM here?  It must open
# /dev/kvm read-write, and KVM must be backed by VT-x or AMD-V: a host that
# is itself a VM may offer /dev/kvm through kvm_pvm (pagetable-based virtual
# machines), which boots only PVM-enabled guest kernels; Debian's hangs.
vm_kvm_usable() {
	[ -c /dev/kvm ] || return 1
	{ exec 3<>/dev/kvm; } 2>/dev/null || return 1
	exec 3>&-
	[ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]
}

# vm_accel KVM_TIMEOUT TCG_TIMEOUT: resolve $accel, set $cpu, $timeout_s
# ($BERTH_VM_TIMEOUT or the default for the accelerator) and $vm_timeout,
# when the VM stops itself: a little before the host gives up on it, so a hung
# test still leaves a result line and the host timeout only catches a hung VM.
vm_accel() {
	if [ "$accel" = auto ]; then
		if vm_kvm_usable; then
			accel=kvm
		else
			accel=tcg
			[ ! -c /dev/kvm ] || echo "$vm_name: /dev/kvm is not usable for a stock kernel (no kvm_intel/kvm_amd, or no access): using TCG"
		fi
	fi
	case "$accel" in
	kvm) cpu=host; timeout_s=${BERTH_VM_TIMEOUT:-$1} ;;
	tcg) cpu=max; timeout_s=${BERTH_VM_TIMEOUT:-$2} ;;
	*) vm_die "BERTH_VM_ACCEL must be kvm, tcg or auto" ;;
	esac
	vm_timeout=$((timeout_s > 60 ? timeout_s - 30 : timeout_s * 3 / 4))
}

# vm_secs T0 T1: seconds between two `date +%s%N`, one decimal.
vm_secs() {
	local ds=$((($2 - $1) / 100000000))
	echo "$((ds / 10)).$((ds % 10))"
}

# vm_copy_elf FILE [DEST]: FILE at DEST (default: the same path) in $stage,
# with every shared library and the dynamic loader at their host paths.
vm_copy_elf() {
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

# vm_pack: $stage as a newc cpio at $1.
vm_pack() {
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) >"$1"
}

# vm_boot LABEL MEMORY_MB KERNEL INITRD APPEND LOG: boot, print the console
# as it comes, and judge the `VM-RESULT: N passed, N failed` line against the
# TAP lines.  Returns 0 on a pass, 1 otherwise.
#
# -nodefaults: no NIC (the VM never touches the host network), no disk, no
# monitor; -no-reboot with panic=-1: a dying /init ends qemu at once.  The
# console goes to stdout without \r and without SeaBIOS's terminal escapes
# (one of them turns off line wrapping in the user's terminal).
vm_boot() {
	local label=$1 mem=$2 kernel=$3 initrd=$4 append=$5 log=$6 t0 t1 qemu_rc result passed failed not_ok
	t0=$(date +%s%N)
	set +e
	timeout -k 10 "$timeout_s" "$qemu" \
		-accel "$accel" -cpu "$cpu" -m "$mem" -smp 2 \
		-nodefaults -nographic -no-reboot -serial stdio -monitor none -nic none \
		-kernel "$kernel" -initrd "$initrd" -append "$append" \
		</dev/null 2>&1 | tr -d '\r' | sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[A-Za-z]//g' | tee "$log"
	qemu_rc=${PIPESTATUS[0]}
	set -e
	t1=$(date +%s%N)
	echo "$vm_name: the $label VM ran $(vm_secs "$t0" "$t1")s (accel $accel)"
	if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
		echo "$vm_name: FAIL ($label): the VM ran past ${timeout_s}s and was killed (console log: $log)" >&2
		return 1
	fi
	result=$(grep -a '^VM-RESULT: ' "$log" | tail -n 1 || true)
	if [ -z "$result" ]; then
		echo "$vm_name: FAIL ($label): no VM-RESULT line (qemu exit status $qemu_rc; console log: $log)" >&2
		return 1
	fi
	passed=$(sed -n 's/^VM-RESULT: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$result")
	failed=$(sed -n 's/^VM-RESULT: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$result")
	# Cross-check the summary against the TAP lines themselves.
	not_ok=$(grep -ac '^not ok ' "$log" || true)
	if [ -z "$passed" ] || [ "$failed" != 0 ] || [ "$not_ok" != 0 ] || [ "$passed" -eq 0 ]; then
		echo "$vm_name: FAIL ($label): ${result#VM-RESULT: }" >&2
		grep -a '^not ok ' "$log" | sed "s/^/$vm_name:   /" >&2 || true
		return 1
	fi
	echo "$vm_name: PASS ($label): ${result#VM-RESULT: }"
}
