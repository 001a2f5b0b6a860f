/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zdh probe harness: a tiny, header-only KTAP test runner for the guest probes.
 *
 * Each case runs in its own forked child (its own process group) with a time limit, so a
 * crash in one case is that case's failure and the next cases still run. A case that
 * does not finish in time is killed; when it cannot be killed (stuck in the kernel), its
 * state and kernel stack are printed and it is reported as a hang.
 *
 * Output (KTAP version 1, the same RUN lines as kselftest_harness.h):
 *   KTAP version 1
 *   1..N
 *   #  RUN           <case> ...
 *   # <diagnostics>
 *   ok 1 <case>
 *   not ok 2 <case>
 *   ok 3 <case> # SKIP <reason>
 *   # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0
 *
 * Command line of every probe:
 *   --list                 print the case names, one a line, and exit
 *   --only NAME[,NAME...]  run only these cases (the plan counts only them)
 *   --case-timeout S       per-case time limit (default: the case's own)
 * plus the probe's own options, which it reads with zdh_opt()/zdh_opt_long().
 */
#ifndef ZDH_PROBE_H
#define ZDH_PROBE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zdh-pattern.h"

enum { ZDH_PASS = 0, ZDH_FAIL = 1, ZDH_SKIP = 4 };

struct zdh_case {
	const char *name;
	int (*fn)(void);
	/* Seconds the case may run before it counts as a hang. */
	unsigned int timeout_s;
};

/* Shared with the case's child: the SKIP reason. */
static char *zdh_reason __attribute__((unused));
static int zdh_argc __attribute__((unused));
static char **zdh_argv __attribute__((unused));

/* Diagnostics go to stdout, one '# ' line each, flushed at once. */
__attribute__((format(printf, 1, 2))) static inline void zdh_diag(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *line = buf, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		printf("# %s\n", line);
	}
	fflush(stdout);
}

/* Ends the running case with a SKIP and a reason. */
__attribute__((format(printf, 1, 2))) static inline int zdh_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (zdh_reason)
		vsnprintf(zdh_reason, 1024, fmt, ap);
	va_end(ap);
	return ZDH_SKIP;
}

#define ZDH_FAILF(...)                                                       \
	do {                                                                 \
		zdh_diag("FAIL %s:%d: ", __FILE__, __LINE__);                \
		zdh_diag(__VA_ARGS__);                                       \
		return ZDH_FAIL;                                             \
	} while (0)

/* Fails the case unless cond holds; errno is printed when it is set. */
#define ZDH_CHECK(cond, ...)                                                 \
	do {                                                                 \
		if (!(cond)) {                                               \
			int zdh_e = errno;                                   \
			zdh_diag("FAIL %s:%d: check '%s' failed (errno %d %s)", \
				 __FILE__, __LINE__, #cond, zdh_e,           \
				 zdh_e ? strerror(zdh_e) : "-");             \
			zdh_diag(__VA_ARGS__);                               \
			return ZDH_FAIL;                                     \
		}                                                            \
	} while (0)

/* open(); when it fails, a diagnostic says why. */
static inline int zdh_open(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		zdh_diag("cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* --name VALUE from the command line, or the default. */
static inline const char *zdh_opt(const char *name, const char *dflt)
{
	for (int i = 1; i + 1 < zdh_argc; i++)
		if (strncmp(zdh_argv[i], "--", 2) == 0 && strcmp(zdh_argv[i] + 2, name) == 0)
			return zdh_argv[i + 1];
	return dflt;
}

static inline long zdh_opt_long(const char *name, long dflt)
{
	const char *v = zdh_opt(name, NULL);

	return v ? strtol(v, NULL, 0) : dflt;
}

static inline double zdh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void zdh_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * A small file (a sysfs attribute) into buf, NUL-terminated: 0, or -1 when it cannot be
 * opened or read, or is empty (buf is then "").
 */
static inline int zdh_read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	memset(buf, 0, len);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	return n > 0 ? 0 : -1;
}

/* The number a small file holds (strtoull() in `base`); 0 when it cannot be read. */
static inline unsigned long long zdh_read_ull(const char *path, int base)
{
	char buf[64];

	zdh_read_text(path, buf, sizeof(buf));
	return strtoull(buf, NULL, base);
}

/* Prints a file's first lines as diagnostics, e.g. a task's kernel stack. */
static inline void zdh_diag_file(const char *label, const char *path)
{
	char buf[4096];

	if (zdh_read_text(path, buf, sizeof(buf)) == 0)
		zdh_diag("%s:\n%s", label, buf);
}

/* One character: R, S, D, Z, ... of a task; '?' when it cannot be read. */
static inline char zdh_task_state(const char *stat_path)
{
	char buf[512];
	char *p;

	if (zdh_read_text(stat_path, buf, sizeof(buf)) != 0)
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* State, wchan and kernel stack of every task of a process. */
static inline void zdh_dump_process(pid_t pid)
{
	char path[512], label[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, de->d_name);
		snprintf(label, sizeof(label), "task %s state %c, kernel stack", de->d_name,
			 zdh_task_state(path));
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", (int)pid, de->d_name);
		zdh_diag_file(label, path);
	}
	closedir(d);
}

/*
 * Waits for a child up to timeout_s. Returns 1 and the status when it ended, 0 when it
 * did not (the caller decides what a hang means).
 */
static inline int zdh_wait_child(pid_t pid, double timeout_s, int *status)
{
	double deadline = zdh_now() + timeout_s;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1;
		if (zdh_now() >= deadline)
			return 0;
		zdh_sleep_ms(20);
	}
}

/* Joins a thread that must end within timeout_s: 0 when it did, else pthread_timedjoin_np()'s error. */
static inline int zdh_join_bounded(pthread_t t, double timeout_s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)timeout_s;
	return pthread_timedjoin_np(t, NULL, &ts);
}

static inline int zdh_selected(const char *name, const char *only)
{
	size_t n = strlen(name);

	if (!only)
		return 1;
	for (const char *p = only; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static inline int zdh_run_cases(int argc, char **argv, const struct zdh_case *cases, size_t ncases)
{
	unsigned int pass = 0, fail = 0, skip = 0, planned = 0, number = 0;
	const char *only;
	long timeout_override;

	zdh_argc = argc;
	zdh_argv = argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0) {
			for (size_t c = 0; c < ncases; c++)
				printf("%s\n", cases[c].name);
			return 0;
		}
	}
	only = zdh_opt("only", NULL);
	timeout_override = zdh_opt_long("case-timeout", 0);
	for (size_t c = 0; c < ncases; c++)
		planned += zdh_selected(cases[c].name, only);

	zdh_reason = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (zdh_reason == MAP_FAILED) {
		printf("Bail out! cannot map shared memory: %s\n", strerror(errno));
		return 1;
	}
	printf("KTAP version 1\n1..%u\n", planned);
	fflush(stdout);

	for (size_t c = 0; c < ncases; c++) {
		const struct zdh_case *tc = &cases[c];
		unsigned int limit = timeout_override > 0 ? (unsigned int)timeout_override : tc->timeout_s;
		int status = 0, result;
		pid_t pid;

		if (!zdh_selected(tc->name, only))
			continue;
		number++;
		zdh_reason[0] = '\0';
		printf("#  RUN           %s ...\n", tc->name);
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			zdh_diag("cannot fork: %s", strerror(errno));
			printf("not ok %u %s\n", number, tc->name);
			fail++;
			continue;
		}
		if (pid == 0) {
			setpgid(0, 0);
			int r;

			alarm(0);
			r = tc->fn();
			fflush(stdout);
			fflush(stderr);
			_exit(r);
		}
		setpgid(pid, pid);
		if (!zdh_wait_child(pid, limit, &status)) {
			zdh_diag("TIMEOUT: %s did not finish within %u s; state of its tasks:", tc->name, limit);
			zdh_dump_process(pid);
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			if (!zdh_wait_child(pid, 10, &status)) {
				zdh_diag("HANG: %s cannot be killed (stuck in the kernel); leaving it", tc->name);
				zdh_dump_process(pid);
			}
			printf("not ok %u %s # TIMEOUT after %u s\n", number, tc->name, limit);
			fail++;
			continue;
		}
		if (WIFEXITED(status))
			result = WEXITSTATUS(status);
		else {
			zdh_diag("%s was killed by signal %d (%s)", tc->name, WTERMSIG(status),
				 strsignal(WTERMSIG(status)));
			result = ZDH_FAIL;
		}
		/* Children of the case that outlived it. */
		kill(-pid, SIGKILL);
		if (result == ZDH_PASS) {
			printf("ok %u %s\n", number, tc->name);
			pass++;
		} else if (result == ZDH_SKIP) {
			printf("ok %u %s # SKIP %s\n", number, tc->name,
			       zdh_reason[0] ? zdh_reason : "no reason given");
			skip++;
		} else {
			printf("not ok %u %s\n", number, tc->name);
			fail++;
		}
		fflush(stdout);
	}
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n", pass, fail, skip);
	fflush(stdout);
	return fail ? 1 : 0;
}

/* ---- helpers shared by the probes ---- */

#define ZDH_KB 1024UL
#define ZDH_MB (1024UL * 1024UL)

/* An address aligned to `align` with `len` bytes of free address space behind it. */
static inline void *zdh_aligned_area(size_t len, size_t align)
{
	char *p = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + len + align > a + len)
		munmap((void *)(a + len), (uintptr_t)p + len + align - (a + len));
	return (void *)a;
}

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

/* Is this file served by DAX? STATX_ATTR_DAX when the kernel reports it, else the mount. */
static inline int zdh_file_is_dax(int fd, const char *path)
{
	struct statx stx;
	FILE *m;
	char line[1024];
	int found = 0;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
	    (stx.stx_attributes_mask & STATX_ATTR_DAX))
		return !!(stx.stx_attributes & STATX_ATTR_DAX);
	/* No STATX_ATTR_DAX (older kernel): the mount must say dax or dax=always. */
	m = fopen("/proc/mounts", "r");
	if (!m)
		return 0;
	while (fgets(line, sizeof(line), m)) {
		char dev[256], dir[512], type[64], opts[512];

		if (sscanf(line, "%255s %511s %63s %511s", dev, dir, type, opts) == 4 &&
		    strncmp(path, dir, strlen(dir)) == 0 &&
		    (strstr(opts, "dax=always") || strstr(opts, ",dax,") || strstr(opts, ",dax")))
			found = 1;
	}
	fclose(m);
	return found;
}

#endif /* ZDH_PROBE_H */
