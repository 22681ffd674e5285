// SPDX-License-Identifier: GPL-2.0-or-later
#include "probe.h"
#include "ramfile.h"
#include "qemuid.h"
#include "guest.h"
#include "proc.h"
#include "qmp.h"
#include "util.h"
#include "vm.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* First line of a command's output, or NULL. */
static char *first_line(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char buf[512];
	char *ret = NULL;

	if (!p)
		return NULL;
	if (fgets(buf, sizeof(buf), p))
		ret = strdup(mc_rstrip(buf));
	pclose(p);
	return ret;
}

static json_t *str_or_null(char *s)
{
	json_t *j = s ? json_string(s) : json_null();

	free(s);
	return j;
}

static char *resolve_binary(const char *qemu)
{
	char *cmd, *path;

	if (strchr(qemu, '/'))
		return realpath(qemu, NULL);
	cmd = mc_strdup_printf("command -v '%s' 2>/dev/null", qemu);
	path = first_line(cmd);
	free(cmd);
	return path;
}

json_t *probe_environment(const char *qemu, const char *guest_dir)
{
	struct utsname u;
	json_t *env = json_object(), *host = json_object(), *q = json_object();
	char *bin = resolve_binary(qemu), *cmd;
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	uname(&u);
	json_object_set_new(host, "hostname", json_string(u.nodename));
	json_object_set_new(host, "kernel", json_string(u.release));
	json_object_set_new(host, "kernel_version", json_string(u.version));
	json_object_set_new(host, "arch", json_string(u.machine));
	json_object_set_new(host, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(host, "memory_bytes", json_integer((json_int_t)pages * psz));
	json_object_set_new(
	    host, "os",
	    str_or_null(first_line(". /etc/os-release 2>/dev/null && echo \"$PRETTY_NAME\"")));
	json_object_set_new(host, "dev_kvm", json_boolean(mc_path_exists("/dev/kvm")));
	json_object_set_new(host, "guest_ram", json_string(ramfile_backing()));
	json_object_set_new(host, "dev_vfio", json_boolean(mc_path_exists("/dev/vfio/vfio")));
	json_object_set_new(host, "dev_iommu", json_boolean(mc_path_exists("/dev/iommu")));
	json_object_set_new(env, "host", host);

	json_object_set_new(q, "binary", json_string(qemu));
	json_object_set_new(q, "path", bin ? json_string(bin) : json_null());
	/* Bounded: a binary that never exits must not hang the run before it starts. */
	cmd = mc_strdup_printf("timeout -s KILL 10 '%s' --version 2>/dev/null", bin ? bin : qemu);
	json_object_set_new(q, "version_line", str_or_null(first_line(cmd)));
	free(cmd);
	if (bin) {
		cmd = mc_strdup_printf("dpkg-query -S '%s' 2>/dev/null | cut -d: -f1", bin);
		char *pkg = first_line(cmd);

		free(cmd);
		if (pkg) {
			cmd = mc_strdup_printf("dpkg-query -W -f '${Package} ${Version}' '%s' "
					       "2>/dev/null",
					       pkg);
			json_object_set_new(q, "package", str_or_null(first_line(cmd)));
			free(cmd);
			free(pkg);
		}
	}
	free(bin);
	/* Probed once for the run: forked cases share it (qemuid). */
	json_object_set_new(q, "identity", qemuid_json(qemuid_get(qemu, NULL)));
	json_object_set_new(env, "qemu", q);
	json_object_set_new(env, "guest", guest_describe(guest_dir));
	json_object_set_new(env, "migcheck", json_pack("{s:s}", "version", MIGCHECK_VERSION));
	return env;
}

/* QEMU with no machine, QMP on a socketpair: enough to ask what it has. */
static struct qmp *start_bare(const char *qemu, struct mc_proc *p, char **err)
{
	int sv[2];
	char fdarg[64], *argv[16];
	struct mc_spawn sp = {0};
	int n = 0;
	struct qmp *q;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		mc_set_err(err, "socketpair failed");
		return NULL;
	}
	snprintf(fdarg, sizeof(fdarg), "socket,id=qmp,fd=%d", sv[1]);
	argv[n++] = (char *)qemu;
	argv[n++] = "-machine";
	argv[n++] = "none";
	argv[n++] = "-nodefaults";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-chardev";
	argv[n++] = fdarg;
	argv[n++] = "-mon";
	argv[n++] = "chardev=qmp,mode=control";
	argv[n] = NULL;
	sp.argv = argv;
	sp.keep_fds = &sv[1];
	sp.nkeep = 1;
	if (mc_proc_spawn(p, &sp, err) < 0) {
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	close(sv[1]);
	q = qmp_open(sv[0], NULL, "probe");
	if (qmp_handshake(q, 15000, err) < 0) {
		qmp_close(q);
		mc_proc_terminate(p, 1000);
		return NULL;
	}
	return q;
}

static json_t *type_names(struct qmp *q, const char *implements)
{
	json_t *r =
	    qmp_call(q, "qom-list-types",
		     json_pack("{s:s, s:b}", "implements", implements, "abstract", 0), 10000, NULL);
	json_t *names = json_array(), *t;
	size_t i;

	json_array_foreach(r, i, t) json_array_append(names, json_object_get(t, "name"));
	json_decref(r);
	return names;
}

static json_t *props(struct qmp *q, const char *cmd, const char *type)
{
	char *err = NULL;
	json_t *r = qmp_call(q, cmd, json_pack("{s:s}", "typename", type), 10000, &err);
	json_t *out = json_object(), *p;
	size_t i;

	if (!r) {
		/* Absent (or unanswerable): say why rather than just "missing". */
		json_object_set_new(out, "_error", json_string(err ? err : "no answer"));
		free(err);
		return out;
	}
	json_array_foreach(r, i, p)
	{
		const char *name = json_string_value(json_object_get(p, "name"));
		json_t *d = json_pack("{s:O}", "type", json_object_get(p, "type"));

		if (json_object_get(p, "default-value"))
			json_object_set(d, "default", json_object_get(p, "default-value"));
		if (name)
			json_object_set_new(out, name, d);
		else
			json_decref(d);
	}
	json_decref(r);
	return out;
}

json_t *probe_qemu(const char *qemu, char **err)
{
	struct mc_proc p;
	struct qmp *q = start_bare(qemu, &p, err);
	json_t *out, *devs, *caps, *d, *c;
	static const char *const interesting[] = {"vfio-pci", "intel-iommu", "virtio-iommu-pci",
						  NULL};
	size_t i;

	if (!q)
		return NULL;
	out = json_object();
	json_object_set_new(out, "version", json_string(qmp_version(q)));
	json_object_set_new(out, "package", json_string(qmp_package(q)));
	json_object_set_new(out, "accelerators", type_names(q, "accel"));
	json_object_set_new(out, "machines_default", json_null());
	devs = json_object();
	for (i = 0; interesting[i]; i++)
		json_object_set_new(devs, interesting[i],
				    props(q, "device-list-properties", interesting[i]));
	json_object_set_new(out, "devices", devs);
	json_object_set_new(
	    out, "objects",
	    json_pack("{s:o}", "iommufd", props(q, "qom-list-properties", "iommufd")));
	d = type_names(q, "device");
	json_object_set_new(out, "device_count", json_integer(json_array_size(d)));
	json_decref(d);
	caps = qmp_call(q, "query-migrate-capabilities", NULL, 10000, NULL);
	c = json_object();
	json_array_foreach(caps, i, d) json_object_set(
	    c, json_string_value(json_object_get(d, "capability")), json_object_get(d, "state"));
	json_decref(caps);
	json_object_set_new(out, "migration_capabilities", c);
	d = qmp_call(q, "query-migrate-parameters", NULL, 10000, NULL);
	json_object_set_new(out, "migration_parameters", d ? d : json_null());
	qmp_call_void(q, "quit", NULL, 3000, NULL);
	if (!mc_proc_wait(&p, 3000))
		mc_proc_terminate(&p, 1000);
	qmp_close(q);
	return out;
}

json_t *probe_kvm(const char *qemu, const char *guest_dir)
{
	json_t *k = json_object();
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	struct guest_files g;
	struct vm_spec spec = {0};
	struct vm *vm;
	char *err = NULL, *dir;
	char tmpl[] = "/tmp/migcheck-probe-XXXXXX";

	json_object_set_new(k, "present", json_boolean(mc_path_exists("/dev/kvm")));
	json_object_set_new(k, "opens", json_boolean(fd >= 0));
	if (fd < 0)
		return k;
	close(fd);
	if (guest_files_find(guest_dir, &g, &err) < 0) {
		json_object_set_new(k, "runs_ordinary_guest", json_null());
		json_object_set_new(k, "detail", json_string(err));
		free(err);
		return k;
	}
	dir = mkdtemp(tmpl);
	spec.qemu = qemu;
	spec.accel = "kvm";
	spec.mem_bytes = 256ull << 20;
	spec.kernel = g.kernel;
	spec.initrd = g.initrd;
	spec.append = GUEST_BASE_CMDLINE;
	spec.agent = true;
	vm = dir ? vm_start(&spec, VM_SRC, dir, NULL, &err) : NULL;
	if (vm && agentlink_wait_ready(vm->agent, 10000, &err)) {
		json_object_set_new(k, "runs_ordinary_guest", json_true());
	} else {
		char *why = NULL;

		if (vm && vm_dead(vm, &why)) {
			free(err);
			err = why;
		}
		json_object_set_new(k, "runs_ordinary_guest", json_false());
		json_object_set_new(k, "detail", json_string(err ? err : "unknown"));
	}
	vm_destroy(vm);
	if (dir)
		mc_rm_rf(dir);
	free(err);
	guest_files_free(&g);
	return k;
}

/* The release the build belongs to and what the probe found it can do. */
static void probe_print_identity(const json_t *id, FILE *out)
{
	const json_t *props = json_object_get(id, "intel_iommu_properties"), *v;
	const char *ver = json_string_value(json_object_get(id, "version")) ?: "?";
	const char *rel = json_string_value(json_object_get(id, "release")) ?: "?";
	size_t i;

	if (!id)
		return;
	if (json_is_true(json_object_get(id, "development")))
		fprintf(out, "release:  %s, a development build of %s (its expectations)\n", ver,
			rel);
	else
		fprintf(out, "release:  %s\n", rel);
	if (!json_is_true(json_object_get(id, "intel_iommu")))
		fprintf(out, "intel-iommu: absent\n");
	else
		fprintf(out,
			"intel-iommu: scalable mode '%s', first-stage translation '%s', PASID "
			"'%s'\n",
			json_string_value(json_object_get(props, "scalable_mode")) ?: "none",
			json_string_value(json_object_get(props, "first_stage")) ?: "none",
			json_string_value(json_object_get(props, "pasid")) ?: "none");
	json_array_foreach(json_object_get(id, "vfio_behind_viommu"), i, v)
	{
		const char *text = json_string_value(json_object_get(v, "text"));

		fprintf(out, "%s %s: %s%s%s\n", i ? "         " : "vIOMMU:  ",
			json_string_value(json_object_get(v, "config")),
			json_string_value(json_object_get(v, "verdict")), text ? ": " : "",
			text ? text : "");
	}
}

void probe_print(const json_t *p, FILE *out)
{
	const json_t *env = json_object_get(p, "environment");
	const json_t *host = json_object_get(env, "host"), *q = json_object_get(p, "qemu");
	const json_t *kvm = json_object_get(p, "kvm"), *v;
	const char *key;

	fprintf(out, "host:     %s, Linux %s, %lld CPUs, %lld MiB\n",
		json_string_value(json_object_get(host, "os")) ?: "?",
		json_string_value(json_object_get(host, "kernel")) ?: "?",
		json_integer_value(json_object_get(host, "cpus")),
		json_integer_value(json_object_get(host, "memory_bytes")) >> 20);
	fprintf(out, "devices:  /dev/kvm %s, /dev/vfio %s, /dev/iommu %s\n",
		json_is_true(json_object_get(host, "dev_kvm")) ? "yes" : "no",
		json_is_true(json_object_get(host, "dev_vfio")) ? "yes" : "no",
		json_is_true(json_object_get(host, "dev_iommu")) ? "yes" : "no");
	fprintf(out, "guest RAM: %s\n",
		json_string_value(json_object_get(host, "guest_ram")) ?: "?");
	fprintf(out, "kvm:      %s\n",
		json_is_true(json_object_get(kvm, "runs_ordinary_guest")) ? "runs an ordinary guest"
		: json_is_false(json_object_get(kvm, "opens"))
		    ? "unavailable"
		    : (json_string_value(json_object_get(kvm, "detail"))
			   ?: "cannot run an ordinary guest"));
	fprintf(out, "qemu:     %s (%s)\n",
		json_string_value(json_object_get(json_object_get(env, "qemu"), "path")) ?: "?",
		json_string_value(json_object_get(json_object_get(env, "qemu"), "version_line"))
		    ?: "?");
	if (!q) {
		fprintf(out, "qemu probe failed: %s\n",
			json_string_value(json_object_get(p, "qemu_error")) ?: "?");
		return;
	}
	fprintf(out, "accel:    ");
	{
		size_t i;
		json_t *a;

		json_array_foreach(json_object_get(q, "accelerators"), i, a)
		    fprintf(out, "%s%s", i ? ", " : "", json_string_value(a));
	}
	fprintf(out, "\nvfio-pci: %s\n",
		json_is_object(json_object_get(json_object_get(q, "devices"), "vfio-pci"))
		    ? "available"
		    : "missing");
	fprintf(out, "migration capabilities:");
	json_object_foreach((json_t *)json_object_get(q, "migration_capabilities"), key, v)
	    fprintf(out, " %s", key);
	fprintf(out, "\n");
	probe_print_identity(json_object_get(p, "identity"), out);
	{
		const json_t *g = json_object_get(env, "guest");
		const char *boot = json_string_value(json_object_get(g, "boot"));

		fprintf(out, "guest:    %s%s%s\n",
			json_string_value(json_object_get(g, "kernel_release")) ?: "(not built)",
			boot ? ", booted as " : "", boot ? boot : "");
	}
}
