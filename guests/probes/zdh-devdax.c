// SPDX-License-Identifier: GPL-2.0
/*
 * zdh-devdax: device-dax probes on a character device with 2M alignment.
 *
 *   zdh-devdax --dev /dev/dax0.0 [--len BYTES]
 *
 * --dev  the device-dax node (ndctl create-namespace -m devdax -a 2M)
 * --len  bytes of the device to use (default 16M, at most the device size)
 *
 * The device's alignment is read from /sys/bus/dax/devices/<dev>/align; the cases need 2M.
 */
#include "zdh-probe.h"

#include <setjmp.h>
#include <sys/sysmacros.h>

#define OWNER_DEV 0xd2
#define TWO_MB (2 * ZDH_MB)

static const char *dev_path;
static size_t use_len;
static unsigned long dev_size, dev_align;

/* Size and alignment from sysfs; 0 when unknown. */
static void read_geometry(void)
{
	const char *base = dev_path ? strrchr(dev_path, '/') : NULL;
	char path[256];

	if (!base)
		return;
	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/size", base + 1);
	dev_size = zdh_read_ull(path, 0);
	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/align", base + 1);
	dev_align = zdh_read_ull(path, 0);
}

/* The start of every case: the device as the cases need it, opened as fd. */
#define OPEN_DEV(fd)                                                                       \
	do {                                                                               \
		if (!dev_path)                                                             \
			return zdh_skip("no --dev given");                                 \
		if (dev_align != TWO_MB)                                                   \
			ZDH_FAILF("%s: alignment %#lx, the cases need 2M (set-up problem)", \
				  dev_path, dev_align);                                    \
		if (dev_size < use_len)                                                    \
			ZDH_FAILF("%s: size %lu is below the %zu bytes the cases use",      \
				  dev_path, dev_size, use_len);                            \
		fd = zdh_open(dev_path, O_RDWR);                                           \
		ZDH_CHECK(fd >= 0, "open");                                                \
	} while (0)

static char *map_dev(int fd, size_t len, int flags, off_t off)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

static void fill(char *p, uint64_t first, uint64_t n, unsigned int gen)
{
	for (uint64_t i = 0; i < n; i++)
		zdh_fill_page(p + i * ZDH_PAGE, OWNER_DEV, gen, first + i);
}

static int check(const char *p, uint64_t first, uint64_t n, unsigned int gen, const char *what)
{
	for (uint64_t i = 0; i < n; i++) {
		unsigned int bad = zdh_check_page(p + i * ZDH_PAGE, OWNER_DEV, gen, first + i);

		if (bad) {
			zdh_diag("%s: device page %llu word %u is %#llx, expected gen %u", what,
				 (unsigned long long)(first + i), bad - 1,
				 (unsigned long long)((const uint64_t *)(p + i * ZDH_PAGE))[bad - 1], gen);
			return -1;
		}
	}
	return 0;
}

static int case_fault_2m_rw_verify(void)
{
	const uint64_t pages = use_len / ZDH_PAGE;
	char *p;
	int fd;

	OPEN_DEV(fd);
	p = map_dev(fd, use_len, MAP_SHARED, 0);
	ZDH_CHECK(p != NULL, "mmap MAP_SHARED %zu bytes", use_len);
	ZDH_CHECK(((uintptr_t)p & (TWO_MB - 1)) == 0, "the kernel gave a mapping that is not 2M aligned: %p", p);
	fill(p, 0, pages, 1);
	ZDH_CHECK(check(p, 0, pages, 1, "after stores") == 0, "stores do not read back");
	ZDH_CHECK(munmap(p, use_len) == 0, "munmap");
	p = map_dev(fd, use_len, MAP_SHARED, 0);
	ZDH_CHECK(p != NULL, "second mmap");
	ZDH_CHECK(check(p, 0, pages, 1, "second mapping") == 0, "device memory lost the stores");
	munmap(p, use_len);
	close(fd);
	return ZDH_PASS;
}

static int case_fork_2m(void)
{
	const uint64_t pages = use_len / ZDH_PAGE;
	int fd, status;
	pid_t pid;
	char *p;

	OPEN_DEV(fd);
	p = map_dev(fd, use_len, MAP_SHARED, 0);
	ZDH_CHECK(p != NULL, "mmap");
	fill(p, 0, pages, 2);
	fflush(stdout);
	pid = fork();
	ZDH_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		/* The child faults the shared 2M extents itself and writes every other extent. */
		if (check(p, 0, pages, 2, "child") != 0)
			_exit(1);
		for (uint64_t e = 0; e < use_len / TWO_MB; e += 2)
			fill(p + e * TWO_MB, e * (TWO_MB / ZDH_PAGE), TWO_MB / ZDH_PAGE, 3);
		_exit(0);
	}
	ZDH_CHECK(zdh_wait_child(pid, 60, &status), "child did not finish");
	ZDH_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (status %#x)", status);
	for (uint64_t e = 0; e < use_len / TWO_MB; e++)
		ZDH_CHECK(check(p + e * TWO_MB, e * (TWO_MB / ZDH_PAGE), TWO_MB / ZDH_PAGE, e % 2 ? 2 : 3,
				"parent after child") == 0,
			  "extent %llu: the child's shared stores are not visible to the parent", (unsigned long long)e);
	munmap(p, use_len);
	close(fd);
	return ZDH_PASS;
}

static int case_private_mapping_einval(void)
{
	char *p;
	int fd;

	OPEN_DEV(fd);
	errno = 0;
	p = mmap(NULL, TWO_MB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ZDH_CHECK(p == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE of device-dax must fail with EINVAL (got %p)", p);
	close(fd);
	return ZDH_PASS;
}

static int case_unaligned_length_einval(void)
{
	char *p;
	int fd;

	OPEN_DEV(fd);
	errno = 0;
	p = mmap(NULL, TWO_MB + ZDH_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ZDH_CHECK(p == MAP_FAILED && errno == EINVAL, "a 2M+4K mapping must fail with EINVAL (got %p)", p);
	errno = 0;
	p = mmap(NULL, TWO_MB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)ZDH_PAGE);
	ZDH_CHECK(p == MAP_FAILED && errno == EINVAL, "a mapping at offset 4K must fail with EINVAL (got %p)", p);
	close(fd);
	return ZDH_PASS;
}

/* Splitting a 2M device-dax mapping at a 4K boundary must fail and leave it intact. */
static int case_unaligned_split_einval(void)
{
	const size_t len = 2 * TWO_MB;
	const uint64_t pages = len / ZDH_PAGE;
	char *p, *q;
	int fd;

	OPEN_DEV(fd);
	p = map_dev(fd, len, MAP_SHARED, 0);
	ZDH_CHECK(p != NULL, "mmap");
	fill(p, 0, pages, 4);
	errno = 0;
	ZDH_CHECK(munmap(p + ZDH_PAGE, ZDH_PAGE) == -1 && errno == EINVAL, "munmap of 4K inside must fail with EINVAL");
	errno = 0;
	ZDH_CHECK(mprotect(p + TWO_MB + ZDH_PAGE, ZDH_PAGE, PROT_READ) == -1 && errno == EINVAL,
		  "mprotect of 4K inside must fail with EINVAL");
	errno = 0;
	q = mremap(p, len, TWO_MB + ZDH_PAGE, 0);
	ZDH_CHECK(q == MAP_FAILED && errno == EINVAL, "mremap to 2M+4K must fail with EINVAL (got %p)", q);
	errno = 0;
	ZDH_CHECK(madvise(p + ZDH_PAGE, ZDH_PAGE, MADV_DONTNEED) == 0 || errno == EINVAL,
		  "MADV_DONTNEED of 4K inside: neither done nor refused with EINVAL");
	ZDH_CHECK(check(p, 0, pages, 4, "after refused splits") == 0, "the refused splits changed the mapping");
	/* Aligned splits are fine. */
	ZDH_CHECK(munmap(p + TWO_MB, TWO_MB) == 0, "munmap of an aligned 2M half");
	ZDH_CHECK(check(p, 0, TWO_MB / ZDH_PAGE, 4, "after aligned split") == 0, "aligned split lost data");
	munmap(p, TWO_MB);
	close(fd);
	return ZDH_PASS;
}

static int case_mremap_move_2m(void)
{
	const size_t len = 2 * TWO_MB;
	char *p, *dest, *q;
	int fd;

	OPEN_DEV(fd);
	p = map_dev(fd, len, MAP_SHARED, 0);
	ZDH_CHECK(p != NULL, "mmap");
	fill(p, 0, len / ZDH_PAGE, 5);
	dest = zdh_aligned_area(len, TWO_MB);
	ZDH_CHECK(dest != NULL, "address space");
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
	if (q == MAP_FAILED) {
		/* Refusing is clean too; the mapping must then be intact. */
		zdh_diag("mremap move refused: %s", strerror(errno));
		ZDH_CHECK(errno == EINVAL, "mremap move failed with an unexpected error");
		q = p;
	}
	ZDH_CHECK(check(q, 0, len / ZDH_PAGE, 5, "moved mapping") == 0, "moved mapping shows other data");
	munmap(q, len);
	close(fd);
	return ZDH_PASS;
}

static sigjmp_buf bus_jump;
static volatile sig_atomic_t bus_seen;

static void on_sigbus(int sig)
{
	(void)sig;
	bus_seen = 1;
	siglongjmp(bus_jump, 1);
}

static int case_fault_beyond_end_sigbus(void)
{
	size_t len;
	char *p;
	int fd;

	OPEN_DEV(fd);
	len = (dev_size & ~(TWO_MB - 1)) + TWO_MB;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ZDH_CHECK(errno == EINVAL || errno == ENXIO || errno == ENOMEM,
			  "mapping beyond the end failed with an unexpected error");
		zdh_diag("a mapping beyond the device's end is refused at mmap (%s)", strerror(errno));
		close(fd);
		return ZDH_PASS;
	}
	signal(SIGBUS, on_sigbus);
	bus_seen = 0;
	if (sigsetjmp(bus_jump, 1) == 0) {
		volatile char c = p[len - TWO_MB];

		(void)c;
	}
	signal(SIGBUS, SIG_DFL);
	ZDH_CHECK(bus_seen, "a load beyond the device's end did not raise SIGBUS");
	/* The device's own last extent still works. */
	p[len - 2 * TWO_MB] = 1;
	munmap(p, len);
	close(fd);
	return ZDH_PASS;
}

static int case_madvise_dontneed_2m(void)
{
	const uint64_t pages = use_len / ZDH_PAGE;
	char *p;
	int fd;

	OPEN_DEV(fd);
	p = map_dev(fd, use_len, MAP_SHARED, 0);
	ZDH_CHECK(p != NULL, "mmap");
	fill(p, 0, pages, 6);
	ZDH_CHECK(madvise(p, TWO_MB, MADV_DONTNEED) == 0, "MADV_DONTNEED 2M");
	ZDH_CHECK(check(p, 0, pages, 6, "after MADV_DONTNEED") == 0, "device memory changed by MADV_DONTNEED");
	munmap(p, use_len);
	close(fd);
	return ZDH_PASS;
}

static const struct zdh_case cases[] = {
	{ "fault_2m_rw_verify", case_fault_2m_rw_verify, 120 },
	{ "fork_2m", case_fork_2m, 120 },
	{ "private_mapping_einval", case_private_mapping_einval, 60 },
	{ "unaligned_length_einval", case_unaligned_length_einval, 60 },
	{ "unaligned_split_einval", case_unaligned_split_einval, 60 },
	{ "mremap_move_2m", case_mremap_move_2m, 60 },
	{ "fault_beyond_end_sigbus", case_fault_beyond_end_sigbus, 60 },
	{ "madvise_dontneed_2m", case_madvise_dontneed_2m, 60 },
};

int main(int argc, char **argv)
{
	zdh_argc = argc;
	zdh_argv = argv;
	dev_path = zdh_opt("dev", NULL);
	use_len = (size_t)zdh_opt_long("len", (long)(16 * ZDH_MB));
	read_geometry();
	if (dev_size && use_len > dev_size)
		use_len = dev_size & ~(TWO_MB - 1);
	return zdh_run_cases(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
