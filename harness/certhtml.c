// SPDX-License-Identifier: GPL-2.0-or-later
#include "certhtml.h"
#include "strbuf.h"

#include <stdio.h>

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void cell(struct strbuf *b, const char *text)
{
	sb_puts(b, "<td>");
	sb_escape(b, text);
	sb_puts(b, "</td>");
}

/* "median (min-max, n runs)" of a spread object, or "-". */
static void spread(struct strbuf *b, const json_t *s, const char *unit)
{
	if (!json_is_object(s) || !json_integer_value(json_object_get(s, "n"))) {
		cell(b, "-");
		return;
	}
	sb_printf(b, "<td>%.0f %s (%.0f-%.0f, %lld runs)</td>",
		  json_number_value(json_object_get(s, "median")), unit,
		  json_number_value(json_object_get(s, "min")),
		  json_number_value(json_object_get(s, "max")),
		  (long long)json_integer_value(json_object_get(s, "n")));
}

static void devices(struct strbuf *b, const json_t *cert)
{
	const json_t *d;
	size_t i;

	sb_puts(b, "<h2>Devices</h2><table><tr><th>BDF</th><th>role</th><th>id</th>"
		   "<th>subsystem</th><th>driver</th><th>driver version</th>"
		   "<th>firmware</th><th>IOMMU group</th></tr>");
	json_array_foreach(json_object_get(cert, "devices"), i, d)
	{
		char group[24];

		snprintf(group, sizeof(group), "%lld",
			 (long long)json_integer_value(json_object_get(d, "iommu_group")));
		sb_puts(b, "<tr>");
		cell(b, str(d, "bdf"));
		cell(b, str(d, "role"));
		cell(b, str(d, "id"));
		cell(b, str(d, "subsystem"));
		cell(b, str(d, "driver"));
		cell(b, str(d, "driver_version"));
		cell(b, json_is_string(json_object_get(d, "firmware_version"))
			    ? str(d, "firmware_version")
			    : "(not shown by sysfs)");
		cell(b, group);
		sb_puts(b, "</tr>");
	}
	sb_puts(b, "</table>");
}

static void cases(struct strbuf *b, const json_t *cert)
{
	const json_t *c;
	size_t i;

	sb_puts(b, "<h2>Profile items</h2><table><tr><th>case</th><th>verdict</th>"
		   "<th>downtime (QEMU)</th><th>guest pause</th><th>device state</th>"
		   "<th>reason</th></tr>");
	json_array_foreach(json_object_get(cert, "cases"), i, c)
	{
		const char *v = str(c, "verdict");

		sb_puts(b, "<tr>");
		cell(b, str(c, "case"));
		sb_puts(b, "<td class=\"");
		sb_escape(b, v);
		sb_puts(b, "\">");
		sb_escape(b, v);
		sb_puts(b, "</td>");
		spread(b, json_object_get(c, "downtime_ms"), "ms");
		spread(b, json_object_get(c, "guest_pause_ms"), "ms");
		spread(b, json_object_get(c, "device_state_bytes"), "bytes");
		cell(b, json_is_string(json_object_get(c, "reason")) ? str(c, "reason") : "");
		sb_puts(b, "</tr>");
	}
	sb_puts(b, "</table>");
}

static void reasons(struct strbuf *b, const json_t *cert, const char *key, const char *title)
{
	const json_t *a = json_object_get(cert, key), *e;
	size_t i;

	if (!json_array_size(a))
		return;
	sb_printf(b, "<h2>%s</h2><ul>", title);
	json_array_foreach(a, i, e)
	{
		sb_puts(b, "<li>");
		sb_escape(b, json_is_string(e) ? json_string_value(e) : str(e, "case"));
		if (json_is_object(e) && json_is_string(json_object_get(e, "reason"))) {
			sb_puts(b, ": ");
			sb_escape(b, str(e, "reason"));
		}
		sb_puts(b, "</li>");
	}
	sb_puts(b, "</ul>");
}

char *cert_html(const json_t *cert, const char *sha256)
{
	const json_t *host = json_object_get(cert, "host"), *q = json_object_get(cert, "qemu");
	struct strbuf b = {0};

	sb_puts(&b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<title>migcheck certificate ");
	sb_escape(&b, str(cert, "id"));
	sb_puts(&b, "</title><style>body{font-family:sans-serif;margin:2em}"
		    "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .5em;"
		    "text-align:left}.pass{background:#c8e6c9}.fail{background:#ffcdd2}"
		    ".incomplete,.skip{background:#fff9c4}code{word-break:break-all}</style>"
		    "</head><body><h1>migcheck certificate</h1><p>Result: <strong class=\"");
	sb_escape(&b, str(cert, "result"));
	sb_puts(&b, "\">");
	sb_escape(&b, str(cert, "result"));
	sb_printf(&b, "</strong>; profile %s version %lld; created ",
		  str(json_object_get(cert, "profile"), "name"),
		  (long long)json_integer_value(
		      json_object_get(json_object_get(cert, "profile"), "version")));
	sb_escape(&b, str(cert, "created"));
	sb_puts(&b, "</p><p>VFIO provider: ");
	sb_escape(&b, str(cert, "vfio_provider"));
	sb_puts(&b, "</p><p>Host: ");
	sb_escape(&b, str(host, "hostname"));
	sb_puts(&b, ", kernel ");
	sb_escape(&b, str(host, "kernel"));
	sb_puts(&b, "; QEMU ");
	sb_escape(&b, str(q, "version_line"));
	sb_puts(&b, "</p>");
	devices(&b, cert);
	cases(&b, cert);
	reasons(&b, cert, "not_applicable", "Not applicable to these devices");
	sb_puts(&b, "<p>SHA-256 of certificate.json: <code>");
	sb_escape(&b, sha256);
	sb_puts(&b, "</code></p></body></html>\n");
	return sb_take(&b);
}
