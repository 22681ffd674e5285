// SPDX-License-Identifier: GPL-2.0-or-later
#include "repeat.h"
#include "reportdoc.h"
#include "tap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Higher is worse: what a case is when its repetitions disagree. */
static int severity(enum mc_result r)
{
	static const int rank[MC_NRESULTS] = {
	    [MC_SKIP] = 0,  [MC_PASS] = 1, [MC_XPASS] = 2,
	    [MC_XFAIL] = 3, [MC_FAIL] = 4, [MC_ERROR] = 5,
	};

	return rank[r];
}

static const char *const kept[] = {"result",	       "reason",	  "failure", "duration_s",
				   "workdir",	       "phases",	  "metrics", "oracles",
				   "migration_status", "migration_error", NULL};

json_t *repeat_fold(json_t *const *recs, int n)
{
	json_t *out, *reps;
	int i, k, worst = 0, same = 1, count = 0;
	double total = 0;

	if (n == 1)
		return json_incref(recs[0]);
	reps = json_array();
	for (i = 1; i < n; i++) {
		if (severity(rd_result(recs[i])) > severity(rd_result(recs[worst])))
			worst = i;
		same &= rd_result(recs[i]) == rd_result(recs[0]);
	}
	for (i = 0; i < n; i++) {
		json_t *r = json_object();
		double t = 0;

		for (k = 0; kept[k]; k++)
			if (json_object_get(recs[i], kept[k]))
				json_object_set(r, kept[k], json_object_get(recs[i], kept[k]));
		json_array_append_new(reps, r);
		rd_number(recs[i], "duration_s", &t);
		total += t;
		count += rd_result(recs[i]) == rd_result(recs[worst]);
	}
	out = json_deep_copy(recs[worst]);
	json_object_set_new(out, "duration_s", json_real(total));
	if (!same && rd_str(out, "reason") &&
	    (rd_result(out) == MC_FAIL || rd_result(out) == MC_ERROR)) {
		char *why =
		    mc_strdup_printf("%s (%s in %d of %d repetitions)", rd_str(out, "reason"),
				     rd_str(out, "result"), count, n);

		json_object_set_new(out, "reason", json_string(why));
		free(why);
	}
	json_object_set_new(out, "flaky", json_boolean(!same));
	json_object_set_new(out, "repetitions", reps);
	return out;
}
