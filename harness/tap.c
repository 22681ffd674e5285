// SPDX-License-Identifier: GPL-2.0-or-later
#include "tap.h"

#include <stdarg.h>
#include <string.h>

static const char *const names[MC_NRESULTS] = {"pass", "fail", "xfail", "xpass", "skip", "error"};

const char *mc_result_name(enum mc_result r)
{
	return r < MC_NRESULTS ? names[r] : "error";
}

int mc_result_parse(const char *s)
{
	int i;

	for (i = 0; s && i < MC_NRESULTS; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

void tap_begin(struct tap *t, FILE *out, int planned)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
	fprintf(out, "TAP version 13\n1..%d\n", planned);
	fflush(out);
}

void tap_diag(struct tap *t, const char *fmt, ...)
{
	char buf[4096], *line, *save = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(t->out, "# %s\n", line);
	fflush(t->out);
}

/* A directive's reason must stay on its line. */
static void put_reason(FILE *out, const char *reason)
{
	for (; reason && *reason; reason++)
		fputc(*reason == '\n' || *reason == '#' ? ' ' : *reason, out);
}

void tap_result(struct tap *t, const char *name, enum mc_result r, const char *reason)
{
	t->n++;
	if (r >= MC_NRESULTS)
		r = MC_ERROR;
	t->counts[r]++;
	if ((r == MC_FAIL || r == MC_ERROR) && reason && *reason)
		tap_diag(t, "%s: %s", name, reason);
	switch (r) {
	case MC_PASS:
		fprintf(t->out, "ok %d %s\n", t->n, name);
		break;
	case MC_FAIL:
		fprintf(t->out, "not ok %d %s\n", t->n, name);
		break;
	case MC_ERROR:
		fprintf(t->out, "not ok %d %s # error\n", t->n, name);
		break;
	case MC_SKIP:
		fprintf(t->out, "ok %d %s # SKIP ", t->n, name);
		put_reason(t->out, reason);
		fputc('\n', t->out);
		break;
	case MC_XFAIL:
		fprintf(t->out, "ok %d %s # XFAIL ", t->n, name);
		put_reason(t->out, reason);
		fputc('\n', t->out);
		break;
	case MC_XPASS:
		fprintf(t->out, "ok %d %s # XPASS ", t->n, name);
		put_reason(t->out, reason);
		fputc('\n', t->out);
		break;
	default:
		break;
	}
	fflush(t->out);
}

void tap_totals(struct tap *t)
{
	fprintf(t->out, "# Totals: pass:%d fail:%d xfail:%d xpass:%d skip:%d error:%d\n",
		t->counts[MC_PASS], t->counts[MC_FAIL], t->counts[MC_XFAIL], t->counts[MC_XPASS],
		t->counts[MC_SKIP], t->counts[MC_ERROR]);
	fflush(t->out);
}

int tap_exit_code(const struct tap *t)
{
	if (t->counts[MC_FAIL] || t->counts[MC_ERROR])
		return 1;
	if (t->counts[MC_PASS] + t->counts[MC_XFAIL] + t->counts[MC_XPASS] == 0)
		return 4;
	return 0;
}
