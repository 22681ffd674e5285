/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runner_int.h: the run plan, shared by the registry and the runner only. */
#ifndef MIGCHECK_RUNNER_INT_H
#define MIGCHECK_RUNNER_INT_H

#include "runner.h"

/*
 * The selected cases in run order into list[] (sized for every registered
 * test), with a shard only that shard's; order[] gets each one's position
 * in the whole selection.  (size_t)-1 with *err on a bad shard.
 */
size_t mc_plan_cases(const struct mc_config *cfg, const struct mc_selection *sel,
		     const struct mc_test **list, size_t *order, json_t **shard_info, char **err);

#endif
