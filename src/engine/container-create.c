/* `berth create`: from an image and the run options to a container that is ready to start. */
#include "engine/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "engine/container-network.h"
#include "engine/run-flags.h"
#include "engine/spec-build.h"
#include "engine/user-lookup.h"
#include "engine/volume.h"
#include "image/blob-store.h"
#include "image/image.h"
#include "image/manifest.h"
#include "image/overlay.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

int64_t berth_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();

	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* docker's Config.Labels: the image's labels, then the container's (--label wins). */
static json_t *labels_json(const struct berth_create_request *req, json_t *image_config)
{
	json_t *image_labels = json_object_get(json_object_get(image_config, "config"), "Labels");
	json_t *labels = json_is_object(image_labels) ? json_deep_copy(image_labels) : json_object();

	for (size_t i = 0; req->labels && req->labels[i]; i++) {
		_cleanup_free_ char *k = berth_xstrdup(req->labels[i]);
		char *eq = strchr(k, '=');
		if (eq)
			*eq = '\0';
		json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
	}
	return labels;
}

/*
 * docker's Config.Entrypoint and Config.Cmd: what the container runs, the
 * image's where the user gave none (a new entrypoint drops the image's Cmd).
 */
static void command_json(const struct berth_create_request *req, json_t *image_config, json_t **ret_entrypoint,
			 json_t **ret_cmd)
{
	const struct berth_run_options *o = &req->run;
	json_t *c = json_object_get(image_config, "config");
	json_t *entry = json_object_get(c, "Entrypoint"), *cmd = json_object_get(c, "Cmd");

	if (o->entrypoint)
		*ret_entrypoint = strv_json(o->entrypoint);
	else
		*ret_entrypoint = json_is_array(entry) ? json_deep_copy(entry) : json_null();
	if (o->cmd)
		*ret_cmd = strv_json(o->cmd);
	else if (!o->entrypoint && json_is_array(cmd))
		*ret_cmd = json_deep_copy(cmd);
	else
		*ret_cmd = json_null();
}

/* What inspect and a later start need to know, in docker's field names. */
static json_t *request_json(const struct berth_create_request *req, json_t *spec, json_t *image_config,
			    const char *hostname)
{
	const struct berth_run_options *o = &req->run;
	json_t *process = json_object_get(spec, "process");
	_cleanup_strv_free_ char **argv = berth_spec_process_args(image_config, o);
	json_t *entrypoint, *cmd, *args = json_array();

	command_json(req, image_config, &entrypoint, &cmd);
	/* docker's Path and Args: the command without --init's /dev/init */
	for (size_t i = 1; argv && argv[0] && argv[i]; i++)
		json_array_append_new(args, json_string(argv[i]));
	return json_pack("{ss* so s{ss ss so so so ss sb sb so ss* si} s{sb sI sI sI sI sI sb sb ss so so sb}}", "Path",
			 argv ? argv[0] : NULL, "Args", args, "Config", "Hostname", hostname, "User",
			 req->user ? req->user : "", "Env", json_deep_copy(json_object_get(process, "env")), "Cmd", cmd,
			 "Entrypoint", entrypoint, "WorkingDir", json_string_value(json_object_get(process, "cwd")), "Tty",
			 o->tty, "OpenStdin", req->interactive, "Labels", labels_json(req, image_config), "StopSignal",
			 req->stop_signal, "StopTimeout", req->stop_timeout < 0 ? 10 : req->stop_timeout, "HostConfig",
			 "AutoRemove", req->auto_remove, "Memory", (json_int_t)o->memory, "MemorySwap",
			 (json_int_t)o->memory_swap, "PidsLimit", (json_int_t)o->pids_limit, "NanoCpus", (json_int_t)(o->cpus * 1e9),
			 "CpuShares", (json_int_t)o->cpu_shares, "Privileged", o->privileged, "ReadonlyRootfs", o->read_only,
			 "NetworkMode", req->network ? req->network : "none", "CapAdd", strv_json(o->cap_add), "CapDrop",
			 strv_json(o->cap_drop), "Init", o->init);
}

/* /etc/hostname, /etc/hosts and /etc/resolv.conf of the container, made by the engine and bind-mounted. */
static int write_etc_files(int ctr_fd, const char *hostname, bool host_network, struct berth_error *err)
{
	_cleanup_free_ char *hosts = NULL, *host_resolv = NULL, *resolv = NULL, *name = NULL;
	size_t len = 0;
	int r;

	name = berth_xasprintf("%s\n", hostname);
	hosts = berth_xasprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
				"fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
				"ff02::2\tip6-allrouters\n%s%s\n",
				host_network ? "" : "127.0.1.1\t", host_network ? "" : hostname);
	/* the host's resolvers, minus loopback ones that mean nothing in another network namespace */
	if (berth_read_file("/etc/resolv.conf", 1 << 20, &host_resolv, &len, err) < 0) {
		berth_error_release(err);
		host_resolv = berth_xstrdup("");
	}
	resolv = berth_xstrdup("");
	for (char *save = NULL, *l = strtok_r(host_resolv, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *next;
		if (!host_network && strncmp(l, "nameserver", 10) == 0 &&
		    (strstr(l, " 127.") || strstr(l, "\t127.") || strstr(l, " ::1")))
			continue;
		next = berth_xasprintf("%s%s\n", resolv, l);
		free(resolv);
		resolv = next;
	}
	/* not fsynced, as config.json (docs/engine.md, "Durability") */
	if ((r = berth_write_file_replace(ctr_fd, "hostname", name, strlen(name), 0644, err)) < 0 ||
	    (r = berth_write_file_replace(ctr_fd, "hosts", hosts, strlen(hosts), 0644, err)) < 0 ||
	    (r = berth_write_file_replace(ctr_fd, "resolv.conf", resolv, strlen(resolv), 0644, err)) < 0)
		return r;
	return 0;
}

static void add_bind(struct berth_run_options *o, char *source, const char *target)
{
	o->mounts = berth_xreallocarray(o->mounts, o->n_mounts + 1, sizeof(*o->mounts));
	o->mounts[o->n_mounts++] = (struct berth_mount_spec){
		.kind = BERTH_MOUNT_BIND, .source = source, .target = (char *)target, .propagation = "rprivate",
	};
}

/* --device: what the host node is (docker follows a symlinked path, as /dev/disk/by-id/... are). */
static int resolve_devices(const struct berth_run_options *in, struct berth_device_spec **ret, struct berth_error *err)
{
	struct berth_device_spec *d = berth_xcalloc(in->n_devices + 1, sizeof(*d));

	for (size_t i = 0; i < in->n_devices; i++) {
		struct stat st;
		d[i] = in->devices[i];
		if (stat(d[i].host_path, &st) < 0) {
			free(d);
			return berth_error_set(err, errno, "error gathering device information while adding custom device \"%s\"",
					       in->devices[i].host_path);
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
			free(d);
			return berth_error_setx(err, EINVAL,
						"error gathering device information while adding custom device \"%s\": "
						"not a device node",
						in->devices[i].host_path);
		}
		d[i].type = S_ISCHR(st.st_mode) ? 'c' : 'b';
		d[i].major = major(st.st_rdev);
		d[i].minor = minor(st.st_rdev);
		d[i].file_mode = st.st_mode & 07777;
		d[i].uid = st.st_uid;
		d[i].gid = st.st_gid;
	}
	*ret = d;
	return 0;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* docker --privileged: every device node of the host's /dev, but what the runtime makes itself and the ptys. */
static void add_host_devices(const char *dir, const char *rel, struct berth_device_spec **v, size_t *n, int depth)
{
	static const char *const skip[] = { "pts", "shm", "mqueue", ".lxc", ".udev", "console", "ptmx", "null",
					    "zero", "full", "random", "urandom", "tty", NULL };
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (depth > 8 || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL, *crel = NULL;
		struct stat st;

		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (!*rel && berth_strv_contains((char *const *)skip, de->d_name))
			continue;
		path = berth_xasprintf("%s/%s", dir, de->d_name);
		crel = berth_xasprintf("%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			add_host_devices(path, crel, v, n, depth + 1);
			continue;
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			continue;
		*v = berth_xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = (struct berth_device_spec){
			.host_path = TAKE_PTR(path),
			.container_path = berth_xasprintf("/dev/%s", crel),
			.permissions = berth_xstrdup("rwm"),
			.type = S_ISCHR(st.st_mode) ? 'c' : 'b',
			.major = major(st.st_rdev),
			.minor = minor(st.st_rdev),
			.file_mode = st.st_mode & 07777,
			.uid = st.st_uid,
			.gid = st.st_gid,
		};
	}
}

struct host_devices {
	struct berth_device_spec *v;
	size_t n;
};

static void host_devices_free(struct host_devices *h)
{
	for (size_t i = 0; i < h->n; i++)
		berth_device_spec_release(&h->v[i]);
	free(h->v);
}

static int read_image_config(struct berth_engine *e, const struct berth_image *img, json_t **ret,
			     struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	json_error_t jerr;
	size_t len;
	int r;

	if ((r = berth_blob_read(e->store, img->id, BERTH_MANIFEST_MAX_SIZE, &buf, &len, err)) < 0)
		return berth_error_prefix(err, "image config");
	*ret = json_loadb(buf, len, 0, &jerr);
	if (!*ret)
		return berth_error_setx(err, EINVAL, "image config %s:%d:%d: %s", img->id, jerr.line, jerr.column,
					jerr.text);
	return 0;
}

/* Mount the image and write everything start needs; the row exists already. */
static int prepare(struct berth_engine *e, const struct berth_create_request *req, const struct berth_image *img,
		   const char *id, json_t **ret_record, struct berth_error *err)
{
	_cleanup_free_ char *ctr = berth_engine_ctr_path(e, id, NULL), *run = berth_engine_run_path(e, id, NULL);
	_cleanup_free_ char *upper = berth_engine_ctr_path(e, id, "upper"), *work = berth_engine_ctr_path(e, id, "work");
	_cleanup_free_ char *rootfs = berth_engine_run_path(e, id, "rootfs"), *hostname = NULL, *cgroup = NULL;
	_cleanup_free_ char *netns = NULL;
	_cleanup_strv_free_ char **chains = NULL;
	_cleanup_close_ int ctr_fd = -EBADF, root_fd = -EBADF;
	struct berth_run_options o = req->run;
	struct berth_mount_spec *user_mounts = NULL;
	size_t n_user_mounts = 0;
	_cleanup_free_ struct berth_device_spec *devices = NULL;
	_cleanup_(host_devices_free) struct host_devices host = { 0 };
	struct berth_user user = { 0 };
	json_t *image_config = NULL, *spec = NULL;
	enum berth_rootfs_driver driver;
	_cleanup_free_ char *text = NULL;
	int r;

	for (size_t i = 0; i < img->n_layers; i++)
		berth_strv_push(&chains, img->layers[i].chain_id);
	if ((r = resolve_devices(&req->run, &devices, err)) < 0)
		return r;
	o.devices = devices;
	if (req->run.privileged) {
		add_host_devices("/dev", "", &host.v, &host.n, 0);
		devices = berth_xreallocarray(devices, o.n_devices + host.n + 1, sizeof(*devices));
		/* the user's --device entries win over the host's node of the same name */
		for (size_t i = 0; i < host.n; i++) {
			bool dup = false;
			for (size_t j = 0; j < req->run.n_devices && !dup; j++)
				dup = strcmp(req->run.devices[j].container_path, host.v[i].container_path) == 0;
			if (!dup)
				devices[o.n_devices++] = host.v[i];
		}
		o.devices = devices;
	}
	if ((r = berth_mkdir_p(rootfs, 0700, err)) < 0)
		return r;
	(void)run;
	/* --rm: the writable layer goes with the container, no sync of it (overlay.h) */
	if ((r = berth_overlay_mount_flags(e->store, chains, img->n_layers, upper, work, rootfs,
					   req->auto_remove ? BERTH_OVERLAY_VOLATILE : 0, &driver, err)) < 0)
		return r;
	ctr_fd = open(ctr, O_PATH | O_DIRECTORY | O_CLOEXEC);
	root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctr_fd < 0 || root_fd < 0)
		return berth_error_set(err, errno, "open the container's directories");
	if ((r = read_image_config(e, img, &image_config, err)) < 0)
		return r;
	/* -u, or the image's User */
	{
		const char *spec_user = req->user;
		if (!spec_user)
			spec_user = json_string_value(json_object_get(json_object_get(image_config, "config"), "User"));
		if ((r = berth_user_resolve(root_fd, spec_user, &user, err)) < 0) {
			json_decref(image_config);
			return r;
		}
	}
	o.id = (char *)id;
	o.init_path = e->init_path;
	o.uid = user.uid;
	o.gid = user.gid;
	o.additional_gids = user.groups;
	o.n_additional_gids = user.n_groups;
	if ((r = berth_ctr_net_configure(e, req, id, &o, &netns, err)) < 0)
		goto out;
	hostname = berth_xstrdup(o.hostname ? o.hostname : "");
	if (!*hostname && o.net_mode == BERTH_NET_HOST) {
		/* docker: the host's network, the host's name */
		char name[256] = "";
		free(hostname);
		gethostname(name, sizeof(name) - 1);
		hostname = berth_xstrdup(name);
	}
	if (!*hostname) {
		free(hostname);
		hostname = berth_xstrndup(id, 12);
	}
	o.hostname = hostname;
	cgroup = berth_xasprintf("/berth/%s", id);
	o.cgroups_path = cgroup;
	if ((r = write_etc_files(ctr_fd, hostname, o.net_mode == BERTH_NET_HOST, err)) < 0)
		goto out;
	/* volumes (named, anonymous, the image's) become bind mounts of their directories */
	if ((r = berth_volume_prepare_mounts(e, id, root_fd, image_config, req->run.mounts, req->run.n_mounts,
					     &user_mounts, &n_user_mounts, err)) < 0)
		goto out;
	/* user mounts first; the engine's files last, as docker orders them */
	o.mounts = berth_xcalloc(n_user_mounts + 3, sizeof(*o.mounts));
	if (n_user_mounts)
		memcpy(o.mounts, user_mounts, n_user_mounts * sizeof(*o.mounts));
	o.n_mounts = n_user_mounts;
	add_bind(&o, berth_engine_ctr_path(e, id, "resolv.conf"), "/etc/resolv.conf");
	add_bind(&o, berth_engine_ctr_path(e, id, "hostname"), "/etc/hostname");
	add_bind(&o, berth_engine_ctr_path(e, id, "hosts"), "/etc/hosts");
	r = berth_spec_build(image_config, &o, rootfs, &spec, err);
	for (size_t i = n_user_mounts; i < o.n_mounts; i++)
		free(o.mounts[i].source);
	free(o.mounts);
	if (r < 0)
		goto out;
	if (!req->stop_signal) {
		const char *sig = json_string_value(json_object_get(json_object_get(image_config, "config"), "StopSignal"));
		struct berth_create_request copy = *req;
		copy.stop_signal = sig ? sig : "SIGTERM";
		*ret_record = request_json(&copy, spec, image_config, hostname);
	} else {
		*ret_record = request_json(req, spec, image_config, hostname);
	}
	json_object_set_new(*ret_record, "Driver", json_string(driver == BERTH_ROOTFS_OVERLAY ? "overlay" : "copy"));
	json_object_set_new(*ret_record, "Mounts", berth_volume_mounts_json(e, user_mounts, n_user_mounts));
	berth_ctr_net_record(req, image_config, *ret_record);
	text = json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	/*
	 * Not fsynced: a container is durable no further than its row
	 * (synchronous=NORMAL, image-db.c); a power cut within seconds of the
	 * create may lose either, and `berth rm` copes with what is left.
	 */
	r = berth_write_file_replace(ctr_fd, "config.json", text, strlen(text), 0600, err);
out:
	berth_volume_mounts_free(user_mounts, n_user_mounts);
	json_decref(spec);
	json_decref(image_config);
	berth_user_release(&user);
	return r;
}

int berth_ctr_create(struct berth_engine *e, const struct berth_create_request *req, char **ret_id,
		     struct berth_error *err)
{
	struct berth_image img = { 0 };
	_cleanup_free_ char *id = berth_ctr_new_id(), *name = NULL;
	_cleanup_error_ struct berth_error ignore = BERTH_ERROR_INIT;
	struct berth_ctr c = { 0 };
	json_t *record = NULL;
	int r;

	if (req->name && !berth_ctr_name_valid(req->name))
		return berth_error_setx(err, EINVAL,
					"Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", req->name);
	if ((r = berth_ctr_net_validate(e, req, err)) < 0)
		return r;
	if ((r = berth_image_resolve(e->store, req->image, &img, err)) < 0)
		return r;

	c = (struct berth_ctr){ .id = id, .image_id = img.id, .image = (char *)req->image, .created = berth_now_ns(),
				.state = BERTH_CTR_CREATED, .config = json_object() };
	/* the row first: whatever happens next, `rm -f` can find and clean it */
	for (int attempt = 0;; attempt++) {
		free(name);
		name = req->name ? berth_xstrdup(req->name) : berth_ctr_random_name();
		c.name = name;
		r = berth_ctr_db_insert(e->store->db, &c, err);
		if (r != -EEXIST || req->name || attempt > 8)
			break;
		berth_error_release(err);
	}
	json_decref(c.config);
	if (r < 0) {
		berth_image_release(&img);
		return r;
	}
	/* the directory and its lock before anything else: a concurrent rm -f waits for this create */
	{
		_cleanup_free_ char *dir = berth_engine_ctr_path(e, id, NULL);
		_cleanup_close_ int lock = -EBADF;
		_cleanup_free_ char *lock_path = berth_engine_ctr_path(e, id, "lock");
		if ((r = berth_mkdir_p(dir, 0700, err)) == 0) {
			/* the lock file exists from here to the removal, which takes it with the directory */
			lock = open(lock_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
			if (lock < 0)
				r = berth_error_set(err, errno, "create \"%s\"", lock_path);
			else
				close(TAKE_FD(lock));
		}
		if (r == 0 && (lock = berth_engine_lock_ctr(e, id, err)) < 0)
			r = lock;
		if (r == 0)
			r = prepare(e, req, &img, id, &record, err);
		/* the lease and /etc/hosts with its address (container-network.c) */
		if (r == 0 && (r = berth_ctr_net_create(e, id, name, record, err)) < 0)
			json_decref(record);
	}
	if (r == 0) {
		/* the record replaces the placeholder config */
		r = berth_ctr_db_update_config(e->store->db, id, record, err);
		json_decref(record);
	}
	berth_image_release(&img);
	if (r < 0) {
		/* leave nothing behind: the mount, the dirs, the row */
		berth_ctr_remove(e, id, true, true, &ignore);
		return r;
	}
	*ret_id = TAKE_PTR(id);
	return 0;
}
