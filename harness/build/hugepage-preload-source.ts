/**
 * The C source of hugepage-preload.so, an LD_PRELOAD library for kernel builds
 * (host-tuning.ts builds it with the host's gcc into the cache). It is a string here so that
 * it ships in dist/ with the rest of the harness.
 */
// biome-ignore lint/complexity/noUselessStringRaw: C source; any escape in it must reach the compiler as written
export const HUGEPAGE_PRELOAD_C = String.raw`// SPDX-License-Identifier: GPL-2.0-only
/*
 * hugepage-preload.so: preloaded into a kernel build when the host's transparent huge
 * pages are in "madvise" mode. Every anonymous mapping of 1 MiB or more that a build
 * process makes with mmap() (cc1's garbage-collected heap, objtool's tables) is advised
 * MADV_HUGEPAGE, so it is faulted in 2 MiB at a time instead of 4 KiB. It changes how fast
 * the compiler runs, never what it produces.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

#define HUGE_ENOUGH ((size_t)1 << 20)

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

static void advise(void *p, size_t len, int flags)
{
	int saved = errno;

	if (p != MAP_FAILED && (flags & MAP_ANONYMOUS) && len >= HUGE_ENOUGH)
		madvise(p, len, MADV_HUGEPAGE);
	errno = saved;
}

static void *call(mmap_fn *real, const char *name, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	if (!*real)
		*real = (mmap_fn)dlsym(RTLD_NEXT, name);
	if (!*real) {
		errno = ENOSYS;
		return MAP_FAILED;
	}
	p = (*real)(addr, len, prot, flags, fd, off);
	advise(p, len, flags);
	return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static mmap_fn real;

	return call(&real, "mmap", addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static mmap_fn real;

	return call(&real, "mmap64", addr, len, prot, flags, fd, off);
}
`;
