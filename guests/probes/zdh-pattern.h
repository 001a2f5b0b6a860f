/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data pattern the probes write and check: pure functions over memory, shared by the
 * probes and tested on the host (guests/probes/tests/pattern-test.c).
 */
#ifndef ZDH_PATTERN_H
#define ZDH_PATTERN_H

#include <stdint.h>

#define ZDH_PAGE 4096UL

/*
 * The pattern: every 8-byte word says which file or region it belongs to, which
 * generation wrote it, its page and its word. A word from anywhere else is corruption.
 */
static inline uint64_t zdh_word(unsigned int owner, unsigned int gen, uint64_t page, unsigned int word)
{
	return ((uint64_t)(owner & 0xff) << 56) | ((uint64_t)(gen & 0xffffff) << 32) |
	       ((page & 0xfffff) << 9) | (word & 0x1ff);
}

static inline void zdh_fill_page(void *p, unsigned int owner, unsigned int gen, uint64_t page)
{
	uint64_t *w = p;

	for (unsigned int i = 0; i < ZDH_PAGE / 8; i++)
		w[i] = zdh_word(owner, gen, page, i);
}

/* 0 when the page holds the pattern of (owner, gen, page); else the first bad word + 1. */
static inline unsigned int zdh_check_page(const void *p, unsigned int owner, unsigned int gen, uint64_t page)
{
	const volatile uint64_t *w = p;

	for (unsigned int i = 0; i < ZDH_PAGE / 8; i++)
		if (w[i] != zdh_word(owner, gen, page, i))
			return i + 1;
	return 0;
}

static inline int zdh_page_is_zero(const void *p)
{
	const uint64_t *w = p;

	for (unsigned int i = 0; i < ZDH_PAGE / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

/* Reads the generation stored in a page's first word (valid only after a check). */
static inline unsigned int zdh_page_gen(const void *p)
{
	return (unsigned int)((*(const uint64_t *)p >> 32) & 0xffffff);
}

static inline unsigned int zdh_page_owner(const void *p)
{
	return (unsigned int)(*(const uint64_t *)p >> 56);
}

/* The word of (owner, page, word) in any generation. */
static inline int zdh_word_is_own(uint64_t v, unsigned int owner, uint64_t page, unsigned int word)
{
	return (v >> 56) == (owner & 0xff) && ((v >> 9) & 0xfffff) == (page & 0xfffff) && (v & 0x1ff) == word;
}

/*
 * A word that is part old, part new: written while a copy read it. Nothing makes a copy
 * of memory that changes under it atomic per word, so a concurrent copy (O_DIRECT from a
 * page the owner is rewriting) may see each byte old or new. Seen under TCG: a copied
 * page held zeros up to one word, then its own words, and that word had its low bytes 0
 * and its high bytes new (0xa100000d00000000 for page 1230 word 379, gen 13).
 * Accepted when every byte is 0 or its own byte (owner, page, word); the generation bytes
 * (32..55) may come from any pass. A word of another page or owner is not: some page,
 * word or owner byte differs from this one's and is not 0.
 */
static inline int zdh_word_is_torn(uint64_t v, unsigned int owner, uint64_t page, unsigned int word)
{
	const uint64_t own = zdh_word(owner, 0, page, word);

	for (unsigned int k = 0; k < 8; k++) {
		unsigned int b = (unsigned int)(v >> (8 * k)) & 0xff;

		if (k >= 4 && k <= 6)
			continue; /* generation */
		if (b != 0 && b != ((unsigned int)(own >> (8 * k)) & 0xff))
			return 0;
	}
	return 1;
}

/* Torn words a copied page may hold: a copy and a writer cross inside a page once or twice. */
#define ZDH_TORN_MAX_PER_PAGE 2

/*
 * A page copied while its source was being truncated and refilled: every word is zero (a
 * hole), its own word of any generation, or a torn mix of the two, and at most
 * ZDH_TORN_MAX_PER_PAGE are torn (a stale copy of a nearby page can pass the byte test
 * for many of its words, never for all of them nor for only two). Returns 0, or the first
 * bad word + 1 (the first torn one when there are too many); adds the torn words to *torn.
 */
static inline unsigned int zdh_check_copied_page(const void *p, unsigned int owner, uint64_t page,
						 unsigned long *torn)
{
	const uint64_t *w = p;
	unsigned int n_torn = 0, first_torn = 0;

	for (unsigned int i = 0; i < ZDH_PAGE / 8; i++) {
		uint64_t v = w[i];

		if (v == 0)
			continue;
		if (zdh_word_is_own(v, owner, page, i))
			continue;
		if (!zdh_word_is_torn(v, owner, page, i))
			return i + 1;
		if (!n_torn++)
			first_torn = i;
		if (n_torn > ZDH_TORN_MAX_PER_PAGE)
			return first_torn + 1;
	}
	*torn += n_torn;
	return 0;
}

#endif /* ZDH_PATTERN_H */
