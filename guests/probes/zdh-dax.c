// SPDX-License-Identifier: GPL-2.0
/*
 * zdh-dax: fsdax probes on a file system mounted with dax=always.
 *
 *   zdh-dax --dir /mnt/dax [--direct-dir /mnt/plain] [--duration S] [--hang-timeout S] [--stall S]
 *
 * --dir         a DAX mount (ext4 or xfs, dax=always); every file is checked with
 *               STATX_ATTR_DAX (or the mount options) before a case counts as run
 * --direct-dir  a non-DAX file system that does O_DIRECT (e.g. ext4 on null_blk)
 * --duration    seconds each racing case runs (default 3)
 * --hang-timeout seconds a truncate may take once the pins are gone (default 30)
 * --stall       seconds a truncate may sleep in a layout-break wait, not woken once, after
 *               the pins are gone, before it counts as hung without waiting out
 *               --hang-timeout (default 3)
 * --allow-non-dax 1  only for testing this program on a host: run on a non-DAX file
 *               system (DAX-only expectations become diagnostics); the harness never
 *               passes it
 */
#include "zdh-probe.h"

#include <linux/falloc.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#define OWNER_FILE 0xa1
#define TWO_MB (2 * ZDH_MB)

static const char *dax_dir;
static const char *direct_dir;
static double duration_s;
static double hang_timeout_s;
static double stall_s;
static int allow_non_dax;

static int setup_opts(void)
{
	dax_dir = zdh_opt("dir", NULL);
	direct_dir = zdh_opt("direct-dir", NULL);
	duration_s = (double)zdh_opt_long("duration", 3);
	hang_timeout_s = (double)zdh_opt_long("hang-timeout", 30);
	stall_s = (double)zdh_opt_long("stall", 3);
	allow_non_dax = (int)zdh_opt_long("allow-non-dax", 0);
	return dax_dir != NULL;
}

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Writes the pattern of (OWNER_FILE, gen) over pages [first, first+n) of fd. */
static int fill_file(int fd, uint64_t first, uint64_t n, unsigned int gen)
{
	static char buf[TWO_MB] __attribute__((aligned(4096)));

	for (uint64_t done = 0; done < n;) {
		uint64_t chunk = n - done > TWO_MB / ZDH_PAGE ? TWO_MB / ZDH_PAGE : n - done;

		for (uint64_t i = 0; i < chunk; i++)
			zdh_fill_page(buf + i * ZDH_PAGE, OWNER_FILE, gen, first + done + i);
		if (pwrite(fd, buf, chunk * ZDH_PAGE, (off_t)((first + done) * ZDH_PAGE)) !=
		    (ssize_t)(chunk * ZDH_PAGE))
			return -1;
		done += chunk;
	}
	return 0;
}

/* pread()s pages [first, first+n) and checks them against (OWNER_FILE, gen). */
static int check_file(int fd, uint64_t first, uint64_t n, unsigned int gen)
{
	static char page[ZDH_PAGE] __attribute__((aligned(4096)));

	for (uint64_t i = first; i < first + n; i++) {
		unsigned int bad;

		if (pread(fd, page, ZDH_PAGE, (off_t)(i * ZDH_PAGE)) != (ssize_t)ZDH_PAGE) {
			zdh_diag("pread of page %llu failed: %s", (unsigned long long)i, strerror(errno));
			return -1;
		}
		bad = zdh_check_page(page, OWNER_FILE, gen, i);
		if (bad) {
			zdh_diag("file page %llu word %u: %#llx, expected gen %u", (unsigned long long)i, bad - 1,
				 (unsigned long long)((uint64_t *)page)[bad - 1], gen);
			return -1;
		}
	}
	return 0;
}

/* Checks mapped pages [first, first+n) (page numbers are file pages). */
static int check_map(const char *base, uint64_t first, uint64_t n, unsigned int gen, const char *what)
{
	for (uint64_t i = 0; i < n; i++) {
		unsigned int bad = zdh_check_page(base + i * ZDH_PAGE, OWNER_FILE, gen, first + i);

		if (bad) {
			zdh_diag("%s: page %llu word %u is %#llx, expected gen %u page %llu", what,
				 (unsigned long long)(first + i), bad - 1,
				 (unsigned long long)((const uint64_t *)(base + i * ZDH_PAGE))[bad - 1], gen,
				 (unsigned long long)(first + i));
			return -1;
		}
	}
	return 0;
}

/*
 * Creates dir/name with `size` bytes of the gen-1 pattern, preallocated, and checks that
 * it is DAX. Returns the fd or -1 (with the reason printed).
 */
static int make_dax_file(const char *name, size_t size, char *path, size_t pathlen)
{
	int fd;

	path_in(path, pathlen, dax_dir, name);
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		zdh_diag("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (fallocate(fd, 0, 0, (off_t)size) != 0)
		zdh_diag("fallocate %s: %s (continuing with sparse file)", path, strerror(errno));
	if (fill_file(fd, 0, size / ZDH_PAGE, 1) != 0 || fsync(fd) != 0) {
		zdh_diag("cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!zdh_file_is_dax(fd, path) && !allow_non_dax) {
		errno = 0;
		zdh_diag("%s is not DAX (STATX_ATTR_DAX clear / no dax mount option): the set-up did not give a DAX file system",
			 path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Maps fd at a 2M-aligned address so that the kernel can use PMD mappings. */
static char *map_aligned(int fd, size_t len, int flags, off_t off)
{
	char *area = zdh_aligned_area(len, TWO_MB);
	char *p;

	if (!area)
		return NULL;
	p = mmap(area, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, off);
	return p == MAP_FAILED ? NULL : p;
}

static void touch_read(const char *p, size_t len)
{
	volatile char sink;

	for (size_t o = 0; o < len; o += ZDH_PAGE)
		sink = p[o];
	(void)sink;
}

#define NEED_DIR()                                                            \
	do {                                                                  \
		if (!dax_dir)                                                 \
			return zdh_skip("no --dir given");                    \
	} while (0)

/* The set-up of most cases: make_dax_file(), then map it shared; the case fails without. */
#define MAKE_MAPPED(name, size, path, fd, map)                                \
	do {                                                                  \
		fd = make_dax_file(name, size, path, sizeof(path));           \
		ZDH_CHECK(fd >= 0, "set-up failed");                          \
		map = map_aligned(fd, size, MAP_SHARED, 0);                   \
		ZDH_CHECK(map != NULL, "mmap");                               \
	} while (0)

/* A case's file in the DAX folder (skipped without --dir), made and mapped shared. */
#define NEED_MAPPED(name, size, path, fd, map)        \
	do {                                           \
		NEED_DIR();                            \
		MAKE_MAPPED(name, size, path, fd, map); \
	} while (0)

/* The end of a case: unmaps and closes the file, and its O_DIRECT copy when out >= 0, and removes them. */
static void drop_files(char *map, size_t size, int fd, const char *path, int out, const char *out_path)
{
	munmap(map, size);
	if (out >= 0)
		close(out);
	close(fd);
	if (out >= 0)
		unlink(out_path);
	unlink(path);
}

/* ---- cases ---- */

static int case_mmap_rw_verify(void)
{
	const size_t size = 8 * ZDH_MB;
	const uint64_t pages = size / ZDH_PAGE;
	char path[512];
	char *p;
	int fd;

	NEED_DIR();
	fd = make_dax_file("rw.dat", size, path, sizeof(path));
	ZDH_CHECK(fd >= 0, "set-up failed");
	p = map_aligned(fd, size, MAP_SHARED, 0);
	ZDH_CHECK(p != NULL, "mmap of %s", path);
	ZDH_CHECK(check_map(p, 0, pages, 1, "first read") == 0, "mapped data differs from what was written");
	for (uint64_t i = 0; i < pages; i++)
		zdh_fill_page(p + i * ZDH_PAGE, OWNER_FILE, 2, i);
	ZDH_CHECK(msync(p, size, MS_SYNC) == 0, "msync");
	ZDH_CHECK(munmap(p, size) == 0, "munmap");
	ZDH_CHECK(check_file(fd, 0, pages, 2) == 0, "stores through the mapping did not reach the file");
	p = map_aligned(fd, size, MAP_SHARED, 0);
	ZDH_CHECK(p != NULL, "second mmap");
	ZDH_CHECK(check_map(p, 0, pages, 2, "second mapping") == 0, "a new mapping sees other data");
	drop_files(p, size, fd, path, -1, NULL);
	return ZDH_PASS;
}

static int case_fork_cow_private(void)
{
	const size_t size = 4 * ZDH_MB;
	const uint64_t pages = size / ZDH_PAGE;
	char path[512];
	int fd, status;
	char *p;
	pid_t pid;

	NEED_DIR();
	fd = make_dax_file("cow.dat", size, path, sizeof(path));
	ZDH_CHECK(fd >= 0, "set-up failed");
	p = map_aligned(fd, size, MAP_PRIVATE, 0);
	ZDH_CHECK(p != NULL, "mmap MAP_PRIVATE");
	ZDH_CHECK(check_map(p, 0, pages, 1, "private read") == 0, "private mapping reads other data");
	zdh_fill_page(p, OWNER_FILE, 2, 0); /* COW before fork */
	fflush(stdout);
	pid = fork();
	ZDH_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (zdh_check_page(p, OWNER_FILE, 2, 0) || zdh_check_page(p + ZDH_PAGE, OWNER_FILE, 1, 1)) {
			zdh_diag("child: inherited private pages differ");
			_exit(1);
		}
		zdh_fill_page(p + ZDH_PAGE, OWNER_FILE, 3, 1);
		zdh_fill_page(p + TWO_MB, OWNER_FILE, 3, TWO_MB / ZDH_PAGE);
		if (zdh_check_page(p + ZDH_PAGE, OWNER_FILE, 3, 1) ||
		    zdh_check_page(p + TWO_MB, OWNER_FILE, 3, TWO_MB / ZDH_PAGE)) {
			zdh_diag("child: own COW writes do not read back");
			_exit(1);
		}
		if (madvise(p + ZDH_PAGE, ZDH_PAGE, MADV_DONTNEED) != 0 ||
		    zdh_check_page(p + ZDH_PAGE, OWNER_FILE, 1, 1)) {
			zdh_diag("child: after MADV_DONTNEED the page is not the file's again");
			_exit(1);
		}
		_exit(0);
	}
	ZDH_CHECK(zdh_wait_child(pid, hang_timeout_s, &status), "child did not finish");
	ZDH_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (status %#x)", status);
	ZDH_CHECK(zdh_check_page(p, OWNER_FILE, 2, 0) == 0, "parent's COW page changed");
	ZDH_CHECK(check_map(p + ZDH_PAGE, 1, pages - 1, 1, "parent after child's writes") == 0,
		  "the child's private writes leaked into the parent");
	ZDH_CHECK(check_file(fd, 0, pages, 1) == 0, "private writes reached the file");
	drop_files(p, size, fd, path, -1, NULL);
	return ZDH_PASS;
}

static int case_madvise_dontneed_2m(void)
{
	const size_t size = 8 * ZDH_MB;
	const uint64_t pages = size / ZDH_PAGE;
	char path[512];
	char *p;
	int fd;

	NEED_MAPPED("dontneed.dat", size, path, fd, p);
	touch_read(p, size);
	/* 4K inside a 2M extent: splits a PMD mapping. */
	ZDH_CHECK(madvise(p + TWO_MB + 5 * ZDH_PAGE, ZDH_PAGE, MADV_DONTNEED) == 0, "MADV_DONTNEED 4K");
	ZDH_CHECK(check_map(p, 0, pages, 1, "after 4K MADV_DONTNEED") == 0, "data changed");
	/* A whole 2M extent. */
	ZDH_CHECK(madvise(p + 2 * TWO_MB, TWO_MB, MADV_DONTNEED) == 0, "MADV_DONTNEED 2M");
	ZDH_CHECK(check_map(p, 0, pages, 1, "after 2M MADV_DONTNEED") == 0, "data changed");
	for (uint64_t i = TWO_MB / ZDH_PAGE; i < 2 * TWO_MB / ZDH_PAGE; i++)
		zdh_fill_page(p + i * ZDH_PAGE, OWNER_FILE, 2, i);
	ZDH_CHECK(madvise(p + TWO_MB, TWO_MB, MADV_DONTNEED) == 0, "MADV_DONTNEED after writes");
	ZDH_CHECK(check_map(p + TWO_MB, TWO_MB / ZDH_PAGE, TWO_MB / ZDH_PAGE, 2, "rewritten extent") == 0,
		  "stores lost by MADV_DONTNEED of a shared DAX mapping");
	ZDH_CHECK(check_file(fd, TWO_MB / ZDH_PAGE, TWO_MB / ZDH_PAGE, 2) == 0, "file misses the stores");
	drop_files(p, size, fd, path, -1, NULL);
	return ZDH_PASS;
}

static int case_partial_munmap_2m(void)
{
	const size_t size = 8 * ZDH_MB;
	const uint64_t pages = size / ZDH_PAGE;
	const uint64_t hole1 = TWO_MB / ZDH_PAGE + 2; /* one 4K page inside the second extent */
	const uint64_t hole2 = 2 * TWO_MB / ZDH_PAGE; /* the first half of the third extent */
	const uint64_t hole2n = ZDH_MB / ZDH_PAGE;
	char path[512];
	char *p;
	int fd;

	NEED_MAPPED("munmap.dat", size, path, fd, p);
	touch_read(p, size);
	ZDH_CHECK(munmap(p + hole1 * ZDH_PAGE, ZDH_PAGE) == 0, "munmap 4K inside a 2M extent");
	ZDH_CHECK(munmap(p + hole2 * ZDH_PAGE, hole2n * ZDH_PAGE) == 0, "munmap 1M of a 2M extent");
	for (uint64_t i = 0; i < pages; i++) {
		if (i == hole1 || (i >= hole2 && i < hole2 + hole2n))
			continue;
		ZDH_CHECK(zdh_check_page(p + i * ZDH_PAGE, OWNER_FILE, 1, i) == 0, "page %llu after partial munmap",
			  (unsigned long long)i);
		zdh_fill_page(p + i * ZDH_PAGE, OWNER_FILE, 2, i);
	}
	ZDH_CHECK(msync(p, hole1 * ZDH_PAGE, MS_SYNC) == 0, "msync");
	munmap(p, size);
	for (uint64_t i = 0; i < pages; i++) {
		unsigned int gen = (i == hole1 || (i >= hole2 && i < hole2 + hole2n)) ? 1 : 2;

		ZDH_CHECK(check_file(fd, i, 1, gen) == 0, "file page %llu", (unsigned long long)i);
	}
	close(fd);
	unlink(path);
	return ZDH_PASS;
}

static int case_mremap_2m(void)
{
	const size_t size = 8 * ZDH_MB;
	const uint64_t pages = size / ZDH_PAGE;
	const uint64_t ext = TWO_MB / ZDH_PAGE;
	char path[512];
	char *p, *dest, *q, *r;
	int fd;

	NEED_MAPPED("mremap.dat", size, path, fd, p);
	touch_read(p, size);
	dest = zdh_aligned_area(TWO_MB, TWO_MB);
	ZDH_CHECK(dest != NULL, "address space");
	/* Move one 2M extent to another 2M-aligned address. */
	q = mremap(p + TWO_MB, TWO_MB, TWO_MB, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
	ZDH_CHECK(q == dest, "mremap move of a 2M extent");
	ZDH_CHECK(check_map(q, ext, ext, 1, "moved extent") == 0, "moved mapping shows other data");
	/* Shrink it to 1M, then let it grow back (and move). */
	q = mremap(q, TWO_MB, ZDH_MB, 0);
	ZDH_CHECK(q == dest, "mremap shrink to 1M");
	ZDH_CHECK(check_map(q, ext, ext / 2, 1, "shrunk extent") == 0, "shrunk mapping shows other data");
	r = mremap(q, ZDH_MB, 2 * TWO_MB, MREMAP_MAYMOVE);
	ZDH_CHECK(r != MAP_FAILED, "mremap grow to 4M");
	ZDH_CHECK(check_map(r, ext, 2 * ext, 1, "grown mapping") == 0, "grown mapping shows other data");
	/* The rest of the original mapping is untouched. */
	ZDH_CHECK(check_map(p, 0, ext, 1, "first extent") == 0, "first extent");
	ZDH_CHECK(check_map(p + 2 * TWO_MB, 2 * ext, pages - 2 * ext, 1, "tail") == 0, "tail");
	for (uint64_t i = 0; i < 2 * ext; i++)
		zdh_fill_page(r + i * ZDH_PAGE, OWNER_FILE, 2, ext + i);
	ZDH_CHECK(msync(r, 2 * TWO_MB, MS_SYNC) == 0, "msync");
	ZDH_CHECK(check_file(fd, ext, 2 * ext, 2) == 0, "stores through the remapped range");
	munmap(r, 2 * TWO_MB);
	drop_files(p, size, fd, path, -1, NULL);
	return ZDH_PASS;
}

static int open_direct(const char *name, char *path, size_t len)
{
	path_in(path, len, direct_dir, name);
	unlink(path);
	return open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
}

#define NEED_DIRECT()                                                         \
	do {                                                                  \
		NEED_DIR();                                                   \
		if (!direct_dir)                                              \
			return zdh_skip("no --direct-dir (non-DAX O_DIRECT target) given"); \
	} while (0)

static int case_odirect_from_dax(void)
{
	const size_t size = 8 * ZDH_MB;
	const uint64_t pages = size / ZDH_PAGE;
	char path[512], out_path[512];
	char *p, *buf;
	int fd, out;

	NEED_DIRECT();
	MAKE_MAPPED("dio-src.dat", size, path, fd, p);
	out = open_direct("dio-out.dat", out_path, sizeof(out_path));
	ZDH_CHECK(out >= 0, "open O_DIRECT %s", out_path);
	/* DAX pages as the source of direct writes (the block layer pins them). */
	for (size_t off = 0; off < size; off += ZDH_MB)
		ZDH_CHECK(pwrite(out, p + off, ZDH_MB, (off_t)off) == (ssize_t)ZDH_MB, "O_DIRECT write from DAX at %zu",
			  off);
	buf = zdh_aligned_area(size, ZDH_PAGE);
	ZDH_CHECK(buf && mmap(buf, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == buf,
		  "buffer");
	ZDH_CHECK(pread(out, buf, size, 0) == (ssize_t)size, "O_DIRECT read back");
	ZDH_CHECK(check_map(buf, 0, pages, 1, "O_DIRECT copy") == 0, "the direct write did not carry the DAX data");
	/* DAX pages as the destination of direct reads. */
	ZDH_CHECK(pread(out, p + 3 * TWO_MB, TWO_MB, 0) == (ssize_t)TWO_MB, "O_DIRECT read into DAX");
	ZDH_CHECK(check_map(p + 3 * TWO_MB, 0, TWO_MB / ZDH_PAGE, 1, "DAX after O_DIRECT read") == 0,
		  "the direct read did not land in the DAX pages");
	ZDH_CHECK(msync(p, size, MS_SYNC) == 0, "msync");
	for (uint64_t i = 0; i < TWO_MB / ZDH_PAGE; i++) {
		char page[ZDH_PAGE];

		ZDH_CHECK(pread(fd, page, ZDH_PAGE, (off_t)(3 * TWO_MB + i * ZDH_PAGE)) == (ssize_t)ZDH_PAGE &&
				  zdh_check_page(page, OWNER_FILE, 1, i) == 0,
			  "file page %llu does not hold what the direct read stored", (unsigned long long)i);
	}
	drop_files(p, size, fd, path, out, out_path);
	return ZDH_PASS;
}

/* ---- truncate / punch hole racing pins ---- */

static void dump_thread(pid_t tid);

struct race {
	int fd, out, punch;
	char *map;
	size_t size;
	volatile int stop;
	volatile unsigned int gen;
	unsigned long ios, short_ios, efaults, shrinks, bad_pages, torn;
	int io_error, shrink_error;
	pid_t shrink_tid;
	char first_bad[512];
};

/*
 * Says what an inconsistent copied page holds: its first bad word decoded, and how many of
 * its words are zero, its own (any generation), from other pages of the file, or foreign.
 */
static void describe_bad_page(char *out, size_t len, const char *pg, uint64_t page, unsigned int bad)
{
	const uint64_t *w = (const uint64_t *)pg;
	unsigned int zero = 0, own = 0, other = 0, foreign = 0;
	uint64_t v = w[bad], other_page = 0;

	for (unsigned int i = 0; i < ZDH_PAGE / 8; i++) {
		if (w[i] == 0)
			zero++;
		else if ((w[i] >> 56) != OWNER_FILE)
			foreign++;
		else if (zdh_word_is_own(w[i], OWNER_FILE, page, i))
			own++;
		else if (!other++)
			other_page = (w[i] >> 9) & 0xfffff;
	}
	snprintf(out, len,
		 "page %llu of the copy, word %u: %#llx (owner %#x gen %u page %llu word %u); the page has %u zero, "
		 "%u own, %u other-page (first: page %llu) and %u foreign words",
		 (unsigned long long)page, bad, (unsigned long long)v, (unsigned int)(v >> 56),
		 (unsigned int)((v >> 32) & 0xffffff), (unsigned long long)((v >> 9) & 0xfffff), (unsigned int)(v & 0x1ff),
		 zero, own, other, (unsigned long long)other_page, foreign);
}

static void *race_io(void *arg)
{
	struct race *r = arg;
	char *buf = zdh_aligned_area(ZDH_MB, ZDH_PAGE);

	if (!buf || mmap(buf, ZDH_MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != buf) {
		r->io_error = ENOMEM;
		return NULL;
	}
	while (!r->stop) {
		for (size_t off = 0; off < r->size && !r->stop; off += ZDH_MB) {
			ssize_t n = pwrite(r->out, r->map + off, ZDH_MB, (off_t)off);

			if (n < 0) {
				if (errno == EFAULT) {
					r->efaults++; /* the range was beyond EOF for a moment */
					continue;
				}
				r->io_error = errno;
				return NULL;
			}
			if (n != (ssize_t)ZDH_MB)
				r->short_ios++;
			r->ios++;
			if (pread(r->out, buf, ZDH_MB, (off_t)off) != (ssize_t)ZDH_MB) {
				r->io_error = errno ? errno : EIO;
				return NULL;
			}
			for (size_t i = 0; i < ZDH_MB / ZDH_PAGE; i++) {
				uint64_t page = off / ZDH_PAGE + i;

				unsigned int bad = zdh_check_copied_page(buf + i * ZDH_PAGE, OWNER_FILE, page, &r->torn);

				if (bad) {
					if (!r->bad_pages)
						describe_bad_page(r->first_bad, sizeof(r->first_bad), buf + i * ZDH_PAGE,
								  page, bad - 1);
					r->bad_pages++;
				}
			}
		}
	}
	munmap(buf, ZDH_MB);
	return NULL;
}

static void *race_shrink(void *arg)
{
	struct race *r = arg;
	const size_t half = r->size / 2;

	r->shrink_tid = (pid_t)syscall(SYS_gettid);
	while (!r->stop) {
		int rc = r->punch ? fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)half, (off_t)half)
				  : ftruncate(r->fd, (off_t)half);

		if (rc != 0) {
			r->shrink_error = errno;
			return NULL;
		}
		r->shrinks++;
		if (!r->punch && ftruncate(r->fd, (off_t)r->size) != 0) {
			r->shrink_error = errno;
			return NULL;
		}
		r->gen++;
		if (fill_file(r->fd, half / ZDH_PAGE, half / ZDH_PAGE, r->gen) != 0) {
			r->shrink_error = errno;
			return NULL;
		}
		zdh_sleep_ms(2);
	}
	return NULL;
}

static void dump_thread(pid_t tid)
{
	char path[96], label[96];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	snprintf(label, sizeof(label), "thread %d state %c, kernel stack", (int)tid, zdh_task_state(path));
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)tid);
	zdh_diag_file(label, path);
}

/*
 * When an fsdax page is idle, and who wakes a truncate or punch hole waiting for it.
 * Before 6.15 a ZONE_DEVICE page sat at refcount 1, a mapping took no reference, and
 * put_devmap_managed_page() woke the waiter (wake_up_var) when a put took the count back
 * to 1; the waiter is ext4_break_layouts() or xfs_break_dax_layouts() (___wait_var_event
 * on page->_refcount == 1). From 6.15 ("fsdax refcount rework") fsdax pages are refcounted
 * like other pages: each mapping holds a reference, a page is idle at refcount 0, and the
 * put that reaches 0 goes through free_zone_device_folio(), which wakes the waiter; both
 * filesystems wait in dax_break_layout() (wait_page_idle(): dax_page_is_idle()) and
 * dax_break_layout_final() at eviction. The 6.15 window is from the release alone; a
 * tree with the rework backported reports the older numbers here, and only the text is
 * affected.
 */
struct dax_generation {
	int idle_count;
	const char *waker;
	char release[65];
};

static void dax_generation(struct dax_generation *g)
{
	struct utsname u;
	int major = 0, minor = 0;

	snprintf(g->release, sizeof(g->release), "this kernel");
	if (uname(&u) == 0) {
		snprintf(g->release, sizeof(g->release), "%s", u.release);
		sscanf(u.release, "%d.%d", &major, &minor);
	}
	if (major > 6 || (major == 6 && minor >= 15)) {
		g->idle_count = 0;
		g->waker = "free_zone_device_folio()";
	} else {
		g->idle_count = 1;
		g->waker = "put_devmap_managed_page()";
	}
}

/*
 * The layout-break functions a stuck task's kernel stack names (/proc/<tid>/stack lines
 * are "[<0>] name+0x../0x.."), old and new: ext4_break_layouts / xfs_break_dax_layouts
 * before 6.15, dax_break_layout / dax_break_layout_final (with ext4_break_layouts,
 * xfs_break_dax_layouts or an evict_inode above them) from 6.15; dax_wait_page_idle and
 * wait_page_idle are the waits when they are not inlined.
 */
static int stuck_in(pid_t tid, char *out, size_t len)
{
	static const char *const waits[] = {
		"dax_wait_page_idle", "wait_page_idle_uninterruptible", "wait_page_idle",
		"dax_break_layout_final", "dax_break_layout", "dax_layout_busy_page_range",
		"ext4_break_layouts", "xfs_break_dax_layouts", "xfs_break_layouts",
		"fuse_dax_break_layouts",
	};
	char path[96], stack[8192], key[64];
	size_t n = 0, used = 0;
	int fd;

	out[0] = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		ssize_t r;

		while (n < sizeof(stack) - 1 && (r = read(fd, stack + n, sizeof(stack) - 1 - n)) > 0)
			n += (size_t)r;
		close(fd);
	}
	stack[n] = 0;
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		snprintf(key, sizeof(key), " %s+", waits[i]);
		if (strstr(stack, key) && used + strlen(waits[i]) + 3 < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", waits[i]);
	}
	if (!used)
		snprintf(out, len, "no layout-break function (stack unreadable or elsewhere)");
	return used > 0;
}

/*
 * A thread's scheduler state (R, S, D...) and how many times it has been switched out
 * (voluntary + involuntary), from /proc/self/task/<tid>/: 0, or -1 when unreadable. A
 * sleeping thread's count moves each time something wakes it.
 */
static int task_switches(pid_t tid, char *state, unsigned long long *switches)
{
	char path[96], buf[4096], *p;
	unsigned long long v = 0, nv = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "\nState:\t");
	if (!p)
		return -1;
	*state = p[strlen("\nState:\t")];
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	if (!p || sscanf(p + 1, "voluntary_ctxt_switches: %llu", &v) != 1)
		return -1;
	p = strstr(p, "nonvoluntary_ctxt_switches:");
	if (!p || sscanf(p, "nonvoluntary_ctxt_switches: %llu", &nv) != 1)
		return -1;
	*switches = v + nv;
	return 0;
}

/*
 * Takes and drops a reference on every page of a mapping, ending with the put that makes
 * the page idle on either generation: vmsplice() into a pipe (GUP faults the page in and
 * takes a reference), drain the pipe (that put takes a pre-6.15 page back to 1), then
 * MADV_DONTNEED the range (from 6.15 the mapping's own reference goes, and the count
 * reaches 0; before 6.15 a DAX mapping held no reference and this changes no count).
 * vmsplice() of a range past EOF fails with EFAULT and is skipped.
 */
static void poke_pages(char *map, size_t size)
{
	static char buf[64 * 1024];
	int pfd[2];

	if (pipe(pfd) != 0)
		return;
	for (size_t off = 0; off < size; off += sizeof(buf)) {
		struct iovec iov = { map + off, sizeof(buf) };
		ssize_t n = vmsplice(pfd[1], &iov, 1, SPLICE_F_NONBLOCK);

		if (n > 0 && read(pfd[0], buf, (size_t)n) < 0)
			break;
		madvise(map + off, sizeof(buf), MADV_DONTNEED);
	}
	close(pfd[0]);
	close(pfd[1]);
}

/*
 * The truncate did not finish although no pin is left. Tells a missing wake-up (the
 * page is idle, but nobody woke the waiter: another reference taken and dropped until the
 * page is idle again wakes it, and it finishes) from a leaked page reference (it still
 * waits, because the count never gets back to idle).
 */
static void diagnose_stuck(pthread_t t, pid_t tid, char *map, size_t size, const char *what)
{
	struct dax_generation g;
	char where[256];

	dax_generation(&g);
	dump_thread(tid);
	stuck_in(tid, where, sizeof(where));
	zdh_diag("the %s waits in: %s", what, where);
	poke_pages(map, size);
	if (zdh_join_bounded(t, 10) == 0)
		zdh_diag("DIAGNOSIS: missing wake-up: the %s finished as soon as the file's pages were referenced and "
			 "released again; a page had already become idle (refcount %d on %s) without %s waking the waiter",
			 what, g.idle_count, g.release, g.waker);
	else
		zdh_diag("DIAGNOSIS: leaked page reference: the %s still waits after every page of the file was "
			 "referenced and released again (a DAX page's count never drops back to %d, its idle count on %s)",
			 what, g.idle_count, g.release);
}

/*
 * Joins the thread (task *tid) of a truncate or punch hole that nothing pins any more: 0
 * when it finishes within --hang-timeout of `since`, else -1 with the hang diagnosed.
 */
static int join_unpinned(pthread_t t, const pid_t *tid, char *map, size_t size, const char *what, const char *since)
{
	double start = zdh_now(), still_since = start, now;
	unsigned long long last = 0, switches = 0;
	char state = '?', where[256];

	/*
	 * On a sound kernel the unpin that made the last page idle has already woken the
	 * waiter, so a thread still asleep in a layout-break wait, not switched in once for
	 * --stall seconds, was not woken and will not be: judged then, not at --hang-timeout.
	 * Asleep anywhere else (a journal commit, a lock) it only counts at --hang-timeout.
	 */
	for (;;) {
		if (pthread_tryjoin_np(t, NULL) == 0)
			return 0;
		now = zdh_now();
		if (now - start >= hang_timeout_s) {
			zdh_diag("HANG: %s did not finish %.0f s after %s", what, hang_timeout_s, since);
			break;
		}
		if (*tid <= 0 || task_switches(*tid, &state, &switches) != 0 || (state != 'S' && state != 'D') ||
		    switches != last || !stuck_in(*tid, where, sizeof(where))) {
			last = switches;
			still_since = now;
		} else if (now - still_since >= stall_s) {
			zdh_diag("HANG: %s asleep in %s (state %c) and not woken for %.1f s after %s", what, where,
				 state, now - still_since, since);
			break;
		}
		zdh_sleep_ms(50);
	}
	diagnose_stuck(t, *tid, map, size, what);
	return -1;
}

static int race_odirect(int punch)
{
	const char *what = punch ? "punch hole" : "truncate";
	struct race *r = calloc(1, sizeof(*r));
	char path[512], out_path[512];
	pthread_t io, shrink;

	NEED_DIRECT();
	ZDH_CHECK(r != NULL, "memory");
	r->size = 8 * ZDH_MB;
	r->punch = punch;
	r->gen = 1;
	MAKE_MAPPED(punch ? "race-punch-dio.dat" : "race-trunc-dio.dat", r->size, path, r->fd, r->map);
	r->out = open_direct(punch ? "race-punch-out.dat" : "race-trunc-out.dat", out_path, sizeof(out_path));
	ZDH_CHECK(r->out >= 0, "open O_DIRECT %s", out_path);
	ZDH_CHECK(pthread_create(&io, NULL, race_io, r) == 0, "thread");
	ZDH_CHECK(pthread_create(&shrink, NULL, race_shrink, r) == 0, "thread");
	zdh_sleep_ms((long)(duration_s * 1000));
	r->stop = 1;
	if (zdh_join_bounded(io, hang_timeout_s) != 0) {
		zdh_diag("the O_DIRECT thread did not finish within %.0f s", hang_timeout_s);
		zdh_dump_process(getpid());
		return ZDH_FAIL;
	}
	/* No I/O is in flight any more: every pin is gone, so the truncate must finish. */
	if (join_unpinned(shrink, &r->shrink_tid, r->map, r->size, what, "the last O_DIRECT pin was dropped") != 0)
		return ZDH_FAIL;
	zdh_diag("%lu O_DIRECT writes from DAX (%lu short, %lu EFAULT), %lu %s operations, %lu torn words", r->ios,
		 r->short_ios, r->efaults, r->shrinks, what, r->torn);
	ZDH_CHECK(r->io_error == 0, "O_DIRECT failed: %s", strerror(r->io_error));
	ZDH_CHECK(r->shrink_error == 0, "%s failed: %s", what, strerror(r->shrink_error));
	ZDH_CHECK(r->bad_pages == 0, "%lu copied pages hold data of another page or file: %s", r->bad_pages,
		  r->first_bad);
	ZDH_CHECK(r->ios > 0 && r->shrinks > 0, "the race did not run (%lu I/Os, %lu %s)", r->ios, r->shrinks, what);
	drop_files(r->map, r->size, r->fd, path, r->out, out_path);
	return ZDH_PASS;
}

static int case_truncate_vs_odirect(void)
{
	return race_odirect(0);
}

static int case_punch_hole_vs_odirect(void)
{
	return race_odirect(1);
}

struct shrink_job {
	int fd, punch;
	off_t from, len;
	volatile int done;
	int error;
	pid_t tid;
};

static void *shrink_once(void *arg)
{
	struct shrink_job *j = arg;
	int rc;

	j->tid = (pid_t)syscall(SYS_gettid);
	rc = j->punch ? fallocate(j->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, j->from, j->len)
		      : ftruncate(j->fd, j->from);
	j->error = rc ? errno : 0;
	__atomic_store_n(&j->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * vmsplice() takes page references on DAX pages and parks them in a pipe. A truncate or
 * punch hole over those pages must wait while the pipe holds them (the file is still
 * mapped), and must finish once the pipe is drained.
 */
static int race_vmsplice(int punch)
{
	const char *what = punch ? "punch hole" : "truncate";
	const size_t size = 4 * ZDH_MB;
	const int iterations = 3;
	char path[512];

	NEED_DIR();
	for (int it = 0; it < iterations; it++) {
		struct shrink_job job = { 0 };
		char *p, *buf;
		int fd, pfd[2], pipe_size;
		size_t want, spliced = 0;
		pthread_t t;
		char state = '?';
		char stat_path[96];
		double until;

		MAKE_MAPPED(punch ? "splice-punch.dat" : "splice-trunc.dat", size, path, fd, p);
		touch_read(p, size);
		ZDH_CHECK(pipe2(pfd, O_NONBLOCK) == 0, "pipe");
		pipe_size = fcntl(pfd[1], F_SETPIPE_SZ, (int)ZDH_MB);
		if (pipe_size < 0)
			pipe_size = fcntl(pfd[1], F_GETPIPE_SZ);
		ZDH_CHECK(pipe_size > 0, "pipe size");
		want = (size_t)pipe_size < TWO_MB ? (size_t)pipe_size : TWO_MB;
		while (spliced < want) {
			struct iovec iov = { p + TWO_MB + spliced, want - spliced };
			ssize_t n = vmsplice(pfd[1], &iov, 1, SPLICE_F_NONBLOCK);

			if (n <= 0)
				break;
			spliced += (size_t)n;
		}
		ZDH_CHECK(spliced > 0, "vmsplice of the DAX mapping");
		job.fd = fd;
		job.punch = punch;
		job.from = (off_t)TWO_MB;
		job.len = (off_t)TWO_MB;
		ZDH_CHECK(pthread_create(&t, NULL, shrink_once, &job) == 0, "thread");
		/* Wait until the truncate sleeps (waiting for the pages) or ends. */
		until = zdh_now() + 10;
		while (!__atomic_load_n(&job.done, __ATOMIC_SEQ_CST) && zdh_now() < until) {
			if (job.tid) {
				snprintf(stat_path, sizeof(stat_path), "/proc/self/task/%d/stat", (int)job.tid);
				state = zdh_task_state(stat_path);
				if (state == 'S' || state == 'D')
					break;
			}
			zdh_sleep_ms(10);
		}
		if (__atomic_load_n(&job.done, __ATOMIC_SEQ_CST) && allow_non_dax) {
			zdh_diag("%s did not wait (expected off DAX)", what);
		} else if (__atomic_load_n(&job.done, __ATOMIC_SEQ_CST)) {
			zdh_diag("%s finished while a pipe still held references to %zu bytes of the file's DAX pages",
				 what, spliced);
			ZDH_FAILF("%s did not wait for the vmsplice()d pages", what);
		} else if (it == 0) {
			zdh_diag("%s waits in state %c while the pipe holds %zu bytes", what, state, spliced);
		}
		/* Drain: the pipe must still hold the file's original data. */
		buf = malloc(spliced);
		ZDH_CHECK(buf != NULL, "memory");
		{
			size_t got = 0;

			while (got < spliced) {
				ssize_t n = read(pfd[0], buf + got, spliced - got);

				ZDH_CHECK(n > 0, "reading the pipe after %zu of %zu bytes", got, spliced);
				got += (size_t)n;
			}
		}
		for (size_t i = 0; i < spliced / ZDH_PAGE; i++)
			ZDH_CHECK(zdh_check_page(buf + i * ZDH_PAGE, OWNER_FILE, 1, TWO_MB / ZDH_PAGE + i) == 0,
				  "spliced page %zu changed while the pipe held it", i);
		free(buf);
		close(pfd[0]);
		close(pfd[1]);
		if (join_unpinned(t, &job.tid, p, size, what, "the pipe released the pages") != 0)
			return ZDH_FAIL;
		ZDH_CHECK(job.error == 0, "%s failed: %s", what, strerror(job.error));
		{
			char page[ZDH_PAGE];

			ZDH_CHECK(pread(fd, page, ZDH_PAGE, 0) == (ssize_t)ZDH_PAGE &&
					  zdh_check_page(page, OWNER_FILE, 1, 0) == 0,
				  "data before the %s range changed", what);
			if (punch)
				ZDH_CHECK(pread(fd, page, ZDH_PAGE, (off_t)TWO_MB) == (ssize_t)ZDH_PAGE &&
						  zdh_page_is_zero(page),
					  "the punched range does not read as zeros");
		}
		drop_files(p, size, fd, path, -1, NULL);
	}
	return ZDH_PASS;
}

static int case_truncate_vs_vmsplice(void)
{
	return race_vmsplice(0);
}

static int case_punch_hole_vs_vmsplice(void)
{
	return race_vmsplice(1);
}

static const struct zdh_case cases[] = {
	{ "mmap_rw_verify", case_mmap_rw_verify, 120 },
	{ "fork_cow_private", case_fork_cow_private, 120 },
	{ "madvise_dontneed_2m", case_madvise_dontneed_2m, 120 },
	{ "partial_munmap_2m", case_partial_munmap_2m, 120 },
	{ "mremap_2m", case_mremap_2m, 120 },
	{ "odirect_from_dax", case_odirect_from_dax, 120 },
	{ "truncate_vs_odirect", case_truncate_vs_odirect, 180 },
	{ "punch_hole_vs_odirect", case_punch_hole_vs_odirect, 180 },
	{ "truncate_vs_vmsplice", case_truncate_vs_vmsplice, 180 },
	{ "punch_hole_vs_vmsplice", case_punch_hole_vs_vmsplice, 180 },
};

int main(int argc, char **argv)
{
	zdh_argc = argc;
	zdh_argv = argv;
	setup_opts();
	return zdh_run_cases(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
