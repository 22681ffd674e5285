// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_cmdline: the QEMU command lines built from one vm_spec, and their
 * shell-quoted form.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "ramfile.h"
#include "vm.h"

static const char *const extra[] = {"-device", "vfio-pci,host=0000:00:01.0,id=vf0", "-global",
				    "migration.x-foo=on", NULL};

static const struct vm_spec spec = {
    .qemu = "/opt/qemu/bin/qemu-system-x86_64",
    .machine = "q35",
    .accel = "tcg",
    .mem_bytes = 256ull << 20,
    .smp = 2,
    .kernel = "/g/vmlinuz",
    .initrd = "/g/initramfs.cpio",
    .append = "console=ttyS0 panic=-1",
    .agent = true,
    .extra_args = extra,
};

static const struct vm_fds fds = {.qmp = 13, .agent = 15, .ram = 14};

static int argc_of(char **v)
{
	int n = 0;

	while (v[n])
		n++;
	return n;
}

/* Index of the first argument equal to s at or after from, or -1. */
static int find(char **v, const char *s, int from)
{
	int i;

	for (i = from; v[i]; i++)
		if (!strcmp(v[i], s))
			return i;
	return -1;
}

/* The value following option opt, or NULL. */
static const char *opt_value(char **v, const char *opt)
{
	int i = find(v, opt, 0);

	return i >= 0 ? v[i + 1] : NULL;
}

static bool any_contains(char **v, const char *s)
{
	int i;

	for (i = 0; v[i]; i++)
		if (strstr(v[i], s))
			return true;
	return false;
}

TEST(src_and_dst_differ_only_in_incoming)
{
	char **src = vm_build_argv(&spec, VM_SRC, &fds, "/w/console");
	char **dst = vm_build_argv(&spec, VM_DST, &fds, "/w/console");
	int i, j, ns = argc_of(src), nd = argc_of(dst), in;

	ASSERT_EQ(nd, ns + 3);
	in = find(dst, "-incoming", 0);
	ASSERT_GE(in, 0);
	EXPECT_STREQ(dst[in + 1], "defer");
	EXPECT_TRUE(find(dst, "-S", 0) >= 0);
	EXPECT_TRUE(find(src, "-incoming", 0) < 0);
	EXPECT_TRUE(find(src, "-S", 0) < 0);
	/* Everything else, in the same order; only the process name says which. */
	for (i = 0, j = 0; i < ns; i++, j++) {
		if (j == in)
			j += 2;
		if (!strcmp(dst[j], "-S"))
			j++;
		if (i > 0 && !strcmp(src[i - 1], "-name")) {
			EXPECT_TRUE(!strncmp(src[i], "migcheck-src", 12));
			EXPECT_TRUE(!strncmp(dst[j], "migcheck-dst", 12));
			continue;
		}
		EXPECT_STREQ(src[i], dst[j]);
	}
	vm_free_argv(src);
	vm_free_argv(dst);
}

TEST(memory_backend_is_shared_fd_file)
{
	char **v = vm_build_argv(&spec, VM_SRC, &fds, "/w/console");
	const char *obj = NULL;
	int i;

	EXPECT_STREQ(v[0], spec.qemu);
	EXPECT_STREQ(opt_value(v, "-machine"), "q35,memory-backend=ram0");
	for (i = 0; v[i]; i++)
		if (!strcmp(v[i], "-object") && !strncmp(v[i + 1], "memory-backend-file,", 20))
			obj = v[i + 1];
	ASSERT_NONNULL(obj);
	EXPECT_TRUE(strstr(obj, ",id=ram0") != NULL);
	EXPECT_TRUE(strstr(obj, "share=on") != NULL);
	EXPECT_TRUE(strstr(obj, ",align=" RAMFILE_ALIGN_ARG) != NULL);
	EXPECT_TRUE(strstr(obj, "mem-path=/proc/self/fd/14") != NULL);
	EXPECT_TRUE(strstr(obj, "size=268435456") != NULL);
	EXPECT_TRUE(!strncmp(opt_value(v, "-m"), "268435456", 9));
	EXPECT_STREQ(opt_value(v, "-smp"), "2");
	EXPECT_STREQ(opt_value(v, "-accel"), "tcg");
	vm_free_argv(v);
}

TEST(chardevs_on_inherited_fds)
{
	struct vm_spec s = spec;
	char **v = vm_build_argv(&s, VM_SRC, &fds, "/w/console");

	EXPECT_TRUE(any_contains(v, "socket,id=qmp,fd=13"));
	EXPECT_TRUE(any_contains(v, "fd=15"));
	EXPECT_TRUE(any_contains(v, "chardev=qmp,mode=control"));
	EXPECT_TRUE(any_contains(v, "path=/w/console"));
	vm_free_argv(v);

	s.agent = false;
	v = vm_build_argv(&s, VM_SRC, &fds, "/w/console");
	EXPECT_TRUE(any_contains(v, "socket,id=qmp,fd=13"));
	EXPECT_FALSE(any_contains(v, "fd=15"));
	EXPECT_FALSE(any_contains(v, "chardev:agent"));
	vm_free_argv(v);
}

TEST(extra_args_appended)
{
	char **src = vm_build_argv(&spec, VM_SRC, &fds, "/w/console");
	char **dst = vm_build_argv(&spec, VM_DST, &fds, "/w/console");
	int ns = argc_of(src), i, k;

	/* Last on the source, in order, verbatim. */
	for (i = 0; i < 4; i++)
		EXPECT_STREQ(src[ns - 4 + i], extra[i]);
	/* Present once, in order, on the destination too. */
	k = find(dst, "-device", 0);
	ASSERT_GE(k, 0);
	for (i = 0; i < 4; i++)
		EXPECT_STREQ(dst[k + i], extra[i]);
	EXPECT_TRUE(find(dst, "-device", k + 1) < 0);
	vm_free_argv(src);
	vm_free_argv(dst);
}

TEST(kernel_only_when_set)
{
	struct vm_spec s = spec;
	char **v = vm_build_argv(&s, VM_SRC, &fds, "/w/console");

	EXPECT_STREQ(opt_value(v, "-kernel"), "/g/vmlinuz");
	EXPECT_STREQ(opt_value(v, "-initrd"), "/g/initramfs.cpio");
	EXPECT_STREQ(opt_value(v, "-append"), "console=ttyS0 panic=-1");
	vm_free_argv(v);

	s.kernel = NULL;
	v = vm_build_argv(&s, VM_DST, &fds, "/w/console");
	EXPECT_TRUE(find(v, "-kernel", 0) < 0);
	EXPECT_TRUE(find(v, "-initrd", 0) < 0);
	EXPECT_TRUE(find(v, "-append", 0) < 0);
	vm_free_argv(v);
}

TEST(defaults_when_unset)
{
	struct vm_spec s = {.qemu = "qemu", .mem_bytes = 1 << 20};
	char **v = vm_build_argv(&s, VM_SRC, &fds, "/w/console");

	EXPECT_STREQ(opt_value(v, "-machine"), "q35,memory-backend=ram0");
	EXPECT_STREQ(opt_value(v, "-smp"), "1");
	ASSERT_NONNULL(opt_value(v, "-accel"));
	vm_free_argv(v);
}

/* Runs `printf '%s\0' <quoted>` through sh and splits the output at NULs. */
static char **through_shell(const char *quoted, int *n)
{
	char *cmd, *buf = malloc(1 << 16), **out = calloc(64, sizeof(char *)), *p;
	size_t len;
	FILE *f;

	if (asprintf(&cmd, "printf '%%s\\0' %s", quoted) < 0)
		abort();
	f = popen(cmd, "r");
	free(cmd);
	if (!f)
		abort();
	len = fread(buf, 1, (1 << 16) - 1, f);
	pclose(f);
	*n = 0;
	for (p = buf; p < buf + len && *n < 63; p += strlen(p) + 1)
		out[(*n)++] = strdup(p);
	free(buf);
	return out;
}

TEST(argv_string_round_trips_through_sh)
{
	char *const argv[] = {"/usr/bin/qemu-system-x86_64",
			      "-append",
			      "console=ttyS0 panic=-1 root=/dev/vda",
			      "it's",
			      "'",
			      "''",
			      "a\"b",
			      "$HOME",
			      "`id`",
			      "back\\slash",
			      "*",
			      "two\nlines",
			      "tab\there",
			      "semi;colon",
			      "a&b|c>d<e",
			      "~user",
			      "",
			      "plain=1,b=2:c@d%e+f",
			      NULL};
	char *s = vm_argv_string(argv);
	int n, i;
	char **back;

	ASSERT_NONNULL(s);
	back = through_shell(s, &n);
	ASSERT_EQ(n, 18);
	for (i = 0; i < n; i++)
		EXPECT_STREQ(back[i], argv[i]);
	/* Arguments that need no quoting stay readable. */
	EXPECT_TRUE(!strncmp(s, "/usr/bin/qemu-system-x86_64 -append ", 36));
	free(s);
}

TEST(argv_string_of_real_command_line)
{
	char **v = vm_build_argv(&spec, VM_DST, &fds, "/w/my console");
	char *s = vm_argv_string(v);
	char **back;
	int n, i;

	back = through_shell(s, &n);
	ASSERT_EQ(n, argc_of(v));
	for (i = 0; i < n; i++)
		EXPECT_STREQ(back[i], v[i]);
	free(s);
	vm_free_argv(v);
}
