/* berth_sysctl_validate(): which keys need which namespace; berth_sysctl_apply() refusals that need no privileges. */
#include "runtime/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"

static struct berth_oci_namespace nss[8];

/* A config with the given namespaces ('i'pc, 'n'et, 'u'ts) and one sysctl key. */
static void config(struct berth_oci_config *c, struct berth_oci_sysctl *s, const char *ns, const char *key)
{
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	for (const char *p = ns; *p; p++)
		nss[n++] = (struct berth_oci_namespace){ *p == 'i' ? BERTH_NS_IPC : *p == 'n' ? BERTH_NS_NETWORK
											: BERTH_NS_UTS,
							 NULL };
	nss[n++] = (struct berth_oci_namespace){ BERTH_NS_MOUNT, NULL };
	c->linux_.namespaces = nss;
	c->linux_.n_namespaces = n;
	s->key = (char *)key;
	s->value = (char *)"1";
	c->linux_.sysctls = s;
	c->linux_.n_sysctls = 1;
}

static void check(const char *ns, const char *key, bool ok, const char *msg_part)
{
	struct berth_oci_config c;
	struct berth_oci_sysctl s;
	struct berth_error err = BERTH_ERROR_INIT;
	int r;

	config(&c, &s, ns, key);
	r = berth_sysctl_validate(&c, &err);
	tap_ok(ok ? r == 0 : (r == -EINVAL && err.msg && strstr(err.msg, msg_part)), "namespaces `%s`, `%s`: %s%s%s",
	       ns, key, ok ? "allowed" : "refused", err.msg ? ": " : "", err.msg ? err.msg : "");
	berth_error_release(&err);
}

int main(void)
{
	static const char *const ipc_keys[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",     "kernel.shmall",
		"kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "fs.mqueue.msg_max", "fs/mqueue/queues_max",
	};

	for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++) {
		check("i", ipc_keys[i], true, NULL);
		check("nu", ipc_keys[i], false, "ipc namespace");
	}
	check("n", "net.ipv4.ip_forward", true, NULL);
	check("n", "net/ipv4/conf/eth0.100/forwarding", true, NULL);
	check("iu", "net.ipv4.ip_forward", false, "network namespace");
	check("u", "kernel.hostname", true, NULL);
	check("u", "kernel.domainname", true, NULL);
	check("in", "kernel.hostname", false, "not in a separate kernel namespace");
	check("inu", "kernel.panic", false, "sysctl `kernel.panic` is not in a separate kernel namespace");
	check("inu", "vm.swappiness", false, "not in a separate kernel namespace");
	check("inu", "kernel.msgmax2", false, "not in a separate kernel namespace");
	check("inu", "fs.mqueue", false, "not in a separate kernel namespace");

	/* keys that would name something else than a file below /proc/sys */
	check("inu", "net/../../self/attr/current", false, "invalid sysctl");
	check("inu", "net..ipv4", false, "invalid sysctl");
	check("inu", "net.ipv4.", false, "invalid sysctl");
	check("inu", "/net/ipv4/ip_forward", false, "invalid sysctl");
	check("inu", "", false, "invalid sysctl");

	/* a joined network namespace that is ours is the host's */
	{
		struct berth_oci_config c;
		struct berth_oci_sysctl s;
		struct berth_error err = BERTH_ERROR_INIT;

		config(&c, &s, "n", "net.ipv4.ip_forward");
		nss[0].path = (char *)"/proc/self/ns/net";
		TAP_OK(berth_sysctl_validate(&c, &err) == -EINVAL && strstr(err.msg, "host's network namespace"));
		nss[0].path = (char *)"/nonexistent/ns";
		TAP_OK(berth_sysctl_validate(&c, &err) == -ENOENT);
		nss[0].path = NULL;
		berth_error_release(&err);
	}

	/* apply refuses a directory that is not procfs before writing anything */
	{
		struct berth_oci_config c;
		struct berth_oci_sysctl s;
		struct berth_error err = BERTH_ERROR_INIT;
		_cleanup_close_ int tmp = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);

		config(&c, &s, "i", "kernel.shmmax");
		TAP_OK(berth_sysctl_apply(tmp, &c, &err) == -EINVAL && strstr(err.msg, "not the expected filesystem"));
		config(&c, &s, "", "kernel.shmmax");
		TAP_OK(berth_sysctl_apply(tmp, &c, &err) == -EINVAL && strstr(err.msg, "ipc namespace"));
		berth_error_release(&err);
	}
	return tap_done();
}
