/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_hmm helpers for the probes: the ioctls of lib/test_hmm_uapi.h of the kernel
 * tree under test (built with -I <ksrc>).
 *
 * What the header declares: 6.1 and 6.12 have the same one (READ .. RELEASE, 0x00-0x07,
 * the DEV_PRIVATE/DEV_COHERENT snapshot bits, struct hmm_dmirror_cmd of five __u64);
 * mainline adds HMM_DMIRROR_FLAGS (0x08, HMM_DMIRROR_FLAG_FAIL_ALLOC), unused here. A
 * probe using an ioctl that not every tree has checks for its macro (#ifdef) and skips
 * the case without it, e.g. HMM_DMIRROR_RELEASE in zdh-hmm-stress.
 */
#ifndef ZDH_HMM_H
#define ZDH_HMM_H

#include "zdh-probe.h"

#include <lib/test_hmm_uapi.h>
#include <sys/ioctl.h>

/* Runs one dmirror command over [addr, addr + npages pages); -errno on failure. */
static inline int zdh_hmm_cmd(int fd, unsigned long request, void *addr, void *mirror, unsigned long npages,
			      unsigned long *cpages)
{
	struct hmm_dmirror_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.addr = (uintptr_t)addr;
	cmd.ptr = (uintptr_t)mirror;
	cmd.npages = npages;
	for (;;) {
		if (ioctl(fd, request, &cmd) == 0)
			break;
		if (errno == EINTR)
			continue;
		return -errno;
	}
	if (cpages)
		*cpages = cmd.cpages;
	return 0;
}

/*
 * Migrates to the device. test_hmm copies what the device then holds to `mirror`
 * (npages pages); with mirror NULL a buffer is used and dropped. Note: 6.1's test_hmm
 * returns -ENOENT when a page of the range is already on the device but no longer in
 * its page table (e.g. after an invalidation).
 */
static inline int zdh_hmm_migrate_to_dev(int fd, void *addr, unsigned long npages, unsigned long *cpages)
{
	void *mirror = malloc(npages * ZDH_PAGE);
	int rc;

	if (!mirror)
		return -ENOMEM;
	rc = zdh_hmm_cmd(fd, HMM_DMIRROR_MIGRATE_TO_DEV, addr, mirror, npages, cpages);
	free(mirror);
	return rc;
}

/* Per-page protection bytes (HMM_DMIRROR_PROT_*) as the device sees them. */
static inline int zdh_hmm_snapshot(int fd, void *addr, unsigned char *prot, unsigned long npages)
{
	return zdh_hmm_cmd(fd, HMM_DMIRROR_SNAPSHOT, addr, prot, npages, NULL);
}

/* How many of npages the snapshot shows as on this device (private or coherent). */
static inline unsigned long zdh_hmm_pages_on_device(int fd, void *addr, unsigned long npages)
{
	unsigned char *prot = calloc(npages, 1);
	unsigned long n = 0;

	if (!prot)
		return 0;
	if (zdh_hmm_snapshot(fd, addr, prot, npages) == 0)
		for (unsigned long i = 0; i < npages; i++) {
			unsigned char kind = prot[i] & 0xf0;

			if (kind == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL || kind == HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL)
				n++;
		}
	free(prot);
	return n;
}

/* Anonymous private memory, filled with the pattern of (owner, gen). */
static inline char *zdh_anon_filled(size_t len, unsigned int owner, unsigned int gen)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < len / ZDH_PAGE; i++)
		zdh_fill_page(p + i * ZDH_PAGE, owner, gen, i);
	return p;
}

static inline int zdh_open_dmirror(const char *path)
{
	return open(path, O_RDWR | O_CLOEXEC);
}

#endif /* ZDH_HMM_H */
