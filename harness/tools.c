// SPDX-License-Identifier: GPL-2.0-or-later
#include "tools.h"
#include "compare.h"
#include "html.h"
#include "junit.h"
#include "merge.h"
#include "reportdoc.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void tools_usage(FILE *out)
{
	fprintf(out, "       migcheck render  [--junit FILE] [--html FILE] REPORT\n"
		     "       migcheck compare [--format text|markdown|html] [--output FILE]\n"
		     "                        [--threshold PCT] BASE NEW\n"
		     "       migcheck merge   OUT REPORT...\n");
}

bool tools_has(const char *cmd)
{
	return !strcmp(cmd, "render") || !strcmp(cmd, "compare") || !strcmp(cmd, "merge");
}

/* Re-renders report.xml and report.html from a report.json (beside it by default). */
static int cmd_render(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"junit", required_argument, NULL, 'j'},
	    {"html", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *junit = NULL, *html = NULL;
	char *dir = NULL, *err = NULL, *jpath, *hpath;
	json_t *doc;
	int c, ret = 0;

	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			junit = optarg;
			break;
		case 'H':
			html = optarg;
			break;
		case 'h':
			tools_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "migcheck: render: unknown option '%s'\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "migcheck: render needs one report (report.json or its run "
				"directory)\n");
		return 2;
	}
	doc = rd_load(argv[optind], &dir, &err);
	if (!doc) {
		fprintf(stderr, "migcheck: %s\n", err);
		free(err);
		return 2;
	}
	jpath = junit ? strdup(junit) : mc_strdup_printf("%s/report.xml", dir);
	hpath = html ? strdup(html) : mc_strdup_printf("%s/report.html", dir);
	if (junit_write(doc, jpath, &err) < 0 || html_write(doc, dir, hpath, &err) < 0) {
		fprintf(stderr, "migcheck: render: %s\n", err);
		ret = 1;
	}
	free(err);
	free(jpath);
	free(hpath);
	free(dir);
	json_decref(doc);
	return ret;
}

static int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"threshold", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cmp_options o = {.format = CMP_TEXT, .threshold_pct = 25};
	const char *output = NULL;
	json_t *base, *new;
	char *err = NULL;
	FILE *out = stdout;
	int c, ret;

	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "text"))
				o.format = CMP_TEXT;
			else if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md"))
				o.format = CMP_MARKDOWN;
			else if (!strcmp(optarg, "html"))
				o.format = CMP_HTML;
			else {
				fprintf(stderr,
					"migcheck: compare: --format is text, markdown or html, "
					"not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 't': {
			char *end;

			o.threshold_pct = strtod(optarg, &end);
			if (*end || !(o.threshold_pct > 0) || o.threshold_pct > 1000) {
				fprintf(
				    stderr,
				    "migcheck: compare: --threshold needs a percentage (0-1000], "
				    "got '%s'\n",
				    optarg);
				return 2;
			}
			break;
		}
		case 'h':
			tools_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "migcheck: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "migcheck: compare: unknown option '%s'\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "migcheck: compare needs two reports: BASE NEW (report.json files "
				"or run directories)\n");
		return 2;
	}
	base = rd_load(argv[optind], NULL, &err);
	new = base ? rd_load(argv[optind + 1], NULL, &err) : NULL;
	if (!new) {
		fprintf(stderr, "migcheck: %s\n", err);
		free(err);
		json_decref(base);
		return 2;
	}
	if (output) {
		out = fopen(output, "we");
		if (!out) {
			fprintf(stderr, "migcheck: compare: cannot write %s: %m\n", output);
			json_decref(base);
			json_decref(new);
			return 2;
		}
	}
	o.base_label = argv[optind];
	o.new_label = argv[optind + 1];
	ret = compare_reports(base, new, &o, out);
	if (out != stdout && fclose(out) != 0) {
		fprintf(stderr, "migcheck: compare: cannot write %s: %m\n", output);
		ret = 2;
	}
	json_decref(base);
	json_decref(new);
	return ret;
}

static int cmd_merge(int argc, char **argv)
{
	if (argc >= 3 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
		tools_usage(stdout);
		return 0;
	}
	if (argc < 4) {
		fprintf(stderr, "migcheck: merge needs an output directory and at least one "
				"report: OUT REPORT...\n");
		return 2;
	}
	return merge_main(argv[2], (const char *const *)&argv[3], argc - 3, stdout);
}

int tools_main(int argc, char **argv)
{
	if (!strcmp(argv[1], "render"))
		return cmd_render(argc, argv);
	if (!strcmp(argv[1], "compare"))
		return cmd_compare(argc, argv);
	return cmd_merge(argc, argv);
}
