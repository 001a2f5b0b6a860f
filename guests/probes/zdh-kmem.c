// SPDX-License-Identifier: GPL-2.0
/*
 * zdh-kmem: hot-plug a device-dax range as system RAM (dax_kmem) and take it back,
 * through daxctl, with the memory used in between.
 *
 *   zdh-kmem --dev dax0.0 [--cycles N] [--daxctl PATH] [--method daxctl|sysfs|auto]
 *
 * The cases depend on each other in order: online, use, offline, then N-1 more full
 * cycles.
 *
 * daxctl finds a device's memory blocks through /sys/devices/system/node, which exists
 * only with CONFIG_NUMA; without it ("failed to get number of memory sections") the
 * 'auto' method does what daxctl does through sysfs: bind kmem, online the memory blocks
 * (movable), and back: offline the blocks, unbind kmem, bind device_dax.
 */
#include "zdh-probe.h"

#include <glob.h>

static const char *dev_name;
static const char *daxctl;
static long cycles;
static int use_sysfs;

/* Runs daxctl with the given arguments; its output goes to our stdout as diagnostics. */
static int run_daxctl(const char *const *args)
{
	const char *argv[16];
	int pipefd[2], status, n = 0;
	char buf[4096];
	ssize_t got;
	size_t len = 0;
	pid_t pid;

	argv[n++] = daxctl;
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (pipe(pipefd) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(daxctl, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((got = read(pipefd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)got;
	buf[len] = '\0';
	close(pipefd[0]);
	if (!zdh_wait_child(pid, 120, &status)) {
		zdh_diag("%s did not finish within 120 s", daxctl);
		zdh_dump_process(pid);
		return -1;
	}
	if (len)
		zdh_diag("%s", buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	size_t n = strlen(field);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * MemTotal of NUMA node `node` in kB (/sys/devices/system/node/nodeN/meminfo, lines like
 * "Node 2 MemTotal:  524288 kB"), or -1 when the node has no such file.
 */
static long node_memtotal_kb(long node)
{
	char path[96], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%ld/meminfo", node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "MemTotal:");

		if (p)
			v = strtol(p + strlen("MemTotal:"), NULL, 10);
	}
	fclose(f);
	return v;
}

/* The node dax_kmem onlines the device's memory into (its target_node), or -1. */
static long target_node(void)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/target_node", dev_name);
	if (zdh_read_text(path, buf, sizeof(buf)) != 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static int online_blocks(void)
{
	glob_t g;
	int online = 0;

	if (glob("/sys/devices/system/memory/memory*/online", 0, NULL, &g) != 0)
		return -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char c = '0';
		int fd = open(g.gl_pathv[i], O_RDONLY);

		if (fd >= 0) {
			if (read(fd, &c, 1) != 1)
				c = '0';
			close(fd);
		}
		online += c == '1';
	}
	globfree(&g);
	return online;
}

/* The driver a dax device is bound to: "device_dax", "kmem", or "" when unbound. */
static void dax_driver(char *out, size_t len)
{
	char path[256], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/driver", dev_name);
	n = readlink(path, target, sizeof(target) - 1);
	out[0] = '\0';
	if (n > 0) {
		const char *base;

		target[n] = '\0';
		base = strrchr(target, '/');
		snprintf(out, len, "%s", base ? base + 1 : target);
	}
}

#define NEED_DEV()                                                                          \
	do {                                                                                \
		char p_[256];                                                               \
		if (!dev_name)                                                              \
			return zdh_skip("no --dev given");                                  \
		snprintf(p_, sizeof(p_), "/sys/bus/dax/devices/%s", dev_name);              \
		if (access(p_, F_OK) != 0)                                                  \
			ZDH_FAILF("%s does not exist (the devdax set-up failed)", p_);      \
		if (access(daxctl, X_OK) != 0)                                              \
			ZDH_FAILF("%s is missing from the guest image", daxctl);           \
	} while (0)

static int write_sysfs(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

/* The memory blocks [first, last] that the device's range covers (kmem aligns inwards). */
static int device_blocks(long *first, long *last)
{
	char path[256], buf[64];
	unsigned long long start, size, bs;

	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/resource", dev_name);
	start = zdh_read_ull(path, 16);
	snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/size", dev_name);
	if (zdh_read_text(path, buf, sizeof(buf)) != 0)
		return -1;
	size = strtoull(buf, NULL, 0);
	bs = zdh_read_ull("/sys/devices/system/memory/block_size_bytes", 16);
	if (!start || !size || !bs)
		return -1;
	*first = (long)((start + bs - 1) / bs);
	*last = (long)((start + size) / bs) - 1;
	return *last >= *first ? 0 : -1;
}

static int set_blocks(const char *state)
{
	long first, last;
	char path[128];
	int failed = 0;

	if (device_blocks(&first, &last) != 0) {
		zdh_diag("cannot find the memory blocks of %s", dev_name);
		return -1;
	}
	for (long b = first; b <= last; b++) {
		int rc = 0;

		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%ld/state", b);
		for (int attempt = 0; attempt < 5; attempt++) {
			rc = write_sysfs(path, state);
			if (rc != -EBUSY && rc != -EAGAIN)
				break;
			zdh_sleep_ms(200);
		}
		if (rc != 0 && rc != -EINVAL) { /* EINVAL: already in that state */
			zdh_diag("%s > %s: %s", state, path, strerror(-rc));
			failed = 1;
		}
	}
	zdh_diag("memory blocks %ld-%ld: %s", first, last, state);
	return failed ? -1 : 0;
}

static int sysfs_to_ram(void)
{
	char drv[256];
	int rc;

	dax_driver(drv, sizeof(drv));
	if (strcmp(drv, "device_dax") == 0 &&
	    (rc = write_sysfs("/sys/bus/dax/drivers/device_dax/unbind", dev_name)) != 0) {
		zdh_diag("unbind device_dax: %s", strerror(-rc));
		return -1;
	}
	rc = write_sysfs("/sys/bus/dax/drivers/kmem/new_id", dev_name);
	dax_driver(drv, sizeof(drv));
	if (strcmp(drv, "kmem") != 0 && (rc = write_sysfs("/sys/bus/dax/drivers/kmem/bind", dev_name)) != 0) {
		zdh_diag("bind kmem: %s", strerror(-rc));
		return -1;
	}
	return set_blocks("online_movable");
}

static int sysfs_to_devdax(void)
{
	char drv[256];
	int rc;

	if (set_blocks("offline") != 0)
		return -1;
	if ((rc = write_sysfs("/sys/bus/dax/drivers/kmem/unbind", dev_name)) != 0) {
		zdh_diag("unbind kmem: %s", strerror(-rc));
		return -1;
	}
	write_sysfs("/sys/bus/dax/drivers/kmem/remove_id", dev_name);
	dax_driver(drv, sizeof(drv));
	if (strcmp(drv, "device_dax") != 0 &&
	    (rc = write_sysfs("/sys/bus/dax/drivers/device_dax/bind", dev_name)) != 0) {
		zdh_diag("bind device_dax: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* Where the baseline (RAM before the first online) is kept between the cases. */
#define STATE_FILE "/tmp/zdh-kmem.state"

/* The baseline 'online' recorded; *total stays -1 when there is none. */
static void read_baseline(long *total, int *blocks)
{
	FILE *f = fopen(STATE_FILE, "r");

	if (f) {
		if (fscanf(f, "%ld %d", total, blocks) != 2)
			*total = -1;
		fclose(f);
	}
}

static int online(int record_baseline)
{
	const char *args[] = { "reconfigure-device", "--mode=system-ram", dev_name, NULL };
	long before = meminfo_kb("MemTotal"), after, node = target_node();
	long node_before = node >= 0 ? node_memtotal_kb(node) : -1;
	int blocks_before = online_blocks(), blocks_after, rc;
	char drv[256];

	if (record_baseline) {
		FILE *f = fopen(STATE_FILE, "w");

		if (f) {
			fprintf(f, "%ld %d\n", before, blocks_before);
			fclose(f);
		}
	}
	if (use_sysfs) {
		rc = sysfs_to_ram();
		ZDH_CHECK(rc == 0, "hot-adding %s as system RAM through sysfs failed", dev_name);
	} else {
		rc = run_daxctl(args);
		ZDH_CHECK(rc == 0, "daxctl reconfigure-device --mode=system-ram exited with %d", rc);
	}
	after = meminfo_kb("MemTotal");
	blocks_after = online_blocks();
	dax_driver(drv, sizeof(drv));
	zdh_diag("MemTotal %ld -> %ld kB, online memory blocks %d -> %d, driver %s", before, after, blocks_before,
		 blocks_after, drv);
	ZDH_CHECK(strcmp(drv, "kmem") == 0, "the device is bound to '%s', not kmem", drv);
	ZDH_CHECK(after > before && blocks_after > blocks_before, "no memory was added");
	/* With NUMA, the memory must land on the device's own node (a memory-only one when
	 * the NVDIMM sits on a node of its own, configs/machines/numa.yaml). */
	if (node >= 0 && access("/sys/devices/system/node", F_OK) == 0) {
		long node_after = node_memtotal_kb(node);

		zdh_diag("node %ld (target_node): MemTotal %ld -> %ld kB", node, node_before, node_after);
		ZDH_CHECK(node_after > (node_before > 0 ? node_before : 0),
			  "no memory was added to node %ld, the device's target_node", node);
	}
	return ZDH_PASS;
}

static int use_memory(void)
{
	long avail = meminfo_kb("MemAvailable");
	size_t len = (size_t)(avail > 0 ? avail : 65536) * 1024 / 2;
	uint64_t pages;
	char *p;

	if (len > 768 * ZDH_MB)
		len = 768 * ZDH_MB;
	len &= ~(ZDH_PAGE - 1);
	pages = len / ZDH_PAGE;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ZDH_CHECK(p != MAP_FAILED, "cannot map %zu bytes", len);
	for (uint64_t i = 0; i < pages; i++)
		zdh_fill_page(p + i * ZDH_PAGE, 0x3e, 1, i);
	zdh_diag("filled %zu MB with MemAvailable %ld kB", len / ZDH_MB, avail);
	for (uint64_t i = 0; i < pages; i++)
		ZDH_CHECK(zdh_check_page(p + i * ZDH_PAGE, 0x3e, 1, i) == 0, "page %llu lost its data",
			  (unsigned long long)i);
	munmap(p, len);
	return ZDH_PASS;
}

static int offline(void)
{
	const char *args[] = { "reconfigure-device", "--mode=devdax", "--force", dev_name, NULL };
	long base_total = -1, after;
	int base_blocks = -1, blocks_after, rc;
	char drv[256];

	read_baseline(&base_total, &base_blocks);
	if (use_sysfs) {
		rc = sysfs_to_devdax();
		ZDH_CHECK(rc == 0, "taking %s back from system RAM through sysfs failed", dev_name);
	} else {
		rc = run_daxctl(args);
		ZDH_CHECK(rc == 0, "daxctl reconfigure-device --mode=devdax --force exited with %d", rc);
	}
	after = meminfo_kb("MemTotal");
	blocks_after = online_blocks();
	dax_driver(drv, sizeof(drv));
	zdh_diag("MemTotal %ld kB (before online %ld), online memory blocks %d (before online %d), driver %s", after,
		 base_total, blocks_after, base_blocks, drv);
	ZDH_CHECK(strcmp(drv, "device_dax") == 0, "the device is bound to '%s', not device_dax", drv);
	if (base_total > 0)
		ZDH_CHECK(after == base_total && blocks_after == base_blocks, "the hot-added memory did not all go away");
	return ZDH_PASS;
}

static int case_online(void)
{
	NEED_DEV();
	if (use_sysfs)
		zdh_diag("hot-plug through sysfs (daxctl needs /sys/devices/system/node, i.e. CONFIG_NUMA=y)");
	else
		zdh_diag("hot-plug through %s reconfigure-device --mode=system-ram", daxctl);
	return online(1);
}

static int case_use_hotplugged_memory(void)
{
	char drv[256];

	NEED_DEV();
	dax_driver(drv, sizeof(drv));
	if (strcmp(drv, "kmem") != 0)
		ZDH_FAILF("the device is not online as system RAM (driver '%s'): 'online' failed", drv);
	{
		long base_total = -1;
		int base_blocks = -1;

		read_baseline(&base_total, &base_blocks);
		ZDH_CHECK(base_total < 0 || meminfo_kb("MemTotal") > base_total,
			  "no hot-added memory is online (MemTotal %ld kB, before %ld kB)", meminfo_kb("MemTotal"),
			  base_total);
	}
	return use_memory();
}

static int case_offline(void)
{
	NEED_DEV();
	return offline();
}

static int case_repeat_cycles(void)
{
	NEED_DEV();
	for (long c = 1; c < cycles; c++) {
		int rc = online(0);

		if (rc != ZDH_PASS)
			return rc;
		rc = use_memory();
		if (rc != ZDH_PASS)
			return rc;
		rc = offline();
		if (rc != ZDH_PASS)
			return rc;
	}
	if (cycles < 2)
		return zdh_skip("--cycles %ld: no repeat", cycles);
	return ZDH_PASS;
}

static const struct zdh_case cases[] = {
	{ "online", case_online, 180 },
	{ "use_hotplugged_memory", case_use_hotplugged_memory, 180 },
	{ "offline", case_offline, 180 },
	{ "repeat_cycles", case_repeat_cycles, 600 },
};

int main(int argc, char **argv)
{
	zdh_argc = argc;
	zdh_argv = argv;
	dev_name = zdh_opt("dev", NULL);
	daxctl = zdh_opt("daxctl", "/usr/bin/daxctl");
	cycles = zdh_opt_long("cycles", 3);
	{
		const char *method = zdh_opt("method", "auto");

		use_sysfs = strcmp(method, "sysfs") == 0 ||
			    (strcmp(method, "auto") == 0 && access("/sys/devices/system/node", F_OK) != 0);
	}
	return zdh_run_cases(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
