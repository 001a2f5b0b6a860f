// SPDX-License-Identifier: GPL-2.0
/*
 * zdh-hmm-stress: the paths a GPU driver takes with device memory ("nouveau-free"),
 * driven through test_hmm: concurrently, for a bounded time, migrate to the device,
 * fault back on the CPU, let the device read, fork, mremap, mprotect, munmap and
 * process_vm_readv on migrated ranges; open, migrate and close the device over and over
 * (release_churn); then remove the device memory and unload test_hmm while a process
 * that had pages on the device is still alive.
 *
 *   zdh-hmm-stress [--private /dev/hmm_dmirror0] [--coherent /dev/hmm_dmirror2]
 *                  [--duration S] [--hang-timeout S] [--module test_hmm] [--device-read 1]
 *
 * --device-read 1 adds a worker that reads the regions through the device
 * (HMM_DMIRROR_READ). It is off by default: on 6.1, a device read of a page that sits
 * on the same device after its mirror entry was invalidated makes test_hmm store the
 * device-private page itself in its page table and kmap() it: an Oops in
 * dmirror_do_read (a bug of the test module, found by this probe).
 *
 * Every page holds a pattern naming its region, generation and page; a page that shows
 * anything else after a migration round trip is corruption.
 */
#include "zdh-hmm.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define NREG 8
#define REG_PAGES 16
#define REG_LEN (REG_PAGES * ZDH_PAGE)
#define OWNER_BASE 0x40

static const char *private_path;
static const char *coherent_path;
static const char *module_name;
static double duration_s;
static double hang_timeout_s;
static int device_read;

struct region {
	pthread_rwlock_t lock;
	char *addr;
	unsigned int gen;
};

enum op {
	OP_MIGRATE,
	OP_FAULT,
	OP_DEVREAD,
	OP_WRITE,
	OP_FORK,
	OP_MREMAP,
	OP_MPROTECT,
	OP_MUNMAP,
	OP_VMREADV,
	OP_CHAOS,
	NOPS
};

static const char *const op_names[NOPS] = {
	"migrate_to_device", "cpu_fault_back", "device_read", "cpu_write", "fork",
	"mremap", "mprotect", "munmap_remap", "process_vm_readv", "unmap_vs_migrate",
};

struct stats {
	unsigned long ok[NOPS], errors[NOPS], mismatches[NOPS], tolerated[NOPS];
	char first[NOPS][200];
	pthread_mutex_t mu;
};

struct stress {
	int dev;
	struct region reg[NREG];
	volatile int stop;
	struct stats st;
	int req[2], rep[2]; /* pipes to and from the process_vm_readv helper */
	pid_t helper;
	char *volatile scratch;
	pid_t tids[NOPS + 1];
};

static void note(struct stress *s, enum op op, int mismatch, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void note(struct stress *s, enum op op, int mismatch, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->st.mu);
	if (mismatch)
		s->st.mismatches[op]++;
	else
		s->st.errors[op]++;
	if (!s->st.first[op][0]) {
		va_start(ap, fmt);
		vsnprintf(s->st.first[op], sizeof(s->st.first[op]), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->st.mu);
}

static void ok(struct stress *s, enum op op)
{
	__atomic_add_fetch(&s->st.ok[op], 1, __ATOMIC_RELAXED);
}

static void fill_region(struct region *r, unsigned int id)
{
	for (unsigned int i = 0; i < REG_PAGES; i++)
		zdh_fill_page(r->addr + i * ZDH_PAGE, OWNER_BASE + id, r->gen, i);
}

/* First bad page + 1, or 0. */
static unsigned int check_buf(const char *p, unsigned int id, unsigned int gen)
{
	for (unsigned int i = 0; i < REG_PAGES; i++)
		if (zdh_check_page(p + i * ZDH_PAGE, OWNER_BASE + id, gen, i))
			return i + 1;
	return 0;
}

/* Writes the region's next generation: the first page that does not read back + 1, or 0. */
static unsigned int refill_region(struct region *r, unsigned int id)
{
	r->gen++;
	fill_region(r, id);
	return check_buf(r->addr, id, r->gen);
}

static char *new_mapping(void)
{
	char *p = mmap(NULL, REG_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct worker {
	struct stress *s;
	enum op op;
	unsigned int seed;
	double deadline;
	/* OP_CHAOS: 1 maps and unmaps the scratch range, 0 migrates it. */
	int unmapper;
};

static void op_migrate(struct stress *s, unsigned int id)
{
	struct region *r = &s->reg[id];
	unsigned long cpages = 0;
	int rc;

	pthread_rwlock_rdlock(&r->lock);
	rc = zdh_hmm_migrate_to_dev(s->dev, r->addr, REG_PAGES, &cpages);
	pthread_rwlock_unlock(&r->lock);
	if (rc == 0)
		ok(s, OP_MIGRATE);
	else if (rc == -EBUSY || rc == -EAGAIN || rc == -ENOMEM || rc == -ENOENT)
		s->st.tolerated[OP_MIGRATE]++; /* ENOENT: pages already on the device, mirror entry invalidated */
	else
		note(s, OP_MIGRATE, 0, "region %u: migrate to device: %s", id, strerror(-rc));
}

static void op_fault(struct stress *s, unsigned int id)
{
	struct region *r = &s->reg[id];
	unsigned int bad;

	pthread_rwlock_rdlock(&r->lock);
	bad = check_buf(r->addr, id, r->gen);
	pthread_rwlock_unlock(&r->lock);
	if (bad)
		note(s, OP_FAULT, 1, "region %u page %u: CPU read after migration shows other data", id, bad - 1);
	else
		ok(s, OP_FAULT);
}

static void op_devread(struct stress *s, unsigned int id, char *mirror)
{
	struct region *r = &s->reg[id];
	unsigned int bad = 0;
	int rc;

	pthread_rwlock_rdlock(&r->lock);
	rc = zdh_hmm_cmd(s->dev, HMM_DMIRROR_READ, r->addr, mirror, REG_PAGES, NULL);
	if (rc == 0)
		bad = check_buf(mirror, id, r->gen);
	pthread_rwlock_unlock(&r->lock);
	if (rc == -EBUSY || rc == -EAGAIN)
		s->st.tolerated[OP_DEVREAD]++;
	else if (rc)
		note(s, OP_DEVREAD, 0, "region %u: device read: %s", id, strerror(-rc));
	else if (bad)
		note(s, OP_DEVREAD, 1, "region %u page %u: the device read other data", id, bad - 1);
	else
		ok(s, OP_DEVREAD);
}

static void op_write(struct stress *s, unsigned int id)
{
	struct region *r = &s->reg[id];
	unsigned int bad;

	pthread_rwlock_wrlock(&r->lock);
	if (mprotect(r->addr, REG_LEN, PROT_READ | PROT_WRITE) != 0) {
		pthread_rwlock_unlock(&r->lock);
		note(s, OP_WRITE, 0, "mprotect before write: %s", strerror(errno));
		return;
	}
	bad = refill_region(r, id);
	pthread_rwlock_unlock(&r->lock);
	if (bad)
		note(s, OP_WRITE, 1, "region %u page %u: stores do not read back", id, bad - 1);
	else
		ok(s, OP_WRITE);
}

static void op_fork(struct stress *s, unsigned int id, double hang)
{
	struct region *r = &s->reg[id];
	int status;
	pid_t pid;

	pthread_rwlock_rdlock(&r->lock);
	pid = fork();
	if (pid == 0) {
		/* The child's copy: device-private entries shared copy-on-write with the parent. */
		_exit(check_buf(r->addr, id, r->gen) ? 3 : 0);
	}
	pthread_rwlock_unlock(&r->lock);
	if (pid < 0) {
		note(s, OP_FORK, 0, "fork: %s", strerror(errno));
		return;
	}
	if (!zdh_wait_child(pid, hang, &status)) {
		kill(pid, SIGKILL);
		note(s, OP_FORK, 0, "child %d did not finish within %.0f s", (int)pid, hang);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ok(s, OP_FORK);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		note(s, OP_FORK, 1, "region %u: a forked child reads other data", id);
	else
		note(s, OP_FORK, 0, "region %u: forked child ended with status %#x", id, status);
}

/* Thread-local: what the thread was doing, for the SIGSEGV/SIGBUS report. */
static __thread int cur_op = -1;
static __thread void *cur_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char buf[256];
	int n;

	(void)uc;
	n = snprintf(buf, sizeof(buf), "# %s at %p in the %s worker (its region at %p)\n", sig == SIGBUS ? "SIGBUS" : "SIGSEGV",
		     si->si_addr, cur_op >= 0 && cur_op < NOPS ? op_names[cur_op] : "main", cur_addr);
	if (write(1, buf, (size_t)n) < 0)
		_exit(1);
	_exit(1);
}

static void op_mremap(struct stress *s, unsigned int id)
{
	struct region *r = &s->reg[id];
	char *dest = mmap(NULL, REG_LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const size_t half = REG_LEN / 2;
	char *q;
	unsigned int bad;

	if (dest == MAP_FAILED) {
		note(s, OP_MREMAP, 0, "address space: %s", strerror(errno));
		return;
	}
	pthread_rwlock_wrlock(&r->lock);
	/*
	 * The region may be two VMAs (the mprotect and munmap workers split it at its
	 * middle): move the halves one by one.
	 */
	q = mremap(r->addr, half, half, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
	if (q != MAP_FAILED && mremap(r->addr + half, half, half, MREMAP_MAYMOVE | MREMAP_FIXED, dest + half) == MAP_FAILED)
		q = MAP_FAILED;
	if (q == MAP_FAILED) {
		int e = errno;

		pthread_rwlock_unlock(&r->lock);
		note(s, OP_MREMAP, 0, "region %u: mremap: %s", id, strerror(e));
		return;
	}
	r->addr = q;
	cur_addr = q;
	bad = check_buf(r->addr, id, r->gen);
	pthread_rwlock_unlock(&r->lock);
	if (bad)
		note(s, OP_MREMAP, 1, "region %u page %u: moved pages show other data", id, bad - 1);
	else
		ok(s, OP_MREMAP);
}

static void op_mprotect(struct stress *s, unsigned int id, unsigned int *seed)
{
	struct region *r = &s->reg[id];
	size_t len = rand_r(seed) % 2 ? REG_LEN : REG_LEN / 2;
	int rc;

	pthread_rwlock_rdlock(&r->lock);
	rc = mprotect(r->addr, len, PROT_READ);
	if (rc == 0) {
		sched_yield();
		rc = mprotect(r->addr, REG_LEN, PROT_READ | PROT_WRITE);
	}
	pthread_rwlock_unlock(&r->lock);
	if (rc)
		note(s, OP_MPROTECT, 0, "region %u: mprotect: %s", id, strerror(errno));
	else
		ok(s, OP_MPROTECT);
}

static void op_munmap(struct stress *s, unsigned int id, unsigned int *seed)
{
	struct region *r = &s->reg[id];
	size_t replaced = 0; /* bytes at r->addr given up for new memory somewhere else */
	unsigned int bad;

	pthread_rwlock_wrlock(&r->lock);
	if (rand_r(seed) % 2) {
		/* All of it: new memory somewhere else. */
		replaced = REG_LEN;
	} else {
		/* Half of it, mapped again in place (a hole in a migrated range). */
		char *half = r->addr + REG_LEN / 2;

		if (munmap(half, REG_LEN / 2) != 0 ||
		    mmap(half, REG_LEN / 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			 0) != half)
			replaced = REG_LEN / 2;
	}
	if (replaced) {
		char *p = new_mapping();

		if (!p) {
			pthread_rwlock_unlock(&r->lock);
			note(s, OP_MUNMAP, 0, "mmap: %s", strerror(errno));
			return;
		}
		munmap(r->addr, replaced);
		r->addr = p;
	}
	mprotect(r->addr, REG_LEN, PROT_READ | PROT_WRITE);
	bad = refill_region(r, id);
	pthread_rwlock_unlock(&r->lock);
	if (bad)
		note(s, OP_MUNMAP, 1, "region %u page %u: new memory does not read back", id, bad - 1);
	else
		ok(s, OP_MUNMAP);
}

struct vm_request {
	uint64_t addr;
	uint32_t id, gen;
};

static void op_vmreadv(struct stress *s, unsigned int id)
{
	struct region *r = &s->reg[id];
	struct vm_request req;
	char reply = 9;
	ssize_t n;

	pthread_rwlock_rdlock(&r->lock);
	req.addr = (uintptr_t)r->addr;
	req.id = id;
	req.gen = r->gen;
	n = write(s->req[1], &req, sizeof(req));
	if (n == (ssize_t)sizeof(req))
		n = read(s->rep[0], &reply, 1);
	pthread_rwlock_unlock(&r->lock);
	if (n != 1)
		note(s, OP_VMREADV, 0, "helper process did not answer");
	else if (reply == 0)
		ok(s, OP_VMREADV);
	else if (reply == 1)
		note(s, OP_VMREADV, 1, "region %u: process_vm_readv() from another process read other data", id);
	else
		note(s, OP_VMREADV, 0, "region %u: process_vm_readv() failed (helper reply %d)", id, reply);
}

/* The helper process: reads the parent's regions with process_vm_readv(). */
static void vmreadv_helper(struct stress *s, pid_t parent)
{
	static char buf[REG_LEN];
	struct vm_request req;

	close(s->req[1]);
	close(s->rep[0]);
	close(s->dev); /* the device stays the parent's alone */
	while (read(s->req[0], &req, sizeof(req)) == (ssize_t)sizeof(req)) {
		struct iovec local = { buf, REG_LEN }, remote = { (void *)(uintptr_t)req.addr, REG_LEN };
		ssize_t n = process_vm_readv(parent, &local, 1, &remote, 1, 0);
		char reply = n != (ssize_t)REG_LEN ? 2 : check_buf(buf, req.id, req.gen) ? 1 : 0;

		if (write(s->rep[1], &reply, 1) != 1)
			break;
	}
	_exit(0);
}

/* Unlocked: one thread maps and unmaps a scratch range, another migrates it. */
static void op_chaos(struct stress *s, unsigned int *seed, int unmapper)
{
	char *p = s->scratch;

	if (unmapper) {
		if (munmap(p, REG_LEN) == 0 &&
		    mmap(p, REG_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == p) {
			for (unsigned int i = 0; i < REG_PAGES; i += 1 + rand_r(seed) % 3)
				p[i * ZDH_PAGE] = 1;
			ok(s, OP_CHAOS);
		} else {
			char *q = new_mapping();

			if (q)
				s->scratch = q;
		}
	} else {
		unsigned long cpages;
		int rc = zdh_hmm_migrate_to_dev(s->dev, p, REG_PAGES, &cpages);

		if (rc == 0)
			ok(s, OP_CHAOS);
		else
			s->st.tolerated[OP_CHAOS]++; /* the range was unmapped for a moment */
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	char *mirror = malloc(REG_LEN);

	s->tids[w->op] = (pid_t)syscall(SYS_gettid);
	cur_op = (int)w->op;
	while (!s->stop && zdh_now() < w->deadline) {
		unsigned int id = (unsigned int)rand_r(&w->seed) % NREG;

		cur_addr = w->op == OP_CHAOS ? (void *)s->scratch : (void *)s->reg[id].addr;

		switch (w->op) {
		case OP_MIGRATE:
			op_migrate(s, id);
			break;
		case OP_FAULT:
			op_fault(s, id);
			break;
		case OP_DEVREAD:
			op_devread(s, id, mirror);
			break;
		case OP_WRITE:
			op_write(s, id);
			break;
		case OP_FORK:
			op_fork(s, id, hang_timeout_s);
			break;
		case OP_MREMAP:
			op_mremap(s, id);
			break;
		case OP_MPROTECT:
			op_mprotect(s, id, &w->seed);
			break;
		case OP_MUNMAP:
			op_munmap(s, id, &w->seed);
			break;
		case OP_VMREADV:
			op_vmreadv(s, id);
			break;
		case OP_CHAOS:
			op_chaos(s, &w->seed, w->unmapper);
			break;
		default:
			break;
		}
	}
	free(mirror);
	return NULL;
}

static int stress(const char *dev)
{
	struct stress *s = calloc(1, sizeof(*s));
	/* Two migrators and two chaos threads (one unmaps, one migrates) besides one of each. */
	struct worker w[NOPS + 3];
	pthread_t t[NOPS + 3];
	int nworkers = 0, failed = 0;
	double deadline;
	unsigned long on_device = 0;

	ZDH_CHECK(s != NULL, "memory");
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fault;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
	}
	if (access(dev, F_OK) != 0)
		ZDH_FAILF("%s is missing (test_hmm not loaded, or no SPM range for device-coherent)", dev);
	s->dev = zdh_open_dmirror(dev);
	ZDH_CHECK(s->dev >= 0, "open %s", dev);
	pthread_mutex_init(&s->st.mu, NULL);
	for (unsigned int i = 0; i < NREG; i++) {
		pthread_rwlock_init(&s->reg[i].lock, NULL);
		s->reg[i].addr = new_mapping();
		ZDH_CHECK(s->reg[i].addr != NULL, "memory");
		s->reg[i].gen = 1;
		fill_region(&s->reg[i], i);
	}
	s->scratch = new_mapping();
	ZDH_CHECK(s->scratch != NULL, "memory");
	ZDH_CHECK(pipe(s->req) == 0 && pipe(s->rep) == 0, "pipes");
	fflush(stdout);
	s->helper = fork();
	ZDH_CHECK(s->helper >= 0, "fork helper");
	if (s->helper == 0)
		vmreadv_helper(s, getppid());
	close(s->req[0]);
	close(s->rep[1]);

	deadline = zdh_now() + duration_s;
	for (int op = 0; op < NOPS; op++) {
		int copies = op == OP_MIGRATE || op == OP_CHAOS ? 2 : op == OP_DEVREAD && !device_read ? 0 : 1;

		for (int c = 0; c < copies; c++) {
			w[nworkers] = (struct worker){ s, (enum op)op, (unsigned int)(op * 7919 + c), deadline, c };
			ZDH_CHECK(pthread_create(&t[nworkers], NULL, worker_main, &w[nworkers]) == 0, "thread");
			nworkers++;
		}
	}
	zdh_sleep_ms((long)(duration_s * 1000));
	s->stop = 1;
	for (int i = 0; i < nworkers; i++) {
		if (zdh_join_bounded(t[i], hang_timeout_s) != 0) {
			zdh_diag("HANG: the %s worker did not stop within %.0f s", op_names[w[i].op], hang_timeout_s);
			zdh_dump_process(getpid());
			return ZDH_FAIL;
		}
	}
	close(s->req[1]);
	if (!zdh_wait_child(s->helper, hang_timeout_s, &(int){ 0 }))
		zdh_diag("the process_vm_readv helper did not exit");

	for (unsigned int i = 0; i < NREG; i++)
		on_device += zdh_hmm_pages_on_device(s->dev, s->reg[i].addr, REG_PAGES);
	zdh_diag("%lu of %u pages on the device at the end", on_device, NREG * REG_PAGES);
	for (int op = 0; op < NOPS; op++) {
		zdh_diag("%-18s %8lu ok %6lu tolerated %4lu errors %4lu mismatches%s%s", op_names[op], s->st.ok[op],
			 s->st.tolerated[op], s->st.errors[op], s->st.mismatches[op], s->st.first[op][0] ? ": " : "",
			 s->st.first[op]);
		if (s->st.errors[op] || s->st.mismatches[op])
			failed = 1;
		if (op == OP_DEVREAD && !device_read)
			continue;
		if (s->st.ok[op] == 0) {
			zdh_diag("%s never completed once in %.0f s", op_names[op], duration_s);
			failed = 1;
		}
	}
	/* Everything must read back on the CPU (faulting every page back). */
	for (unsigned int i = 0; i < NREG; i++) {
		unsigned int bad = check_buf(s->reg[i].addr, i, s->reg[i].gen);

		if (bad) {
			zdh_diag("region %u page %u: final CPU read shows other data", i, bad - 1);
			failed = 1;
		}
	}
	close(s->dev);
	return failed ? ZDH_FAIL : ZDH_PASS;
}

static int case_concurrent_private(void)
{
	if (!private_path)
		return zdh_skip("no --private device given");
	return stress(private_path);
}

static int case_concurrent_coherent(void)
{
	if (!coherent_path)
		return zdh_skip("no --coherent device given (the machine has no SPM range)");
	return stress(coherent_path);
}

/*
 * HMM_DMIRROR_RELEASE removes the device's memory while pages sit on it. The
 * test_hmm_uapi.h of 6.1, 6.12 and mainline has the ioctl; built against a tree whose
 * header lacks it, the case says so instead of failing to build.
 */
#ifndef HMM_DMIRROR_RELEASE
static int case_device_release_with_pages(void)
{
	return zdh_skip("this tree's lib/test_hmm_uapi.h has no HMM_DMIRROR_RELEASE");
}
#else
static int case_device_release_with_pages(void)
{
	const unsigned long npages = 64;
	unsigned long cpages = 0;
	char *p;
	int fd, rc;

	if (!private_path)
		return zdh_skip("no --private device given");
	fd = zdh_open_dmirror(private_path);
	ZDH_CHECK(fd >= 0, "open %s", private_path);
	p = zdh_anon_filled(npages * ZDH_PAGE, OWNER_BASE, 1);
	ZDH_CHECK(p != NULL, "memory");
	rc = zdh_hmm_migrate_to_dev(fd, p, npages, &cpages);
	ZDH_CHECK(rc == 0 && cpages == npages, "migrate: rc %d, %lu pages", rc, cpages);
	ZDH_CHECK(zdh_hmm_pages_on_device(fd, p, npages) == npages, "pages are not on the device");
	rc = zdh_hmm_cmd(fd, HMM_DMIRROR_RELEASE, p, NULL, npages, NULL);
	ZDH_CHECK(rc == 0, "HMM_DMIRROR_RELEASE: %s", strerror(-rc));
	ZDH_CHECK(zdh_hmm_pages_on_device(fd, p, npages) == 0, "pages still on the removed device memory");
	for (unsigned long i = 0; i < npages; i++)
		ZDH_CHECK(zdh_check_page(p + i * ZDH_PAGE, OWNER_BASE, 1, i) == 0,
			  "page %lu lost its data when the device memory was removed", i);
	/* The device allocates new memory on the next migration. */
	rc = zdh_hmm_migrate_to_dev(fd, p, npages, &cpages);
	ZDH_CHECK(rc == 0 && cpages == npages, "migrate after release: rc %d, %lu pages", rc, cpages);
	for (unsigned long i = 0; i < npages; i++)
		ZDH_CHECK(zdh_check_page(p + i * ZDH_PAGE, OWNER_BASE, 1, i) == 0, "page %lu after second migration", i);
	munmap(p, npages * ZDH_PAGE);
	close(fd);
	return ZDH_PASS;
}
#endif /* HMM_DMIRROR_RELEASE */

/*
 * Open, migrate a few pages to the device, close, for --duration seconds (at most 10):
 * every close
 * releases the mirror (dmirror_fops_release evicts its device pages back to the system
 * and frees the mirror), so the release path runs hundreds of times with pages on the
 * device. The data must survive every round. A sampling detector (KFENCE) needs that many
 * mirrors to catch one misused after it was freed.
 */
static int case_release_churn(void)
{
	const unsigned long npages = 4;
	unsigned long cpages, rounds = 0;
	double seconds = duration_s < 10 ? duration_s : 10, deadline = zdh_now() + seconds;
	char *p;

	if (!private_path)
		return zdh_skip("no --private device given");
	p = zdh_anon_filled(npages * ZDH_PAGE, OWNER_BASE + 3, 1);
	ZDH_CHECK(p != NULL, "memory");
	do {
		int fd = zdh_open_dmirror(private_path), rc;

		ZDH_CHECK(fd >= 0, "open %s (round %lu)", private_path, rounds);
		cpages = 0;
		rc = zdh_hmm_migrate_to_dev(fd, p, npages, &cpages);
		ZDH_CHECK(rc == 0 && cpages == npages, "migrate in round %lu: rc %d, %lu pages", rounds, rc, cpages);
		close(fd); /* release: the pages come back to system memory */
		for (unsigned long i = 0; i < npages; i++)
			ZDH_CHECK(zdh_check_page(p + i * ZDH_PAGE, OWNER_BASE + 3, 1, i) == 0,
				  "page %lu lost its data when the mirror was released in round %lu", i, rounds);
		rounds++;
	} while (zdh_now() < deadline);
	zdh_diag("%lu open/migrate/close rounds in %.0f s", rounds, seconds);
	munmap(p, npages * ZDH_PAGE);
	return ZDH_PASS;
}

static long delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags);
}

static int module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* While a process has pages on the device (and the device open), unloading must be refused. */
static int case_rmmod_refused_while_migrated(void)
{
	const unsigned long npages = 64;
	unsigned long cpages = 0;
	long rc;
	char *p;
	int fd, e;

	if (!private_path)
		return zdh_skip("no --private device given");
	ZDH_CHECK(module_loaded(module_name), "%s is not loaded", module_name);
	fd = zdh_open_dmirror(private_path);
	ZDH_CHECK(fd >= 0, "open %s", private_path);
	p = zdh_anon_filled(npages * ZDH_PAGE, OWNER_BASE + 1, 1);
	ZDH_CHECK(p != NULL, "memory");
	ZDH_CHECK(zdh_hmm_migrate_to_dev(fd, p, npages, &cpages) == 0 && cpages == npages, "migrate");
	rc = delete_module(module_name, O_NONBLOCK);
	e = errno;
	ZDH_CHECK(rc != 0, "%s was unloaded while its device was open with pages on it", module_name);
	ZDH_CHECK(e == EWOULDBLOCK || e == EBUSY, "delete_module failed with %s instead of EWOULDBLOCK/EBUSY",
		  strerror(e));
	ZDH_CHECK(zdh_hmm_pages_on_device(fd, p, npages) == npages, "the refused unload moved pages");
	for (unsigned long i = 0; i < npages; i++)
		ZDH_CHECK(zdh_check_page(p + i * ZDH_PAGE, OWNER_BASE + 1, 1, i) == 0, "page %lu", i);
	munmap(p, npages * ZDH_PAGE);
	close(fd);
	return ZDH_PASS;
}

/*
 * A child migrates its memory to the device and closes the device (test_hmm evicts the
 * device memory then); the module is unloaded while the child lives on; the child's pages
 * must then be plain system memory with their data. A page reference leaked anywhere on
 * the migration paths makes the unload wait forever (memunmap_pages).
 */
static int case_rmmod_with_migrated_process(void)
{
	const unsigned long npages = 256;
	int ready[2], go[2], status;
	pid_t child, unloader;
	char c;

	if (!private_path)
		return zdh_skip("no --private device given");
	ZDH_CHECK(module_loaded(module_name), "%s is not loaded", module_name);
	ZDH_CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipes");
	fflush(stdout);
	child = fork();
	ZDH_CHECK(child >= 0, "fork");
	if (child == 0) {
		unsigned long cpages = 0;
		char *p = zdh_anon_filled(npages * ZDH_PAGE, OWNER_BASE + 2, 1);
		int fd = zdh_open_dmirror(private_path);

		if (!p || fd < 0 || zdh_hmm_migrate_to_dev(fd, p, npages, &cpages) != 0 || cpages != npages ||
		    zdh_hmm_pages_on_device(fd, p, npages) != npages)
			_exit(2);
		close(fd); /* release: test_hmm evicts its memory back to the system */
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		for (unsigned long i = 0; i < npages; i++)
			if (zdh_check_page(p + i * ZDH_PAGE, OWNER_BASE + 2, 1, i))
				_exit(3);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	ZDH_CHECK(read(ready[0], &c, 1) == 1, "the child could not migrate its pages (status of child follows)");
	unloader = fork();
	ZDH_CHECK(unloader >= 0, "fork");
	if (unloader == 0)
		_exit(delete_module(module_name, O_NONBLOCK) == 0 ? 0 : errno);
	if (!zdh_wait_child(unloader, hang_timeout_s, &status)) {
		zdh_diag("HANG: unloading %s did not finish within %.0f s", module_name, hang_timeout_s);
		zdh_dump_process(unloader);
		kill(child, SIGKILL);
		return ZDH_FAIL;
	}
	ZDH_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "unloading %s failed: %s", module_name,
		  WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "killed");
	ZDH_CHECK(!module_loaded(module_name), "%s is still loaded", module_name);
	ZDH_CHECK(write(go[1], "g", 1) == 1, "signal child");
	ZDH_CHECK(zdh_wait_child(child, hang_timeout_s, &status), "the child did not finish after the unload");
	ZDH_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "after the unload the child's memory is wrong (status %#x: 3 = other data, signal = crash)", status);
	return ZDH_PASS;
}

/*
 * The teardown cases wait at most a few --hang-timeout periods in turn (an unload, a
 * child, a worker), so their limits follow it: 4 and 6 of them (120 and 180 s at the
 * default 30 s). A suite that wants a quick verdict on a hang lowers --hang-timeout.
 */
static struct zdh_case cases[] = {
	{ "concurrent_private", case_concurrent_private, 600 },
	{ "concurrent_coherent", case_concurrent_coherent, 600 },
	{ "device_release_with_pages", case_device_release_with_pages, 4 },
	{ "release_churn", case_release_churn, 600 },
	{ "rmmod_refused_while_migrated", case_rmmod_refused_while_migrated, 4 },
	{ "rmmod_with_migrated_process", case_rmmod_with_migrated_process, 6 },
};

int main(int argc, char **argv)
{
	zdh_argc = argc;
	zdh_argv = argv;
	private_path = zdh_opt("private", NULL);
	coherent_path = zdh_opt("coherent", NULL);
	module_name = zdh_opt("module", "test_hmm");
	duration_s = (double)zdh_opt_long("duration", 10);
	hang_timeout_s = (double)zdh_opt_long("hang-timeout", 30);
	device_read = (int)zdh_opt_long("device-read", 0);
	/* The teardown cases' limits are in --hang-timeout periods (see cases[]). */
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		if (cases[c].fn == case_device_release_with_pages || cases[c].fn == case_rmmod_refused_while_migrated ||
		    cases[c].fn == case_rmmod_with_migrated_process)
			cases[c].timeout_s *= (unsigned int)hang_timeout_s;
	return zdh_run_cases(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
