// SPDX-License-Identifier: GPL-2.0-or-later
#include "lvdomain.h"
#include "util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *t;
	size_t n;

	va_start(ap, fmt);
	t = mc_strdup_vprintf(fmt, ap);
	va_end(ap);
	n = strlen(t);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->len, t, n + 1);
	b->len += n;
	free(t);
}

char *lvdomain_escape(const char *s)
{
	struct buf b = {0};

	put(&b, "%s", "");
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			put(&b, "&amp;");
			break;
		case '<':
			put(&b, "&lt;");
			break;
		case '>':
			put(&b, "&gt;");
			break;
		case '\'':
			put(&b, "&apos;");
			break;
		case '"':
			put(&b, "&quot;");
			break;
		default:
			put(&b, "%c", *s);
		}
	}
	return b.s;
}

/* intel-iommu properties libvirt's <iommu><driver> has an attribute for. */
static const char *const iommu_attrs[][2] = {
    {"caching-mode", "caching_mode"},
    {"intremap", "intremap"},
    {"eim", "eim"},
    {"device-iotlb", "iotlb"},
    {"aw-bits", "aw_bits"},
    {"dma-translation", "dma_translation"},
};

static const char *onoff(const char *v)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"))
		return "on";
	if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"))
		return "off";
	return NULL;
}

/*
 * "-device intel-iommu,a=b,..." as <iommu> plus overrides; returns false
 * (nothing written) if a property has no element and no boolean value.
 */
static bool iommu_element(const char *dev, struct buf *dom, struct buf *ovr, json_t *how)
{
	char *props = strdup(strchr(dev, ',') ? strchr(dev, ',') + 1 : "");
	struct buf drv = {0}, frontend = {0};
	char *save = NULL, *kv;
	json_t *mapped = json_object(), *overridden = json_object();
	bool ok = true;
	unsigned i;

	put(&drv, "%s", "");
	put(&frontend, "%s", "");
	for (kv = strtok_r(props, ",", &save); kv && ok; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		const char *v;

		if (!eq) {
			ok = false;
			break;
		}
		*eq = '\0';
		for (i = 0; i < sizeof(iommu_attrs) / sizeof(iommu_attrs[0]); i++)
			if (!strcmp(kv, iommu_attrs[i][0]))
				break;
		if (i < sizeof(iommu_attrs) / sizeof(iommu_attrs[0])) {
			v = !strcmp(kv, "aw-bits") ? eq + 1 : onoff(eq + 1);
			if (!v) {
				ok = false;
				break;
			}
			put(&drv, " %s='%s'", iommu_attrs[i][1], v);
			json_object_set_new(mapped, kv, json_string(iommu_attrs[i][1]));
			continue;
		}
		/* No attribute (x-scalable-mode, x-flts...): a boolean override. */
		v = onoff(eq + 1);
		if (!v) {
			ok = false;
			break;
		}
		put(&frontend, "        <qemu:property name='%s' type='bool' value='%s'/>\n", kv,
		    !strcmp(v, "on") ? "true" : "false");
		json_object_set_new(overridden, kv, json_string(eq + 1));
	}
	if (ok) {
		/* libvirt calls the device iommu0: the override names it so. */
		put(dom, "    <iommu model='intel'>\n      <driver%s/>\n    </iommu>\n", drv.s);
		if (frontend.len)
			put(ovr,
			    "    <qemu:device alias='iommu0'>\n      <qemu:frontend>\n%s"
			    "      </qemu:frontend>\n    </qemu:device>\n",
			    frontend.s);
		json_object_set_new(how, "iommu",
				    json_pack("{s:s, s:o, s:o}", "device", dev, "driver_attributes",
					      mapped, "qemu_override", overridden));
	} else {
		json_decref(mapped);
		json_decref(overridden);
	}
	free(drv.s);
	free(frontend.s);
	free(props);
	return ok;
}

char *lvdomain_xml(const struct lvdomain_spec *s, json_t **how_out)
{
	struct buf b = {0}, devs = {0}, args = {0}, ovr = {0};
	json_t *how = json_object(), *passed = json_array(), *envs = json_array();
	char *e1, *e2, *e3, *e4, *e5;
	int i;

	put(&devs, "%s", "");
	put(&args, "%s", "");
	put(&ovr, "%s", "");
	for (i = 0; s->extra_args && s->extra_args[i]; i++) {
		const char *a = s->extra_args[i], *next = s->extra_args[i + 1];

		if (!strcmp(a, "-device") && next && !strncmp(next, "intel-iommu", 11) &&
		    (next[11] == ',' || !next[11]) && iommu_element(next, &devs, &ovr, how)) {
			i++;
			continue;
		}
		e1 = lvdomain_escape(a);
		put(&args, "    <qemu:arg value='%s'/>\n", e1);
		free(e1);
		json_array_append_new(passed, json_string(a));
	}
	for (i = 0; s->env && s->env[i]; i++) {
		const char *eq = strchr(s->env[i], '=');
		char *key;

		if (!eq)
			continue;
		key = strndup(s->env[i], eq - s->env[i]);
		e1 = lvdomain_escape(key);
		e2 = lvdomain_escape(eq + 1);
		put(&args, "    <qemu:env name='%s' value='%s'/>\n", e1, e2);
		json_array_append_new(envs, json_string(s->env[i]));
		free(e1);
		free(e2);
		free(key);
	}
	e1 = lvdomain_escape(s->emulator);
	e2 = lvdomain_escape(s->kernel);
	e3 = lvdomain_escape(s->initrd);
	e4 = lvdomain_escape(s->append);
	e5 = lvdomain_escape(s->console_path);
	put(&b,
	    "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
	    "  <name>%s</name>\n"
	    "  <memory unit='b'>%llu</memory>\n"
	    "  <vcpu>%d</vcpu>\n"
	    "  <memoryBacking>\n    <source type='file'/>\n    <access mode='shared'/>\n"
	    "  </memoryBacking>\n"
	    "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n",
	    s->name, (unsigned long long)s->mem_bytes, s->smp > 0 ? s->smp : 1);
	if (s->kernel) {
		put(&b, "    <kernel>%s</kernel>\n", e2);
		if (s->initrd)
			put(&b, "    <initrd>%s</initrd>\n", e3);
		if (s->append)
			put(&b, "    <cmdline>%s</cmdline>\n", e4);
	}
	put(&b,
	    "  </os>\n"
	    "  <features>\n    <acpi/>\n  </features>\n"
	    "  <on_poweroff>destroy</on_poweroff>\n"
	    "  <on_reboot>destroy</on_reboot>\n"
	    "  <on_crash>destroy</on_crash>\n"
	    "  <devices>\n"
	    "    <emulator>%s</emulator>\n"
	    "    <controller type='usb' model='none'/>\n"
	    "    <memballoon model='none'/>\n"
	    "    <serial type='file'>\n      <source path='%s'/>\n"
	    "      <target port='0'/>\n    </serial>\n",
	    e1, e5);
	if (s->agent_path) {
		char *ea = lvdomain_escape(s->agent_path);

		put(&b,
		    "    <serial type='unix'>\n      <source mode='bind' path='%s'/>\n"
		    "      <target port='1'/>\n    </serial>\n",
		    ea);
		free(ea);
	}
	put(&b, "%s  </devices>\n", devs.s);
	if (args.len)
		put(&b, "  <qemu:commandline>\n%s  </qemu:commandline>\n", args.s);
	if (ovr.len)
		put(&b, "  <qemu:override>\n%s  </qemu:override>\n", ovr.s);
	put(&b, "</domain>\n");
	json_object_set_new(how, "qemu_commandline_args", passed);
	json_object_set_new(how, "qemu_env", envs);
	if (how_out)
		*how_out = how;
	else
		json_decref(how);
	free(e1);
	free(e2);
	free(e3);
	free(e4);
	free(e5);
	free(devs.s);
	free(args.s);
	free(ovr.s);
	return b.s;
}

char *lvdomain_rewrite(const char *xml, const char *const *from, const char *const *to)
{
	char *cur = strdup(xml);
	int i;

	for (i = 0; from && from[i] && to[i]; i++) {
		struct buf b = {0};
		const char *p = cur, *hit;
		size_t n = strlen(from[i]);

		if (!n)
			continue;
		put(&b, "%s", "");
		while ((hit = strstr(p, from[i]))) {
			put(&b, "%.*s%s", (int)(hit - p), p, to[i]);
			p = hit + n;
		}
		put(&b, "%s", p);
		free(cur);
		cur = b.s;
	}
	return cur;
}
