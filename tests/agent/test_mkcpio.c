// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_mkcpio.c: runs mkcpio on spec files, reads the newc archive back and
 * checks every entry; malformed specs must fail with a located message and
 * leave no archive behind.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "ktest.h"

#define MAX_ENTRIES 64

struct entry {
	char name[256];
	unsigned int ino, mode, nlink, rmajor, rminor;
	size_t size;
	const unsigned char *data;
};

struct archive {
	unsigned char *raw;
	size_t len;
	int n;
	struct entry e[MAX_ENTRIES];
	bool trailer;
};

static char tmpdir[512];

static void make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/mkcpio-test.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		_exit(1);
	}
}

static void cleanup(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", tmpdir);
}

static const char *tpath(const char *name)
{
	static char buf[4][700];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static void put_file(const char *name, const char *text, mode_t mode)
{
	int fd = open(tpath(name), O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		perror(name);
	fchmod(fd, mode);
	close(fd);
}

/* Runs mkcpio -o out.cpio SPEC...; returns exit status, stderr into @err. */
static int run_mkcpio(char *err, size_t errsize, const char *spec1, const char *spec2)
{
	const char *mk = getenv("MKCPIO");
	int p[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	if (!mk)
		mk = "guests/linux/mkcpio";
	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		execl(mk, mk, "-o", tpath("out.cpio"), tpath(spec1), spec2 ? tpath(spec2) : NULL,
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], err + got, errsize - 1 - (size_t)got)) > 0)
		got += n;
	err[got] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static unsigned int hex8(const unsigned char *p)
{
	char b[9];

	memcpy(b, p, 8);
	b[8] = '\0';
	return (unsigned int)strtoul(b, NULL, 16);
}

/* Parses out.cpio; false (with a message) on any format violation. */
static bool parse(struct archive *ar)
{
	struct stat st;
	size_t off = 0;
	int fd;

	memset(ar, 0, sizeof(*ar));
	fd = open(tpath("out.cpio"), O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return false;
	ar->len = (size_t)st.st_size;
	ar->raw = malloc(ar->len + 1);
	if (read(fd, ar->raw, ar->len) != (ssize_t)ar->len)
		return false;
	close(fd);
	while (off + 110 <= ar->len) {
		const unsigned char *h = ar->raw + off;
		unsigned int namesize;
		struct entry *e;

		if (memcmp(h, "070701", 6)) {
			printf("# bad magic at %zu\n", off);
			return false;
		}
		namesize = hex8(h + 94);
		if (!namesize || off + 110 + namesize > ar->len || h[110 + namesize - 1]) {
			printf("# bad name at %zu\n", off);
			return false;
		}
		if (!strcmp((const char *)h + 110, "TRAILER!!!")) {
			ar->trailer = true;
			off += 110 + namesize;
			break;
		}
		if (ar->n == MAX_ENTRIES)
			return false;
		e = &ar->e[ar->n++];
		snprintf(e->name, sizeof(e->name), "%s", (const char *)h + 110);
		e->ino = hex8(h + 6);
		e->mode = hex8(h + 14);
		e->nlink = hex8(h + 38);
		e->size = hex8(h + 54);
		e->rmajor = hex8(h + 78);
		e->rminor = hex8(h + 86);
		/* newc: header+name padded to 4, then data padded to 4. */
		off = (off + 110 + namesize + 3) & ~(size_t)3;
		e->data = ar->raw + off;
		off = (off + e->size + 3) & ~(size_t)3;
		if (off > ar->len) {
			printf("# truncated data of %s\n", e->name);
			return false;
		}
	}
	return ar->trailer;
}

static const struct entry *find(const struct archive *ar, const char *name, int *pos)
{
	int i;

	for (i = 0; i < ar->n; i++) {
		if (!strcmp(ar->e[i].name, name)) {
			if (pos)
				*pos = i;
			return &ar->e[i];
		}
	}
	return NULL;
}

TEST(spec_round_trip)
{
	struct archive ar;
	const struct entry *e;
	char err[2048];
	int pa = 0, pb = 0, pc = 0;

	make_tmpdir();
	put_file("hello.txt", "hello, initramfs\n", 0640);
	put_file("prog", "#!/bin/sh\n", 0755);
	{
		char spec[2048];

		snprintf(spec, sizeof(spec),
			 "# a comment\n"
			 "\n"
			 "dir /dev 0755\n"
			 "nod /dev/console c 5 1\n"
			 "nod /dev/sda b 8 0 0660   # trailing comment\n"
			 "\tdir\t/tmp\t1777\n"
			 "file %s /etc/hello.txt\n"
			 "file %s /init 0700\n"
			 "slink /bin/sh /init\n"
			 "file %s /a/b/c/deep 0600\n"
			 "dir /a/b\n",
			 tpath("hello.txt"), tpath("prog"), tpath("hello.txt"));
		put_file("spec", spec, 0644);
	}
	ASSERT_EQ(run_mkcpio(err, sizeof(err), "spec", NULL), 0);
	EXPECT_STREQ(err, "");
	ASSERT_TRUE(parse(&ar));
	EXPECT_EQ(ar.len % 512, 0);

	e = find(&ar, "dev/console", NULL);
	ASSERT_NONNULL(e);
	EXPECT_EQ(e->mode, S_IFCHR | 0600);
	EXPECT_EQ(e->rmajor, 5);
	EXPECT_EQ(e->rminor, 1);
	e = find(&ar, "dev/sda", NULL);
	ASSERT_NONNULL(e);
	EXPECT_EQ(e->mode, S_IFBLK | 0660);
	EXPECT_EQ(e->rmajor, 8);
	e = find(&ar, "tmp", NULL);
	ASSERT_NONNULL(e);
	EXPECT_EQ(e->mode, S_IFDIR | 01777);
	EXPECT_EQ(e->nlink, 2);
	e = find(&ar, "etc/hello.txt", NULL);
	ASSERT_NONNULL(e);
	/* Default mode: the source file's. */
	EXPECT_EQ(e->mode, S_IFREG | 0640);
	EXPECT_EQ(e->size, strlen("hello, initramfs\n"));
	EXPECT_EQ(memcmp(e->data, "hello, initramfs\n", e->size), 0);
	e = find(&ar, "init", NULL);
	ASSERT_NONNULL(e);
	EXPECT_EQ(e->mode, S_IFREG | 0700);
	e = find(&ar, "bin/sh", NULL);
	ASSERT_NONNULL(e);
	EXPECT_EQ(e->mode, S_IFLNK | 0777);
	EXPECT_EQ(e->size, 5);
	EXPECT_EQ(memcmp(e->data, "/init", 5), 0);
	/* Implied parents come before their children; a later dir is not repeated. */
	ASSERT_NONNULL(find(&ar, "etc", NULL));
	ASSERT_NONNULL(find(&ar, "bin", NULL));
	ASSERT_NONNULL(find(&ar, "a", &pa));
	ASSERT_NONNULL(find(&ar, "a/b", &pb));
	ASSERT_NONNULL(find(&ar, "a/b/c/deep", &pc));
	EXPECT_LE(pa, pb);
	EXPECT_LE(pb, pc);
	EXPECT_EQ(find(&ar, "a/b", NULL)->mode, S_IFDIR | 0755);
	/* Every entry once, distinct inode numbers. */
	for (pa = 0; pa < ar.n; pa++)
		for (pb = pa + 1; pb < ar.n; pb++) {
			EXPECT_NE(strcmp(ar.e[pa].name, ar.e[pb].name), 0);
			EXPECT_NE(ar.e[pa].ino, ar.e[pb].ino);
		}
	EXPECT_EQ(ar.n, 13);
	cleanup();
}

TEST(several_specs_and_reproducible)
{
	struct archive a1, a2;
	char err[2048], spec[1024];

	make_tmpdir();
	put_file("data", "0123456789", 0644);
	put_file("s1", "dir /etc/migcheck\n", 0644);
	snprintf(spec, sizeof(spec), "file %s /etc/migcheck/modules 0644\n", tpath("data"));
	put_file("s2", spec, 0644);
	ASSERT_EQ(run_mkcpio(err, sizeof(err), "s1", "s2"), 0);
	ASSERT_TRUE(parse(&a1));
	ASSERT_NONNULL(find(&a1, "etc/migcheck/modules", NULL));
	EXPECT_EQ(find(&a1, "etc/migcheck/modules", NULL)->size, 10);
	ASSERT_EQ(run_mkcpio(err, sizeof(err), "s1", "s2"), 0);
	ASSERT_TRUE(parse(&a2));
	ASSERT_EQ(a1.len, a2.len);
	EXPECT_EQ(memcmp(a1.raw, a2.raw, a1.len), 0);
	cleanup();
}

/* Each malformed line: exit 1, "mkcpio: <spec>:<line>: <message>", no archive. */
TEST(malformed_specs)
{
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
	    {"blob /x", "unknown entry type 'blob' (dir, file, nod or slink)"},
	    {"dir", "expected: dir PATH [MODE]"},
	    {"dir /x 0755 extra", "expected: dir PATH [MODE]"},
	    {"dir /x 999", "bad mode 999 (octal, at most 07777)"},
	    {"dir /x 17777", "bad mode 17777 (octal, at most 07777)"},
	    {"dir relative/x", "path relative/x is not absolute"},
	    {"dir /a/../b", "bad path /a/../b"},
	    {"dir /a//b", "bad path /a//b"},
	    {"dir /", "bad path /"},
	    {"file /nonexistent/src /x", "cannot read /nonexistent/src: No such file or directory"},
	    {"file /x", "expected: file SRC PATH [MODE]"},
	    {"nod /dev/x q 1 2", "bad device type q (c or b)"},
	    {"nod /dev/x c one 2", "bad device number one 2"},
	    {"nod /dev/x c 1", "expected: nod PATH c|b MAJOR MINOR [MODE]"},
	    {"slink /x", "expected: slink PATH TARGET [MODE]"},
	    {"dir /x\ndir /x/y\nslink /x/y z", "duplicate entry /x/y"},
	    {"slink /l t\ndir /l/sub", "/l is not a directory"},
	    {"a b c d e f g h i j", "too many fields"},
	};
	char err[2048], want[512];
	size_t i;

	make_tmpdir();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int line = 1;
		const char *p;

		for (p = cases[i].line; *p; p++)
			line += *p == '\n';
		put_file("bad", "# header\n", 0644);
		{
			int fd = open(tpath("bad"), O_WRONLY | O_APPEND);

			if (write(fd, cases[i].line, strlen(cases[i].line)) < 0 ||
			    write(fd, "\n", 1) < 0)
				perror("write");
			close(fd);
		}
		unlink(tpath("out.cpio"));
		EXPECT_EQ(run_mkcpio(err, sizeof(err), "bad", NULL), 1);
		snprintf(want, sizeof(want), "mkcpio: %s:%d: %s\n", tpath("bad"), line + 1,
			 cases[i].msg);
		EXPECT_STREQ(err, want);
		EXPECT_EQ(access(tpath("out.cpio"), F_OK), -1);
		EXPECT_EQ(access(tpath("out.cpio.tmp"), F_OK), -1);
	}
	cleanup();
}

TEST(usage_errors)
{
	char err[2048];

	make_tmpdir();
	EXPECT_EQ(run_mkcpio(err, sizeof(err), "missing-spec", NULL), 1);
	EXPECT_TRUE(strstr(err, "cannot open") != NULL);
	cleanup();
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
