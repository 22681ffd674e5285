// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * migcheck: conformance harness for QEMU live migration with VFIO devices.
 *
 *   migcheck run   [options] [SUITE|GLOB ...]   run cases, TAP on stdout
 *   migcheck list  [options] [SUITE|GLOB ...]   list case names
 *   migcheck probe [--json] [--qemu PATH]       describe the system under test
 *   migcheck bench [--repeat N] [SUITE|GLOB ...] phase timings and oracle speed
 *   migcheck ab --qemu-a A --qemu-b B [options] [SUITE|GLOB ...]  two builds compared
 *   migcheck render | compare | merge              work from report files (tools.h)
 *   migcheck certify --device host=SRC,DST       certify host devices
 */
#include "ab.h"
#include "bench.h"
#include "certify.h"
#include "hostdev.h"
#include "lvpair.h"
#include "matrix.h"
#include "mockdev.h"
#include "probe.h"
#include "qemuid.h"
#include "runner.h"
#include "shard.h"
#include "tools.h"
#include "util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The axis options, from the one table of axes. */
static void axes_usage(FILE *out)
{
	int a, v;

	fprintf(out, "\nselect cases by axis (--AXIS=VALUE, values may be globs; a case without\n"
		     "that axis is not selected):\n");
	for (a = 0; a < MX_NAXES; a++) {
		fprintf(out, "  --%s=", mx_axes[a].name);
		for (v = 0; v < mx_value_count(a); v++)
			fprintf(out, "%s%s", v ? "|" : "", mx_value_name(a, v));
		fprintf(out, "\n      %s\n", mx_axes[a].summary);
	}
}

static void usage(FILE *out)
{
	fputs("usage: migcheck run   [options] [SUITE|GLOB ...]\n"
	      "       migcheck list  [options] [SUITE|GLOB ...]\n"
	      "       migcheck probe [--json] [--qemu PATH] [--guest-dir DIR]\n"
	      "       migcheck bench [--repeat N] [--oracle-mib M] [SUITE|GLOB ...]\n"
	      "       migcheck ab    --qemu-a PATH --qemu-b PATH [options] [SUITE|GLOB ...]\n"
	      "       migcheck certify --device host=SRC_BDF,DST_BDF [--qemu PATH] [-j N]\n",
	      out);
	tools_usage(out);
	fprintf(
	    out,
	    "\n"
	    "Cases are named fixture.variant.test; select them by suite name, by globs on\n"
	    "the full name, or with -f/-v/-t globs on each part.\n"
	    "\n"
	    "options:\n"
	    "  --qemu PATH         QEMU binary under test (default: $MIGCHECK_QEMU or %s)\n"
	    "  --qemu-dst PATH     destinations run this build instead (cross-build migration;\n"
	    "                      both sides run the older release's pc-q35 machine type)\n"
	    "  --guest-dir DIR     guest kernel and initramfs (default: %s)\n"
	    "  --reports DIR       where runs/<run-id>/ and latest go (default: %s)\n"
	    "  --expectations DIR  policy tables and known defects per QEMU release\n"
	    "                      (default: $MIGCHECK_EXPECTATIONS or the source tree's)\n"
	    "  --run-id ID         name of the run directory (default: date-time-pid)\n"
	    "  --device host=SRC_BDF,DST_BDF[,SRC_BDF,DST_BDF]\n"
	    "                      host devices for the passthrough suite and certify, in\n"
	    "                      pairs: the source's, then the destination's (README:\n"
	    "                      Certifying a device); the host is checked first\n"
	    "  --timeout SEC       per-case timeout, overriding each test's own\n"
	    "  -j, --jobs N        run up to N cases at once (default 1); output keeps its order\n"
	    "  --via qemu|libvirt  who starts and migrates the QEMUs of pair-based cases: the\n"
	    "                      harness (default, or $MIGCHECK_VIA), or private libvirt\n"
	    "                      daemons in two namespaced hosts (root; see README)\n"
	    "  -f, --fixture GLOB  -v, --variant GLOB  -t, --test GLOB\n"
	    "  --mock-kernel REL   kernel release the VFIO mock answers as: 6.12 or 7.2\n"
	    "                      (default: $MIGCHECK_MOCK_KERNEL or " MOCK_KERNEL_DEFAULT ")\n"
	    "  --progress / --no-progress   progress on stderr (default: if a terminal)\n"
	    "  --json              (list, probe) machine-readable output\n"
	    "  --repeat N          (run, ab) run every case N times, each run recorded;\n"
	    "                      (bench) runs of the selected cases (default 3)\n"
	    "  --shard K/N         (run) run shard K of N of the selection; join the reports\n"
	    "                      with migcheck merge\n"
	    "  --durations REPORT  (run --shard) balance shards by this earlier report's case\n"
	    "                      durations (default: by count)\n"
	    "  --qemu-a PATH --qemu-b PATH  (ab) the two builds; ab runs the selection on both,\n"
	    "                      case by case, and prints the comparison of B against A\n"
	    "  --format FMT        (ab) text, markdown or html\n"
	    "  --oracle-mib M      (bench) memory for the oracle and first-touch measures\n"
	    "                      (default 1024)\n"
	    "  -h, --help          this text\n",
	    MIGCHECK_DEFAULT_QEMU, MIGCHECK_GUEST_DIR, MIGCHECK_REPORTS_DIR);
	axes_usage(out);
}

static int cmd_list(const struct mc_selection *sel, bool json)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < mc_test_count(); i++) {
		const struct mc_test *t = mc_test_at(i);
		char name[256];

		if (!mc_test_selected(t, sel))
			continue;
		mc_test_name(t, name, sizeof(name));
		if (json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
							     "name", name, "suite", t->fixture,
							     "fixture", t->fixture, "variant",
							     t->variant, "test", t->test, "summary",
							     t->summary ? t->summary : ""));
		else
			printf("%-48s %s\n", name, t->summary ? t->summary : "");
	}
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
	}
	json_decref(arr);
	return 0;
}

static int cmd_probe(const struct mc_config *cfg, bool json)
{
	const char *qemu = cfg->qemu, *guest_dir = cfg->guest_dir;
	json_t *p = json_object();
	char *err = NULL;
	json_t *q = probe_qemu(qemu, &err);

	json_object_set_new(p, "environment", probe_environment(qemu, guest_dir));
	if (q) {
		struct qemu_id id = {0};

		qemuid_from_probe(&id, q);
		qemuid_probe_viommu(&id, qemu, cfg->mock_lib);
		json_object_set_new(p, "identity", qemuid_json(&id));
		qemuid_clear(&id);
		json_object_set_new(p, "qemu", q);
	} else
		json_object_set_new(p, "qemu_error", json_string(err ? err : "unknown"));
	json_object_set_new(p, "kvm", probe_kvm(qemu, guest_dir));
	if (json) {
		char *s = json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", s);
		free(s);
	} else {
		probe_print(p, stdout);
	}
	if (!q)
		fprintf(stderr, "migcheck: probe: %s\n", err);
	free(err);
	json_decref(p);
	return q ? 0 : 1;
}

int main(int argc, char **argv)
{
	enum {
		OPT_QEMU = 256,
		OPT_GUEST,
		OPT_REPORTS,
		OPT_EXPECT,
		OPT_RUNID,
		OPT_TIMEOUT,
		OPT_JSON,
		OPT_PROGRESS,
		OPT_NOPROGRESS,
		OPT_REPEAT,
		OPT_ORACLE_MIB,
		OPT_VIA,
		OPT_SHARD,
		OPT_DURATIONS,
		OPT_QEMU_A,
		OPT_QEMU_B,
		OPT_FORMAT,
		OPT_MOCK_KERNEL,
		OPT_DEVICE,
		OPT_QEMU_DST,
		OPT_AXIS = 512
	};
	static const struct option fixed_opts[] = {
	    {"qemu", required_argument, NULL, OPT_QEMU},
	    {"guest-dir", required_argument, NULL, OPT_GUEST},
	    {"reports", required_argument, NULL, OPT_REPORTS},
	    {"expectations", required_argument, NULL, OPT_EXPECT},
	    {"run-id", required_argument, NULL, OPT_RUNID},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"jobs", required_argument, NULL, 'j'},
	    {"fixture", required_argument, NULL, 'f'},
	    {"variant", required_argument, NULL, 'v'},
	    {"test", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"progress", no_argument, NULL, OPT_PROGRESS},
	    {"no-progress", no_argument, NULL, OPT_NOPROGRESS},
	    {"repeat", required_argument, NULL, OPT_REPEAT},
	    {"oracle-mib", required_argument, NULL, OPT_ORACLE_MIB},
	    {"via", required_argument, NULL, OPT_VIA},
	    {"shard", required_argument, NULL, OPT_SHARD},
	    {"durations", required_argument, NULL, OPT_DURATIONS},
	    {"qemu-a", required_argument, NULL, OPT_QEMU_A},
	    {"qemu-b", required_argument, NULL, OPT_QEMU_B},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"mock-kernel", required_argument, NULL, OPT_MOCK_KERNEL},
	    {"device", required_argument, NULL, OPT_DEVICE},
	    {"qemu-dst", required_argument, NULL, OPT_QEMU_DST},
	    {"help", no_argument, NULL, 'h'},
	};
	/* The fixed options, then one per axis of the table. */
	struct option opts[sizeof(fixed_opts) / sizeof(fixed_opts[0]) + MX_NAXES + 1];
	struct mc_config cfg = {
	    .qemu = getenv("MIGCHECK_QEMU") ?: MIGCHECK_DEFAULT_QEMU,
	    .guest_dir = MIGCHECK_GUEST_DIR,
	    .mock_lib = MIGCHECK_MOCK_LIB,
	    .reports_dir = MIGCHECK_REPORTS_DIR,
	    .progress = isatty(2),
	    .via = getenv("MIGCHECK_VIA"),
	};
	struct mc_selection sel = {0};
	char *filters[MX_NAXES + 1] = {0};
	int nfilters = 0;
	const char *cmd, *device_arg = NULL;
	bool json = false, repeat_given = false;
	long repeat = 3, oracle_mib = 1024;
	struct mc_shard shard = {0};
	bool sharded = false;
	const char *qemu_a = NULL, *qemu_b = NULL;
	enum cmp_format format = CMP_TEXT;
	json_t *invocation;
	int c, i;

	memcpy(opts, fixed_opts, sizeof(fixed_opts));
	for (i = 0; i < MX_NAXES; i++)
		opts[sizeof(fixed_opts) / sizeof(fixed_opts[0]) + i] =
		    (struct option){mx_axes[i].name, required_argument, NULL, OPT_AXIS + i};
	opts[sizeof(fixed_opts) / sizeof(fixed_opts[0]) + MX_NAXES] = (struct option){0};
	signal(SIGPIPE, SIG_IGN);
	if (getenv("MIGCHECK_MOCK_KERNEL") && *getenv("MIGCHECK_MOCK_KERNEL") &&
	    !mock_set_default_kernel(getenv("MIGCHECK_MOCK_KERNEL"))) {
		fprintf(stderr, "migcheck: MIGCHECK_MOCK_KERNEL must be 6.12 or 7.2\n");
		return 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("migcheck %s\n", MIGCHECK_VERSION);
		return 0;
	}
	if (tools_has(cmd))
		return tools_main(argc, argv);
	if (strcmp(cmd, "run") && strcmp(cmd, "list") && strcmp(cmd, "probe") &&
	    strcmp(cmd, "bench") && strcmp(cmd, "ab") && strcmp(cmd, "certify")) {
		fprintf(
		    stderr,
		    "migcheck: unknown command '%s' (try: run, list, probe, bench, ab, certify, "
		    "render, compare, merge)\n",
		    cmd);
		return 2;
	}
	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, ":f:v:t:hj:", opts, NULL)) != -1) {
		switch (c) {
		case OPT_QEMU:
			cfg.qemu = optarg;
			break;
		case OPT_GUEST:
			cfg.guest_dir = optarg;
			break;
		case OPT_REPORTS:
			cfg.reports_dir = optarg;
			break;
		case OPT_EXPECT:
			cfg.expectations_dir = optarg;
			break;
		case OPT_RUNID:
			if (!*optarg || strchr(optarg, '/') || optarg[0] == '.') {
				fprintf(stderr, "migcheck: --run-id must be a plain name\n");
				return 2;
			}
			cfg.run_id = optarg;
			break;
		case OPT_TIMEOUT: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v <= 0 || v > 86400) {
				fprintf(stderr,
					"migcheck: --timeout needs seconds (1-86400), got '%s'\n",
					optarg);
				return 2;
			}
			cfg.timeout_s = (int)v;
			break;
		}
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 64) {
				fprintf(stderr, "migcheck: --jobs needs 1-64, got '%s'\n", optarg);
				return 2;
			}
			cfg.jobs = (int)v;
			break;
		}
		case 'f':
			sel.fixture = optarg;
			break;
		case 'v':
			sel.variant = optarg;
			break;
		case 't':
			sel.test = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_PROGRESS:
			cfg.progress = true;
			break;
		case OPT_NOPROGRESS:
			cfg.progress = false;
			break;
		case OPT_REPEAT:
		case OPT_ORACLE_MIB: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v <= 0 || v > 65536) {
				fprintf(stderr, "migcheck: %s needs a positive number, got '%s'\n",
					c == OPT_REPEAT ? "--repeat" : "--oracle-mib", optarg);
				return 2;
			}
			if (c == OPT_REPEAT) {
				repeat = v;
				repeat_given = true;
			} else {
				oracle_mib = v;
			}
			break;
		}
		case OPT_VIA:
			cfg.via = optarg;
			break;
		case OPT_SHARD:
			if (shard_parse(optarg, &shard) < 0) {
				fprintf(stderr,
					"migcheck: --shard needs K/N with 1 <= K <= N <= 1000, got "
					"'%s'\n",
					optarg);
				return 2;
			}
			sharded = true;
			break;
		case OPT_DURATIONS:
			shard.durations = optarg;
			break;
		case OPT_QEMU_A:
			qemu_a = optarg;
			break;
		case OPT_QEMU_B:
			qemu_b = optarg;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "text")) {
				format = CMP_TEXT;
			} else if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md")) {
				format = CMP_MARKDOWN;
			} else if (!strcmp(optarg, "html")) {
				format = CMP_HTML;
			} else {
				fprintf(stderr,
					"migcheck: --format is text, markdown or html, not "
					"'%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_MOCK_KERNEL:
			if (!mock_set_default_kernel(optarg)) {
				fprintf(stderr,
					"migcheck: --mock-kernel must be 6.12 or 7.2, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_DEVICE:
			device_arg = optarg;
			break;
		case OPT_QEMU_DST:
			cfg.qemu_dst = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "migcheck: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			if (c < OPT_AXIS || c >= OPT_AXIS + MX_NAXES) {
				fprintf(stderr,
					"migcheck: unknown option '%s' (see migcheck --help)\n",
					argv[optind - 1]);
				return 2;
			}
			int a = c - OPT_AXIS, v;
			bool known = strpbrk(optarg, "*?[") != NULL;

			known = known || mx_value_parse(a, optarg) >= 0;
			if (!known) {
				fprintf(stderr,
					"migcheck: unknown %s '%s' (one of:", mx_axis_name(a),
					optarg);
				for (v = 0; v < mx_value_count(a); v++)
					fprintf(stderr, " %s", mx_value_name(a, v));
				fprintf(stderr, ")\n");
				return 2;
			}
			if (nfilters < MX_NAXES)
				filters[nfilters++] =
				    mc_strdup_printf("%s=%s", mx_axis_name(a), optarg);
			break;
		}
	}
	if (cfg.via && (!*cfg.via || !strcmp(cfg.via, "qemu")))
		cfg.via = NULL;
	if (cfg.via && strcmp(cfg.via, "libvirt")) {
		fprintf(stderr, "migcheck: --via takes qemu or libvirt, got '%s'\n", cfg.via);
		return 2;
	}
	/* Host devices: checked before anything starts, refused with the reason. */
	if (device_arg && strcmp(cmd, "list") && strcmp(cmd, "probe")) {
		struct hostdev_set hs;
		char *err = NULL;

		if (hostdev_parse(device_arg, &hs, &err) < 0 || hostdev_check(&hs, &err) < 0) {
			fprintf(stderr, "migcheck: %s\n", err);
			free(err);
			return 2;
		}
		hostdev_set_run(&hs);
	}
	if (!strcmp(cmd, "certify") && (optind < argc || !device_arg)) {
		fprintf(stderr, "migcheck: certify takes --device host=SRC_BDF,DST_BDF and no "
				"selection: its profile is fixed\n");
		return 2;
	}
	if (!strcmp(cmd, "probe")) {
		if (optind < argc) {
			fprintf(stderr, "migcheck: probe takes no arguments\n");
			return 2;
		}
		return cmd_probe(&cfg, json);
	}
	sel.patterns = (const char *const *)&argv[optind];
	sel.axis_filters = (const char *const *)filters;
	{
		const char *bad = mc_selection_unmatched(&sel);

		if (bad) {
			fprintf(stderr,
				"migcheck: no suite or case matches '%s' (see migcheck list)\n",
				bad);
			return 2;
		}
	}
	if (shard.durations && !sharded) {
		fprintf(stderr, "migcheck: --durations only goes with --shard\n");
		return 2;
	}
	if (sharded && strcmp(cmd, "run")) {
		fprintf(stderr, "migcheck: --shard is an option of run\n");
		return 2;
	}
	if (!strcmp(cmd, "ab") != !!(qemu_a && qemu_b) ||
	    (!strcmp(cmd, "run") && (qemu_a || qemu_b))) {
		fprintf(stderr,
			"migcheck: ab needs --qemu-a and --qemu-b, and only ab takes them\n");
		return 2;
	}
	if (!strcmp(cmd, "list"))
		return cmd_list(&sel, json);
	if (!strcmp(cmd, "bench")) {
		static const char *const smoke[] = {"smoke", NULL};

		if (!sel.patterns[0])
			sel.patterns = smoke;
		return mc_bench(&cfg, &sel, (int)repeat, (size_t)oracle_mib);
	}

	invocation = json_pack("{s:[], s:s}", "argv", "cwd", "");
	for (i = 0; i < argc; i++)
		json_array_append_new(json_object_get(invocation, "argv"), json_string(argv[i]));
	{
		char *cwd = getcwd(NULL, 0);

		json_object_set_new(invocation, "cwd", json_string(cwd ? cwd : "?"));
		free(cwd);
	}
	cfg.repeat = repeat_given ? (int)repeat : 1;
	cfg.shard = sharded ? &shard : NULL;
	if (!strcmp(cmd, "ab"))
		return mc_ab(&cfg, qemu_a, qemu_b, &sel, invocation, format);
	{
		json_t *env = probe_environment(cfg.qemu, cfg.guest_dir);

		/* The kernel release the VFIO mock answered as. */
		json_object_set_new(env, "mock_kernel", json_string(mock_default_kernel()));
		if (cfg.via)
			json_object_set_new(env, "libvirt", lv_environment());
		if (hostdev_run())
			json_object_set_new(env, "host_devices", hostdev_json(hostdev_run()));
		if (!strcmp(cmd, "certify")) {
			int code = certify_run(&cfg, env, invocation);

			json_decref(env);
			json_decref(invocation);
			return code;
		}
		return mc_run(&cfg, &sel, env, invocation);
	}
}
