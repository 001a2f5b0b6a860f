// SPDX-License-Identifier: GPL-2.0
/*
 * zdh-gup: get_user_pages / pin_user_pages on ZONE_DEVICE memory through the kernel's
 * gup_test (CONFIG_GUP_TEST, /sys/kernel/debug/gup_test; ioctls of mm/gup_test.h).
 *
 *   zdh-gup [--fsdax-dir DIR] [--devdax /dev/daxX.Y] [--private /dev/hmm_dmirror0]
 *           [--coherent /dev/hmm_dmirror2]
 *
 * Expectations (6.1 and mainline alike):
 *   fsdax      GUP and short-term pins work; FOLL_LONGTERM pins are refused
 *              (check_vma_flags(): vma_is_fsdax() gives -EOPNOTSUPP; the fast path
 *              used pte_devmap()/pmd_devmap() before 6.15, folio_is_fsdax() in
 *              folio_is_longterm_pinnable() after; neither matters to the result)
 *   devdax     every kind works, FOLL_LONGTERM included
 *   private    GUP faults the pages back from the device, then pins them
 *   coherent   short-term pins leave the pages on the device; FOLL_LONGTERM pins
 *              migrate them to system memory first
 * Data must be intact afterwards in every case.
 */
#include "zdh-hmm.h"

#include <mm/gup_test.h>

#define GUP_TEST_FILE "/sys/kernel/debug/gup_test"
#define FOLL_WRITE 0x01
#define OWNER_GUP 0x6b
#define TWO_MB (2 * ZDH_MB)

static const char *fsdax_dir;
static const char *devdax_path;
static const char *private_path;
static const char *coherent_path;

/* gup_test opened as gfd; the case fails without it. */
#define OPEN_GUP(gfd)                                                                          \
	do {                                                                                   \
		if (access(GUP_TEST_FILE, F_OK) != 0)                                          \
			ZDH_FAILF("%s is missing (CONFIG_GUP_TEST=y and debugfs mounted are needed)", \
				  GUP_TEST_FILE);                                              \
		gfd = zdh_open(GUP_TEST_FILE, O_RDWR);                                         \
		ZDH_CHECK(gfd >= 0, "gup_test");                                               \
	} while (0)

/* Runs one gup_test command; returns the bytes it got (or pinned), -errno on failure. */
static long gup_run(int fd, unsigned long cmd, void *addr, size_t len, int write)
{
	struct gup_test gup;

	memset(&gup, 0, sizeof(gup));
	gup.addr = (uintptr_t)addr;
	gup.size = len;
	gup.nr_pages_per_call = (unsigned int)(len / ZDH_PAGE);
	gup.gup_flags = write ? FOLL_WRITE : 0;
	if (ioctl(fd, cmd, &gup) != 0)
		return -errno;
	return (long)gup.size;
}

static const char *cmd_name(unsigned long cmd)
{
	switch (cmd) {
	case GUP_FAST_BENCHMARK:
		return "GUP_FAST_BENCHMARK";
	case PIN_FAST_BENCHMARK:
		return "PIN_FAST_BENCHMARK";
	case PIN_LONGTERM_BENCHMARK:
		return "PIN_LONGTERM_BENCHMARK";
	case GUP_BASIC_TEST:
		return "GUP_BASIC_TEST";
	case PIN_BASIC_TEST:
		return "PIN_BASIC_TEST";
	default:
		return "?";
	}
}

static int check_pages(const char *p, size_t len, unsigned int gen, const char *what)
{
	for (size_t i = 0; i < len / ZDH_PAGE; i++) {
		unsigned int bad = zdh_check_page(p + i * ZDH_PAGE, OWNER_GUP, gen, i);

		if (bad) {
			zdh_diag("%s: page %zu word %u is %#llx", what, i, bad - 1,
				 (unsigned long long)((const uint64_t *)(p + i * ZDH_PAGE))[bad - 1]);
			return -1;
		}
	}
	return 0;
}

/* ---- fsdax ---- */

static char fsdax_path_buf[512];

static char *fsdax_map(size_t len, int *fdp)
{
	char *area, *p;
	int fd;

	snprintf(fsdax_path_buf, sizeof(fsdax_path_buf), "%s/gup.dat", fsdax_dir);
	unlink(fsdax_path_buf);
	fd = open(fsdax_path_buf, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || fallocate(fd, 0, 0, (off_t)len) != 0) {
		zdh_diag("cannot create %s: %s", fsdax_path_buf, strerror(errno));
		return NULL;
	}
	if (!zdh_file_is_dax(fd, fsdax_path_buf)) {
		zdh_diag("%s is not DAX: the set-up did not give a DAX file system", fsdax_path_buf);
		close(fd);
		return NULL;
	}
	area = zdh_aligned_area(len, TWO_MB);
	p = area ? mmap(area, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) : MAP_FAILED;
	if (p == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < len / ZDH_PAGE; i++)
		zdh_fill_page(p + i * ZDH_PAGE, OWNER_GUP, 1, i);
	*fdp = fd;
	return p;
}

static int fsdax_case(unsigned long cmd, int expect_refused)
{
	const size_t len = 4 * ZDH_MB;
	int gfd, fd = -1;
	long got;
	char *p;

	if (!fsdax_dir)
		return zdh_skip("no --fsdax-dir given");
	OPEN_GUP(gfd);
	p = fsdax_map(len, &fd);
	ZDH_CHECK(p != NULL, "fsdax set-up");
	got = gup_run(gfd, cmd, p, len, 1);
	zdh_diag("%s on %zu bytes of fsdax: %ld", cmd_name(cmd), len, got);
	if (expect_refused)
		ZDH_CHECK(got <= 0, "%s of fsdax pages must be refused (pinned %ld bytes)", cmd_name(cmd), got);
	else
		ZDH_CHECK(got == (long)len, "%s got %ld of %zu bytes", cmd_name(cmd), got, len);
	ZDH_CHECK(check_pages(p, len, 1, "after gup") == 0, "data changed");
	munmap(p, len);
	close(fd);
	unlink(fsdax_path_buf);
	close(gfd);
	return ZDH_PASS;
}

static int case_fsdax_gup_fast(void)
{
	return fsdax_case(GUP_FAST_BENCHMARK, 0);
}

static int case_fsdax_pin_fast(void)
{
	return fsdax_case(PIN_FAST_BENCHMARK, 0);
}

static int case_fsdax_pin_basic(void)
{
	return fsdax_case(PIN_BASIC_TEST, 0);
}

static int case_fsdax_pin_longterm_refused(void)
{
	return fsdax_case(PIN_LONGTERM_BENCHMARK, 1);
}

/* ---- devdax ---- */

static int devdax_case(unsigned long cmd)
{
	const size_t len = 4 * ZDH_MB;
	int gfd, fd;
	long got;
	char *p;

	if (!devdax_path)
		return zdh_skip("no --devdax given");
	OPEN_GUP(gfd);
	fd = open(devdax_path, O_RDWR);
	ZDH_CHECK(fd >= 0, "open %s", devdax_path);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ZDH_CHECK(p != MAP_FAILED, "mmap %s", devdax_path);
	for (size_t i = 0; i < len / ZDH_PAGE; i++)
		zdh_fill_page(p + i * ZDH_PAGE, OWNER_GUP, 1, i);
	got = gup_run(gfd, cmd, p, len, 1);
	zdh_diag("%s on %zu bytes of device-dax: %ld", cmd_name(cmd), len, got);
	ZDH_CHECK(got == (long)len, "%s got %ld of %zu bytes", cmd_name(cmd), got, len);
	ZDH_CHECK(check_pages(p, len, 1, "after gup") == 0, "data changed");
	munmap(p, len);
	close(fd);
	close(gfd);
	return ZDH_PASS;
}

static int case_devdax_gup_fast(void)
{
	return devdax_case(GUP_FAST_BENCHMARK);
}

static int case_devdax_pin_fast(void)
{
	return devdax_case(PIN_FAST_BENCHMARK);
}

static int case_devdax_pin_longterm(void)
{
	return devdax_case(PIN_LONGTERM_BENCHMARK);
}

/* ---- device-private and device-coherent (test_hmm) ---- */

/*
 * Migrates 64 pages to the dmirror device, runs cmd on them, checks the data and how
 * many pages stayed on the device (expect_on_device: -1 none, 1 all, 0 don't care).
 */
static int hmm_case(const char *dev, unsigned long cmd, int expect_on_device)
{
	const unsigned long npages = 64;
	const size_t len = npages * ZDH_PAGE;
	unsigned long cpages = 0, before, after;
	int gfd, dfd, rc;
	long got;
	char *p;

	if (!dev)
		return zdh_skip("no test_hmm device given");
	if (access(dev, F_OK) != 0)
		ZDH_FAILF("%s is missing (test_hmm not loaded, or no SPM for device-coherent)", dev);
	OPEN_GUP(gfd);
	dfd = zdh_open_dmirror(dev);
	ZDH_CHECK(dfd >= 0, "open %s", dev);
	p = zdh_anon_filled(len, OWNER_GUP, 1);
	ZDH_CHECK(p != NULL, "memory");
	rc = zdh_hmm_migrate_to_dev(dfd, p, npages, &cpages);
	ZDH_CHECK(rc == 0 && cpages == npages, "migrate to %s: rc %d, %lu of %lu pages", dev, rc, cpages, npages);
	before = zdh_hmm_pages_on_device(dfd, p, npages);
	ZDH_CHECK(before == npages, "after migration only %lu of %lu pages are on the device", before, npages);
	got = gup_run(gfd, cmd, p, len, 1);
	after = zdh_hmm_pages_on_device(dfd, p, npages);
	zdh_diag("%s on %lu migrated pages of %s: %ld bytes; %lu pages still on the device", cmd_name(cmd), npages,
		 dev, got, after);
	ZDH_CHECK(got == (long)len, "%s got %ld of %zu bytes", cmd_name(cmd), got, len);
	if (expect_on_device < 0)
		ZDH_CHECK(after == 0, "%lu pages stayed on the device after %s", after, cmd_name(cmd));
	if (expect_on_device > 0)
		ZDH_CHECK(after == npages, "%s moved %lu pages off the device", cmd_name(cmd), npages - after);
	ZDH_CHECK(check_pages(p, len, 1, "after gup") == 0, "data changed by the migration round trip");
	munmap(p, len);
	close(dfd);
	close(gfd);
	return ZDH_PASS;
}

static int case_device_private_gup(void)
{
	/* GUP cannot map device-private pages: it faults them back to system memory. */
	return hmm_case(private_path, GUP_BASIC_TEST, -1);
}

static int case_device_private_pin_longterm(void)
{
	return hmm_case(private_path, PIN_LONGTERM_BENCHMARK, -1);
}

static int case_device_coherent_pin_fast(void)
{
	return hmm_case(coherent_path, PIN_FAST_BENCHMARK, 1);
}

static int case_device_coherent_pin_longterm(void)
{
	/* FOLL_LONGTERM must not pin device-coherent memory: the pages move to system RAM. */
	return hmm_case(coherent_path, PIN_LONGTERM_BENCHMARK, -1);
}

static const struct zdh_case cases[] = {
	{ "fsdax_gup_fast", case_fsdax_gup_fast, 60 },
	{ "fsdax_pin_fast", case_fsdax_pin_fast, 60 },
	{ "fsdax_pin_basic", case_fsdax_pin_basic, 60 },
	{ "fsdax_pin_longterm_refused", case_fsdax_pin_longterm_refused, 60 },
	{ "devdax_gup_fast", case_devdax_gup_fast, 60 },
	{ "devdax_pin_fast", case_devdax_pin_fast, 60 },
	{ "devdax_pin_longterm", case_devdax_pin_longterm, 60 },
	{ "device_private_gup", case_device_private_gup, 60 },
	{ "device_private_pin_longterm", case_device_private_pin_longterm, 60 },
	{ "device_coherent_pin_fast", case_device_coherent_pin_fast, 60 },
	{ "device_coherent_pin_longterm", case_device_coherent_pin_longterm, 60 },
};

int main(int argc, char **argv)
{
	zdh_argc = argc;
	zdh_argv = argv;
	fsdax_dir = zdh_opt("fsdax-dir", NULL);
	devdax_path = zdh_opt("devdax", NULL);
	private_path = zdh_opt("private", NULL);
	coherent_path = zdh_opt("coherent", NULL);
	return zdh_run_cases(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
