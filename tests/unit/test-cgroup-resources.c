/*
 * cgroups resources: the linux.resources parser (good input, bad input with
 * the exact messages), runc's v1 -> v2 conversions and the devices emulation
 * (pure); then, as root, the eBPF device program loaded and enforced for
 * real, and resources, freezing, stats and OOM counts on this host's
 * hierarchies (v1) and, through berth_cgroup_set_root_for_testing(), the v2
 * driver on a hybrid host's /sys/fs/cgroup/unified.
 */
#include "cgroups/resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "cgroups/devices.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define MiB (1024 * 1024)

/* the major of /exp-node style test devices: reserved for local use, no driver */
#define EXP_MAJOR 61

static struct berth_cgroup_resources *parse_text(const char *text, struct berth_error *err)
{
	struct berth_cgroup_resources *r = NULL;
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j) {
		tap_diag("bad test json `%s`: %s", text, jerr.text);
		return NULL;
	}
	if (berth_cgroup_resources_parse(j, &r, err) < 0)
		r = NULL;
	json_decref(j);
	return r;
}

static void bad(const char *text, const char *want)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_cgroup_resources *r = parse_text(text, &err);

	tap_ok(!r && err.code == EINVAL && err.msg && strcmp(err.msg, want) == 0, "reject %s: `%s`", text,
	       err.msg ? err.msg : "(accepted)");
	berth_cgroup_resources_free(r);
}

static void test_parse_good(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_cgroup_resources_ struct berth_cgroup_resources *r = NULL;
	json_t *j;

	tap_ok(berth_cgroup_resources_parse(NULL, &r, &err) == 0 && r && !r->has_devices && !r->memory.limit.set,
	       "parse NULL: empty resources");
	berth_cgroup_resources_free(TAKE_PTR(r));

	r = parse_text("{\"memory\": {\"limit\": 67108864, \"reservation\": 1048576, \"swap\": 134217728,"
		       " \"kernel\": 1, \"kernelTCP\": null, \"swappiness\": 60, \"disableOOMKiller\": true,"
		       " \"useHierarchy\": false, \"checkBeforeUpdate\": true},"
		       " \"cpu\": {\"shares\": 1024, \"quota\": -1, \"period\": 100000, \"burst\": 0, \"idle\": 1,"
		       " \"realtimeRuntime\": 950000, \"realtimePeriod\": 1000000, \"cpus\": \"0-1,3\", \"mems\": \"\"},"
		       " \"pids\": {\"limit\": -1},"
		       " \"blockIO\": {\"weight\": 500, \"leafWeight\": 300,"
		       " \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 600}],"
		       " \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 1048576}],"
		       " \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 100}]},"
		       " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}],"
		       " \"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]},"
		       " \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3}},"
		       " \"unified\": {\"memory.high\": \"max\"},"
		       " \"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
		       " {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": -1, \"access\": \"mwr\"}],"
		       " \"unknownField\": 1}",
		       &err);
	if (!tap_ok(r != NULL, "parse every field: %s", err.msg ? err.msg : "ok"))
		return;
	TAP_OK(r->memory.limit.set && r->memory.limit.value == 64 * MiB);
	TAP_OK(r->memory.reservation.value == MiB && r->memory.swap.value == 128 * MiB);
	TAP_OK(r->memory.kernel.set && !r->memory.kernel_tcp.set);
	TAP_OK(r->memory.swappiness.set && r->memory.swappiness.value == 60);
	TAP_OK(r->memory.disable_oom_killer.set && r->memory.disable_oom_killer.value);
	TAP_OK(r->memory.use_hierarchy.set && !r->memory.use_hierarchy.value && r->memory.check_before_update.value);
	TAP_OK(r->cpu.shares.value == 1024 && r->cpu.quota.value == -1 && r->cpu.period.value == 100000);
	TAP_OK(r->cpu.burst.set && r->cpu.burst.value == 0 && r->cpu.idle.value == 1);
	TAP_OK(r->cpu.realtime_runtime.value == 950000 && r->cpu.realtime_period.value == 1000000);
	TAP_OK(r->cpu.cpus && strcmp(r->cpu.cpus, "0-1,3") == 0 && !r->cpu.mems);
	TAP_OK(r->pids.limit.set && r->pids.limit.value == -1);
	TAP_OK(r->block_io.weight.value == 500 && r->block_io.leaf_weight.value == 300);
	TAP_OK(r->block_io.n_weight_device == 1 && r->block_io.weight_device[0].major == 8 &&
	       r->block_io.weight_device[0].weight == 600 && r->block_io.weight_device[0].leaf_weight == 0);
	TAP_OK(r->block_io.n_throttle[BERTH_CGROUP_THROTTLE_READ_BPS] == 1 &&
	       r->block_io.throttle[BERTH_CGROUP_THROTTLE_READ_BPS][0].minor == 16 &&
	       r->block_io.throttle[BERTH_CGROUP_THROTTLE_READ_BPS][0].rate == MiB);
	TAP_OK(r->block_io.n_throttle[BERTH_CGROUP_THROTTLE_WRITE_IOPS] == 1 &&
	       r->block_io.n_throttle[BERTH_CGROUP_THROTTLE_WRITE_BPS] == 0);
	TAP_OK(r->n_hugepages == 1 && strcmp(r->hugepages[0].pagesize, "2MB") == 0 && r->hugepages[0].limit == 4 * MiB);
	TAP_OK(r->network.class_id.value == 1048577 && r->network.n_priorities == 1 &&
	       strcmp(r->network.priorities[0].name, "eth0") == 0 && r->network.priorities[0].priority == 5);
	TAP_OK(r->n_rdma == 1 && strcmp(r->rdma[0].device, "mlx5_1") == 0 && r->rdma[0].hca_handles.value == 3 &&
	       !r->rdma[0].hca_objects.set);
	TAP_OK(r->n_unified == 1 && strcmp(r->unified[0].key, "memory.high") == 0 &&
	       strcmp(r->unified[0].value, "max") == 0);
	TAP_OK(r->has_devices && r->n_devices == 2);
	TAP_OK(!r->devices[0].allow && r->devices[0].type == 'a' && r->devices[0].major == -1 &&
	       strcmp(r->devices[0].access, "rwm") == 0);
	TAP_OK(r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].major == 1 &&
	       r->devices[1].minor == -1 && strcmp(r->devices[1].access, "rwm") == 0);
	berth_cgroup_resources_free(TAKE_PTR(r));

	/* what the config parser makes of 18446744073709551615: -1 with the same bits */
	j = json_pack("{s:{s:I,s:I}}", "memory", "limit", (json_int_t)-1, "swappiness", (json_int_t)-1);
	tap_ok(berth_cgroup_resources_parse(j, &r, &err) == 0 && r->memory.limit.value == -1 &&
	       !r->memory.swappiness.set, "u64 max: unlimited memory, swappiness not set (as runc)");
	json_decref(j);
	berth_cgroup_resources_free(TAKE_PTR(r));

	r = parse_text("{\"devices\": []}", &err);
	tap_ok(r && r->has_devices && r->n_devices == 0, "an empty devices list is still given");
}

static void test_parse_bad(void)
{
	bad("[]", "linux.resources: expected an object");
	bad("{\"memory\": []}", "linux.resources.memory: expected an object");
	bad("{\"memory\": {\"limit\": \"64m\"}}", "linux.resources.memory.limit: expected an integer");
	bad("{\"memory\": {\"limit\": 1.5}}", "linux.resources.memory.limit: expected an integer");
	bad("{\"memory\": {\"swap\": -2}}",
	    "linux.resources.memory.swap: expected -1 (unlimited) or a size in bytes, not -2");
	bad("{\"memory\": {\"swappiness\": 101}}", "linux.resources.memory.swappiness: 101 is out of range (0 to 100)");
	bad("{\"memory\": {\"disableOOMKiller\": 1}}", "linux.resources.memory.disableOOMKiller: expected a boolean");
	bad("{\"cpu\": {\"idle\": 2}}", "linux.resources.cpu.idle: 2 is out of range (0 to 1)");
	bad("{\"cpu\": {\"cpus\": 0}}", "linux.resources.cpu.cpus: expected a string");
	bad("{\"cpu\": {\"cpus\": \"0-1;reboot\"}}",
	    "linux.resources.cpu.cpus: `0-1;reboot` is not a list of numbers and ranges");
	bad("{\"pids\": {}}", "linux.resources.pids.limit: missing");
	bad("{\"blockIO\": {\"weight\": 70000}}", "linux.resources.blockIO.weight: 70000 is out of range (0 to 65535)");
	bad("{\"blockIO\": {\"weightDevice\": {}}}", "linux.resources.blockIO.weightDevice: expected an array");
	bad("{\"blockIO\": {\"weightDevice\": [{\"minor\": 0}]}}",
	    "linux.resources.blockIO.weightDevice[0].major: missing");
	bad("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}}",
	    "linux.resources.blockIO.throttleReadBpsDevice[0].rate: missing");
	bad("{\"blockIO\": {\"throttleWriteIOPSDevice\": [1]}}",
	    "linux.resources.blockIO.throttleWriteIOPSDevice[0]: expected an object");
	bad("{\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}",
	    "linux.resources.hugepageLimits[0].pageSize: `2M` is not a page size like 2MB or 1GB");
	bad("{\"hugepageLimits\": [{\"pageSize\": \"../2MB\", \"limit\": 1}]}",
	    "linux.resources.hugepageLimits[0].pageSize: `../2MB` is not a page size like 2MB or 1GB");
	bad("{\"network\": {\"classID\": -1}}",
	    "linux.resources.network.classID: -1 is out of range (0 to 4294967295)");
	bad("{\"network\": {\"priorities\": [{\"name\": \"eth0 1\", \"priority\": 1}]}}",
	    "linux.resources.network.priorities[0].name: `eth0 1` is not an interface name");
	bad("{\"rdma\": {\"mlx\": {\"hcaObjects\": \"x\"}}}", "linux.resources.rdma.mlx.hcaObjects: expected an integer");
	bad("{\"unified\": {\"../memory.max\": \"1\"}}", "linux.resources.unified: `../memory.max` is not a cgroup file name");
	bad("{\"unified\": {\"memory.max\": 5}}", "linux.resources.unified.memory.max: expected a string");
	bad("{\"devices\": [{\"access\": \"rwm\"}]}", "linux.resources.devices[0].allow: missing");
	bad("{\"devices\": [{\"allow\": false}]}", "linux.resources.devices[0].access: missing");
	bad("{\"devices\": [{\"allow\": false, \"access\": \"\"}]}",
	    "linux.resources.devices[0].access: must not be empty");
	bad("{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
	    "linux.resources.devices[0].access: invalid character `x` in `rwx` (expected r, w, m)");
	bad("{\"devices\": [{\"allow\": true, \"access\": \"r\"}, {\"allow\": true, \"type\": \"u\", \"access\": \"r\"}]}",
	    "linux.resources.devices[1].type: `u` is not a, c or b");
	bad("{\"devices\": [{\"allow\": true, \"major\": -2, \"access\": \"r\"}]}",
	    "linux.resources.devices[0].major: -2 is out of range (-1 to 4294967295)");
}

static void swap_ok(int64_t swap, int64_t mem, int64_t want)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int64_t got = 12345;
	int r = berth_cgroup_swap_to_v2(swap, mem, &got, &err);

	tap_ok(r == 0 && got == want, "swap %" PRId64 " memory %" PRId64 " -> swap.max %" PRId64 " (got %" PRId64 ")",
	       swap, mem, want, got);
}

static void swap_bad(int64_t swap, int64_t mem, const char *want)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int64_t got;
	int r = berth_cgroup_swap_to_v2(swap, mem, &got, &err);

	tap_ok(r == -EINVAL && err.msg && strcmp(err.msg, want) == 0, "swap %" PRId64 " memory %" PRId64 ": %s", swap,
	       mem, err.msg ? err.msg : "(accepted)");
}

static void test_conversions(void)
{
	const uint64_t shares[][2] = { { 0, 0 },	 { 1, 1 },	    { 2, 1 },	      { 512, 20 },
				       { 1024, 39 }, { 262144, 10000 }, { 1000000, 10000 } };

	for (size_t i = 0; i < sizeof(shares) / sizeof(shares[0]); i++)
		tap_ok(berth_cgroup_shares_to_weight(shares[i][0]) == shares[i][1],
		       "cpu.shares %" PRIu64 " -> cpu.weight %" PRIu64 " (got %" PRIu64 ")", shares[i][0], shares[i][1],
		       berth_cgroup_shares_to_weight(shares[i][0]));
	TAP_OK(berth_cgroup_blkio_weight_to_io(0) == 0 && berth_cgroup_blkio_weight_to_io(10) == 1);
	TAP_OK(berth_cgroup_blkio_weight_to_io(500) == 4950 && berth_cgroup_blkio_weight_to_io(1000) == 10000);

	swap_ok(0, 100, 0);
	swap_ok(0, -1, -1);
	swap_ok(-1, 100, -1);
	swap_ok(200, 100, 100);
	swap_ok(100, 100, 0);
	swap_bad(50, 100, "memory+swap limit 50 is below the memory limit 100");
	swap_bad(100, 0, "cannot set a swap limit without a memory limit");
	swap_bad(100, -1, "cannot set a swap limit without a memory limit");
}

/* --- devices emulation ---------------------------------------------------------- */

#define RULE(al, t, maj, min, acc) { .allow = (al), .type = (t), .major = (maj), .minor = (min), .access = acc }

/* The state of rules as one string: "deny-all: c 1:3 rw, ..." */
static char *state_string(const struct berth_cgroup_device_rule *rules, size_t n, struct berth_error *err)
{
	struct berth_cgroup_device_state st = { 0 };
	char *out, buf[64];

	if (berth_cgroup_devices_compute(rules, n, n, &st, err) < 0)
		return NULL;
	out = berth_xstrdup(st.default_allow ? "allow-all:" : "deny-all:");
	for (size_t i = 0; i < st.n_exceptions; i++) {
		char *next;

		berth_cgroup_device_rule_format(&st.exceptions[i], buf, sizeof(buf));
		next = berth_xasprintf("%s%s %s", out, i ? "," : "", buf);
		free(out);
		out = next;
	}
	berth_cgroup_device_state_release(&st);
	return out;
}

static void emu_ok(const char *what, const struct berth_cgroup_device_rule *rules, size_t n, const char *want)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *got = state_string(rules, n, &err);

	tap_ok(got && strcmp(got, want) == 0, "devices %s: `%s` (got `%s`)", what, want, got ? got : err.msg);
}

static void test_devices_emulation(void)
{
	const struct berth_cgroup_device_rule deny_all[] = { RULE(false, 'a', -1, -1, "rwm") };
	const struct berth_cgroup_device_rule merge[] = { RULE(true, 'c', 1, 3, "r"), RULE(true, 'c', 1, 3, "w"),
							   RULE(true, 'b', 8, -1, "m") };
	const struct berth_cgroup_device_rule take_back[] = { RULE(true, 'c', 1, 3, "rwm"), RULE(false, 'c', 1, 3, "r"),
							       RULE(true, 'c', 1, 5, "r"), RULE(false, 'c', 1, 5, "r") };
	const struct berth_cgroup_device_rule reset[] = { RULE(true, 'c', 1, 3, "rwm"), RULE(true, 'a', 7, 7, "r"),
							   RULE(false, 'c', EXP_MAJOR, 0, "rw"),
							   RULE(true, 'c', EXP_MAJOR, 0, "w") };
	const struct berth_cgroup_device_rule hole[] = { RULE(true, 'c', EXP_MAJOR, -1, "rwm"),
							  RULE(false, 'c', EXP_MAJOR, 0, "r") };
	const struct berth_cgroup_device_rule other_perm[] = { RULE(true, 'c', EXP_MAJOR, -1, "m"),
								RULE(false, 'c', EXP_MAJOR, 0, "r") };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_cgroup_device_state st = { 0 };
	const struct berth_cgroup_device_rule *defaults;
	size_t n_defaults;
	char buf[64];

	emu_ok("deny a", deny_all, 1, "deny-all:");
	emu_ok("same device merges", merge, 3, "deny-all: c 1:3 rw, b 8:* m");
	emu_ok("a later deny takes access back", take_back, 4, "deny-all: c 1:3 wm");
	emu_ok("an a rule resets", reset, 4, "allow-all: c 61:0 r");
	emu_ok("a deny beside a wildcard of other access", other_perm, 2, "deny-all: c 61:* m");
	tap_ok(berth_cgroup_devices_compute(hole, 2, 2, &st, &err) == -EINVAL && err.msg &&
		       strcmp(err.msg, "linux.resources.devices[1]: cannot deny `c 61:0 r` inside the allowed wildcard "
				       "`c 61:* rwm` (the devices cgroup cannot punch a hole in a wildcard)") == 0,
	       "devices: no hole in a wildcard: %s", err.msg ? err.msg : "(accepted)");

	defaults = berth_cgroup_default_device_rules(&n_defaults);
	TAP_OK(n_defaults == 11);
	berth_cgroup_device_rule_format(&defaults[0], buf, sizeof(buf));
	tap_ok(strcmp(buf, "c *:* m") == 0, "first default rule `%s`", buf);
	berth_cgroup_device_rule_format(&defaults[2], buf, sizeof(buf));
	tap_ok(strcmp(buf, "c 1:3 rwm") == 0, "default rule for /dev/null `%s`", buf);
	berth_cgroup_device_rule_format(&deny_all[0], buf, sizeof(buf));
	tap_ok(strcmp(buf, "a") == 0, "an a rule formats as `a`");
}

/* --- root only: eBPF, real cgroups ---------------------------------------------- */

static bool is_cgroup2(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

static void test_bpf_load(void)
{
	const struct berth_cgroup_device_rule rules[] = { RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 1, 3, "rwm"),
							   RULE(true, 'c', EXP_MAJOR, 0, "r"), RULE(true, 'b', -1, -1, "m") };
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_cgroup_device_state st = { 0 };
	_cleanup_free_ struct bpf_insn *insns = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t n = 0;

	if (berth_cgroup_devices_compute(rules, 4, 4, &st, &err) < 0) {
		tap_ok(false, "bpf: compute: %s", err.msg);
		return;
	}
	berth_cgroup_bpf_devices_build(&st, &insns, &n);
	/* 6 loads, then per exception type + access (3) + major + minor + 2, then 2 */
	tap_ok(n == 6 + (1 + 0 + 1 + 1 + 2) + (1 + 3 + 1 + 1 + 2) + (1 + 3 + 0 + 0 + 2) + 2,
	       "bpf: %zu instructions for 3 exceptions", n);
	tap_ok(berth_cgroup_bpf_devices_load(insns, n, &fd, &err) == 0 && fd >= 0, "bpf: the kernel loads it: %s",
	       err.msg ? err.msg : "ok");
	berth_cgroup_device_state_release(&st);

	/* a broken program says why */
	insns[n - 1].code = 0;
	berth_error_release(&err);
	{
		int bad_fd = -1;
		int r = berth_cgroup_bpf_devices_load(insns, n, &bad_fd, &err);

		tap_ok(r < 0 && err.msg && strstr(err.msg, "verifier:"), "bpf: a broken program is refused: %s",
		       err.msg ? err.msg : "(loaded)");
		if (bad_fd >= 0)
			close(bad_fd);
	}
}

/*
 * In a child moved into cg: bit 0 /dev/null opens read-write, bit 1 other
 * (c 61:1, in no rule) is refused, bit 2 node (c 61:0) opens for reading as
 * far as the driver (ENXIO), bit 3 node is refused for writing.
 */
static int probe_devices(struct berth_cgroup *cg, const char *node, const char *other)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int pipefd[2], status;
	pid_t pid;
	char c;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int bits = 0, fd;

		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(255);
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		bits |= fd >= 0 ? 1 : 0;
		fd = open(other, O_RDONLY | O_CLOEXEC);
		bits |= fd < 0 && errno == EPERM ? 2 : 0;
		fd = open(node, O_RDONLY | O_CLOEXEC);
		bits |= fd < 0 && errno == ENXIO ? 4 : 0;
		fd = open(node, O_WRONLY | O_CLOEXEC);
		bits |= fd < 0 && errno == EPERM ? 8 : 0;
		_exit(bits);
	}
	close(pipefd[0]);
	if (berth_cgroup_enter(cg, pid, &err) < 0)
		tap_diag("enter: %s", err.msg);
	if (write(pipefd[1], "x", 1) != 1)
		tap_diag("pipe: %m");
	close(pipefd[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static struct berth_cgroup_resources *devices_resources(const char *access)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *text = berth_xasprintf("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
						    " {\"allow\": true, \"type\": \"c\", \"major\": %d, \"minor\": 0,"
						    " \"access\": \"%s\"}]}",
						    EXP_MAJOR, access);

	return parse_text(text, &err);
}

/* the device rules enforced on a cgroup of the current mode; node is c EXP_MAJOR:0, other c EXP_MAJOR:1 */
static void test_devices_enforced(const char *what, const char *path, const char *node, const char *other, bool v2)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_cgroup_resources_ struct berth_cgroup_resources *r = devices_resources("r");
	_cleanup_cgroup_resources_ struct berth_cgroup_resources *rw = devices_resources("rw");
	_cleanup_cgroup_resources_ struct berth_cgroup_resources *none = NULL;
	struct berth_cgroup *cg = NULL;
	size_t count = 0;
	int bits;

	if (!tap_ok(berth_cgroup_create(path, false, &cg, &err) == 0, "%s devices: create: %s", what,
		    err.msg ? err.msg : "ok"))
		return;
	tap_ok(r && berth_cgroup_apply_resources(cg, r, false, &err) == 0, "%s devices: apply: %s", what,
	       err.msg ? err.msg : "ok");
	bits = probe_devices(cg, node, other);
	tap_ok(bits == 15, "%s devices: /dev/null allowed, others denied, node read only (bits %d)", what, bits);
	if (v2) {
		int rc = berth_cgroup_bpf_devices_count(berth_cgroup_get_unified_fd(cg), &count, &err);

		tap_ok(rc == 0 && count == 1, "%s devices: one program attached (%zu)", what, count);
	}

	/* update: read-write now; without devices the rules stay */
	tap_ok(berth_cgroup_apply_resources(cg, rw, true, &err) == 0, "%s devices: update: %s", what,
	       err.msg ? err.msg : "ok");
	bits = probe_devices(cg, node, other);
	tap_ok(bits == (1 | 2 | 4), "%s devices: after update the node is writable (bits %d)", what, bits);
	berth_cgroup_resources_parse(NULL, &none, &err);
	tap_ok(berth_cgroup_apply_resources(cg, none, true, &err) == 0 && probe_devices(cg, node, other) == (1 | 2 | 4),
	       "%s devices: an update without devices keeps them", what);
	if (v2) {
		int rc = berth_cgroup_bpf_devices_count(berth_cgroup_get_unified_fd(cg), &count, &err);

		tap_ok(rc == 0 && count == 1, "%s devices: the old program was replaced (%zu attached)", what, count);
	}
	berth_cgroup_destroy(cg, &err);
	berth_cgroup_free(cg);
}

/* test_devices_enforced() with two fresh device nodes in /dev */
static void with_nodes(const char *what, const char *path, bool v2)
{
	_cleanup_free_ char *node = berth_xasprintf("/dev/berth-test-%s-%d-0", what, (int)getpid());
	_cleanup_free_ char *other = berth_xasprintf("/dev/berth-test-%s-%d-1", what, (int)getpid());
	_cleanup_free_ char *dpath = berth_xasprintf("%s-dev", path);

	if (mknod(node, S_IFCHR | 0600, makedev(EXP_MAJOR, 0)) == 0 &&
	    mknod(other, S_IFCHR | 0600, makedev(EXP_MAJOR, 1)) == 0)
		test_devices_enforced(what, dpath, node, other, v2);
	else
		tap_ok(true, "%s devices # SKIP mknod: %m", what);
	unlink(node);
	unlink(other);
}

static char *read_cg(const char *dir, const char *file)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("%s/%s", dir, file);
	char *buf = NULL;

	if (berth_read_file(path, 0, &buf, NULL, &err) < 0)
		return berth_xstrdup("(unreadable)");
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static bool file_is(const char *dir, const char *file, const char *want)
{
	_cleanup_free_ char *got = read_cg(dir, file);

	return tap_ok(strcmp(got, want) == 0, "%s/%s = `%s` (got `%s`)", dir, file, want, got);
}

static struct berth_cgroup_resources *res(const char *text)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	struct berth_cgroup_resources *r = parse_text(text, &err);

	if (!r)
		tap_diag("parse `%s`: %s", text, err.msg);
	return r;
}

/* apply text (update or not); returns the error message or NULL */
static char *apply(struct berth_cgroup *cg, const char *text, bool update)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_cgroup_resources_ struct berth_cgroup_resources *r = res(text);

	if (!r)
		return berth_xstrdup("(parse error)");
	if (berth_cgroup_apply_resources(cg, r, update, &err) < 0)
		return berth_xstrdup(err.msg);
	return NULL;
}

static void apply_ok(struct berth_cgroup *cg, const char *text, bool update)
{
	_cleanup_free_ char *msg = apply(cg, text, update);

	tap_ok(!msg, "%s %s: %s", update ? "update" : "apply", text, msg ? msg : "ok");
}

/* A child in cg that sleeps; SIGKILL it when done. */
static pid_t spawn_sleeper(struct berth_cgroup *cg)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (pid > 0 && berth_cgroup_enter(cg, pid, &err) < 0)
		tap_diag("enter: %s", err.msg);
	return pid;
}

static void test_freeze(const char *what, struct berth_cgroup *cg)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	pid_t pid = spawn_sleeper(cg);
	bool frozen = true;

	tap_ok(berth_cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen, "%s: not frozen at first", what);
	tap_ok(berth_cgroup_freeze(cg, true, &err) == 0, "%s: freeze: %s", what, err.msg ? err.msg : "ok");
	tap_ok(berth_cgroup_is_frozen(cg, &frozen, &err) == 0 && frozen, "%s: frozen", what);
	tap_ok(berth_cgroup_freeze(cg, false, &err) == 0, "%s: thaw: %s", what, err.msg ? err.msg : "ok");
	tap_ok(berth_cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen, "%s: thawed", what);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static json_int_t stat_int(json_t *stats, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(json_object_get(json_object_get(stats, a), b), c);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* a child in cg that touches more memory than the limit allows */
static int run_hog(struct berth_cgroup *cg)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	int pipefd[2], status;
	pid_t pid;
	char c;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(255);
		for (size_t i = 0; i < 256; i++) {
			char *p = malloc(MiB);

			if (!p)
				_exit(3);
			memset(p, 1, MiB);
		}
		_exit(0);
	}
	close(pipefd[0]);
	berth_cgroup_enter(cg, pid, &err);
	if (write(pipefd[1], "x", 1) != 1)
		tap_diag("pipe: %m");
	close(pipefd[1]);
	waitpid(pid, &status, 0);
	return status;
}

static void test_v1(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("/berth-test-res-%d", (int)getpid());
	_cleanup_free_ char *mem = berth_xasprintf("/sys/fs/cgroup/memory%s", path);
	_cleanup_free_ char *cpu = berth_xasprintf("/sys/fs/cgroup/cpu%s", path);
	_cleanup_free_ char *pids = berth_xasprintf("/sys/fs/cgroup/pids%s", path);
	_cleanup_free_ char *cpuset = berth_xasprintf("/sys/fs/cgroup/cpuset%s", path);
	_cleanup_free_ char *msg = NULL;
	bool memsw = access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
	struct berth_cgroup *cg = NULL;
	json_t *stats = NULL;
	uint64_t ooms = 0;
	int status, r;

	if (is_cgroup2("/sys/fs/cgroup") || access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) != 0) {
		tap_ok(true, "v1 resources # SKIP no cgroup v1 memory hierarchy");
		return;
	}
	if (!tap_ok(berth_cgroup_create(path, false, &cg, &err) == 0, "v1: create: %s", err.msg ? err.msg : "ok"))
		return;

	apply_ok(cg, memsw ? "{\"memory\": {\"limit\": 67108864, \"swap\": 67108864, \"reservation\": 33554432,"
			     " \"swappiness\": 10, \"useHierarchy\": true},"
			     " \"cpu\": {\"shares\": 512, \"quota\": 20000, \"period\": 50000, \"cpus\": \"0\"},"
			     " \"pids\": {\"limit\": 50}}"
			   : "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swappiness\": 10},"
			     " \"cpu\": {\"shares\": 512, \"quota\": 20000, \"period\": 50000, \"cpus\": \"0\"},"
			     " \"pids\": {\"limit\": 50}}",
		 false);
	file_is(mem, "memory.limit_in_bytes", "67108864");
	if (memsw)
		file_is(mem, "memory.memsw.limit_in_bytes", "67108864");
	file_is(mem, "memory.soft_limit_in_bytes", "33554432");
	file_is(mem, "memory.swappiness", "10");
	file_is(cpu, "cpu.shares", "512");
	file_is(cpu, "cpu.cfs_quota_us", "20000");
	file_is(cpu, "cpu.cfs_period_us", "50000");
	file_is(cpuset, "cpuset.cpus", "0");
	file_is(pids, "pids.max", "50");

	if (memsw) {
		/* shrinking: the limit must go down before memsw; growing: memsw first */
		apply_ok(cg, "{\"memory\": {\"limit\": 33554432, \"swap\": 33554432}}", true);
		file_is(mem, "memory.memsw.limit_in_bytes", "33554432");
		apply_ok(cg, "{\"memory\": {\"limit\": 134217728, \"swap\": 268435456}}", true);
		file_is(mem, "memory.limit_in_bytes", "134217728");
		file_is(mem, "memory.memsw.limit_in_bytes", "268435456");
		apply_ok(cg, "{\"memory\": {\"limit\": -1}}", true);
		file_is(mem, "memory.memsw.limit_in_bytes", "9223372036854771712");
	}
	apply_ok(cg, "{\"pids\": {\"limit\": -1}, \"cpu\": {\"quota\": -1}}", true);
	file_is(pids, "pids.max", "max");
	file_is(cpu, "cpu.cfs_quota_us", "-1");

	msg = apply(cg, "{\"cpu\": {\"shares\": 1}}", true);
	tap_ok(msg && strstr(msg, "cpu shares 1 is below the minimum 2"), "v1: shares clamped by the kernel: %s",
	       msg ? msg : "(accepted)");
	free(TAKE_PTR(msg));
	if (access("/sys/fs/cgroup/net_cls", F_OK) != 0) {
		msg = apply(cg, "{\"network\": {\"classID\": 1}}", true);
		tap_ok(msg && strstr(msg, "cannot set `net_cls.classid`: no net_cls cgroup v1 hierarchy is mounted"),
		       "v1: a missing hierarchy is named: %s", msg ? msg : "(accepted)");
		free(TAKE_PTR(msg));
	}
	if (berth_cgroup_get_mode(cg) == BERTH_CGROUP_LEGACY || access("/sys/fs/cgroup/unified/memory.stat", F_OK) != 0) {
		msg = apply(cg, "{\"unified\": {\"memory.high\": \"max\"}}", true);
		tap_ok(msg && strstr(msg, "linux.resources.unified"), "v1: a unified key v1 cannot take: %s",
		       msg ? msg : "(accepted)");
		free(TAKE_PTR(msg));
	}

	/* stats and OOM */
	if (berth_cgroup_stats(cg, &stats, &err) == 0) {
		tap_ok(stat_int(stats, "memory", "usage", "limit") > 0,
		       "v1 stats: memory.usage.limit %lld", (long long)stat_int(stats, "memory", "usage", "limit"));
		TAP_OK(json_is_object(json_object_get(json_object_get(stats, "memory"), "raw")));
		TAP_OK(json_is_object(json_object_get(json_object_get(stats, "cpu"), "throttling")));
		TAP_OK(json_is_integer(json_object_get(json_object_get(json_object_get(stats, "cpu"), "usage"), "user")));
		TAP_OK(json_is_object(json_object_get(stats, "hugetlb")) && json_is_null(json_object_get(stats, "network_interfaces")));
		TAP_OK(json_is_array(json_object_get(json_object_get(stats, "cpuset"), "cpus")));
		json_decref(stats);
	} else {
		tap_ok(false, "v1 stats: %s", err.msg);
	}
	apply_ok(cg, memsw ? "{\"memory\": {\"limit\": 16777216, \"swap\": 16777216}}"
			   : "{\"memory\": {\"limit\": 16777216}}",
		 true);
	status = run_hog(cg);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "v1: the hog is OOM-killed (status 0x%x)", status);
	r = berth_cgroup_oom_count(cg, &ooms, &err);
	tap_ok(r == 0 && ooms >= 1, "v1: oom count %" PRIu64, ooms);
	if (berth_cgroup_stats(cg, &stats, &err) == 0) {
		/* (recent kernels no longer count failcnt here: the peak shows the hog) */
		json_int_t peak = stat_int(stats, "memory", "usage", "max");

		tap_ok(stat_int(stats, "memory", "usage", "limit") == 16777216 && peak > 8 * MiB,
		       "v1 stats: limit 16M and a peak near it after the OOM: %lld %lld",
		       (long long)stat_int(stats, "memory", "usage", "limit"), (long long)peak);
		json_decref(stats);
	}
	test_freeze("v1 freezer", cg);
	berth_cgroup_destroy(cg, &err);
	berth_cgroup_free(cg);

	with_nodes("v1", path, false);
}

/* Disable the controllers enabled in root's subtree_control since it read `before` (not on a real v2 root). */
static void restore_subtree_control(const char *root, const char *before)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("%s/cgroup.subtree_control", root);
	_cleanup_free_ char *now = NULL;
	char *c, *save = NULL;

	if (!before || strcmp(root, "/sys/fs/cgroup") == 0 || berth_read_file(path, 0, &now, NULL, &err) < 0)
		return;
	for (c = strtok_r(now, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		_cleanup_free_ char *minus = berth_xasprintf("-%s", c);

		if (!strstr(before, c))
			berth_write_file_string(AT_FDCWD, path, minus, &err);
	}
}

/* hugetlb on a hybrid host: the v1 driver falls back to the cgroup2 mount */
static void test_hybrid_hugetlb(void)
{
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("/berth-test-huge-%d", (int)getpid());
	_cleanup_free_ char *dir = berth_xasprintf("/sys/fs/cgroup/unified%s", path);
	_cleanup_free_ char *before = NULL;
	const char *ctl_path = "/sys/fs/cgroup/unified/cgroup.subtree_control";
	struct berth_cgroup *cg = NULL;
	enum berth_cgroup_mode mode;
	json_t *stats = NULL;

	if (berth_cgroup_detect_mode(&mode, &err) < 0 || mode != BERTH_CGROUP_HYBRID ||
	    access("/sys/fs/cgroup/hugetlb", F_OK) == 0 || access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) != 0) {
		tap_ok(true, "hybrid hugetlb # SKIP not a hybrid host with hugetlb on cgroup2 and 2MB pages");
		return;
	}
	berth_read_file(ctl_path, 0, &before, NULL, &err);
	if (!tap_ok(berth_cgroup_create(path, false, &cg, &err) == 0, "hybrid hugetlb: create: %s",
		    err.msg ? err.msg : "ok"))
		return;
	apply_ok(cg, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}", false);
	file_is(dir, "hugetlb.2MB.max", "4194304");
	tap_ok(berth_cgroup_stats(cg, &stats, &err) == 0 && json_is_object(json_object_get(json_object_get(stats, "hugetlb"), "2MB")),
	       "hybrid hugetlb: stats has 2MB");
	json_decref(stats);
	berth_cgroup_destroy(cg, &err);
	berth_cgroup_free(cg);
	restore_subtree_control("/sys/fs/cgroup/unified", before);
}

static void test_v2(void)
{
	const char *root = "/sys/fs/cgroup/unified";
	_cleanup_error_ struct berth_error err = BERTH_ERROR_INIT;
	_cleanup_free_ char *path = berth_xasprintf("/berth-test-res-v2-%d", (int)getpid());
	_cleanup_free_ char *full = NULL, *msg = NULL, *controllers = NULL, *ctrl_path = NULL, *subtree = NULL;
	_cleanup_free_ char *before = NULL;
	struct berth_cgroup *cg = NULL;
	json_t *stats = NULL;
	uint64_t ooms = 1;
	int r;

	if (!is_cgroup2("/sys/fs/cgroup"))
		berth_cgroup_set_root_for_testing(root);
	else
		root = "/sys/fs/cgroup";
	if (!is_cgroup2(root)) {
		tap_ok(true, "v2 resources # SKIP no cgroup2 mount");
		return;
	}
	full = berth_xasprintf("%s%s", root, path);
	/* the v2 driver delegates controllers from the root: put that back afterwards */
	subtree = berth_xasprintf("%s/cgroup.subtree_control", root);
	berth_read_file(subtree, 0, &before, NULL, &err);
	if (!tap_ok(berth_cgroup_create(path, false, &cg, &err) == 0, "v2: create: %s", err.msg ? err.msg : "ok")) {
		restore_subtree_control(root, before);
		berth_cgroup_set_root_for_testing(NULL);
		return;
	}
	apply_ok(cg, "{}", false);
	test_freeze("v2 cgroup.freeze", cg);
	tap_ok(berth_cgroup_stats(cg, &stats, &err) == 0 && json_is_object(json_object_get(stats, "cpu")) &&
		       json_is_object(json_object_get(json_object_get(stats, "memory"), "swap")),
	       "v2: stats: %s", err.msg ? err.msg : "ok");
	json_decref(stats);
	r = berth_cgroup_oom_count(cg, &ooms, &err);
	tap_ok(r == 0 && ooms == 0, "v2: no OOM kill (%" PRIu64 ")", ooms);

	ctrl_path = berth_xasprintf("%s/cgroup.controllers", root);
	berth_read_file(ctrl_path, 0, &controllers, NULL, &err);
	if (controllers && !strstr(controllers, "memory")) {
		_cleanup_free_ char *want = berth_xasprintf("`%s/memory.max` does not exist (is the memory controller "
							    "available?)",
							    full);

		msg = apply(cg, "{\"memory\": {\"limit\": 67108864}}", true);
		tap_ok(msg && strstr(msg, want), "v2: a missing controller names the file: %s", msg ? msg : "(accepted)");
		free(TAKE_PTR(msg));
	}
	msg = apply(cg, "{\"cpu\": {\"realtimeRuntime\": 1000}}", true);
	tap_ok(msg && strstr(msg, "not supported on cgroup v2"), "v2: no realtime: %s", msg ? msg : "(accepted)");
	free(TAKE_PTR(msg));
	msg = apply(cg, "{\"memory\": {\"limit\": 100, \"swap\": 50}}", true);
	tap_ok(msg && strstr(msg, "linux.resources.memory.swap: memory+swap limit 50 is below the memory limit 100"),
	       "v2: swap below memory: %s", msg ? msg : "(accepted)");
	free(TAKE_PTR(msg));
	apply_ok(cg, "{\"unified\": {\"cgroup.max.depth\": \"3\"}}", true);
	file_is(full, "cgroup.max.depth", "3");
	berth_cgroup_destroy(cg, &err);
	berth_cgroup_free(cg);

	with_nodes("v2", path, true);
	restore_subtree_control(root, before);
	berth_cgroup_set_root_for_testing(NULL);
}

int main(void)
{
	test_parse_good();
	test_parse_bad();
	test_conversions();
	test_devices_emulation();
	if (geteuid() != 0) {
		tap_ok(true, "bpf and real cgroups # SKIP not root");
		return tap_done();
	}
	test_bpf_load();
	test_v1();
	test_hybrid_hugetlb();
	test_v2();
	return tap_done();
}
