// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of zdh-pattern.h: prints KTAP, exits 1 when a check fails.
 * Built and run by test/unit/workloads/pattern.test.ts.
 */
#include <stdio.h>
#include <string.h>

#include "../zdh-pattern.h"

#define OWNER 0xa1

static int n, failed;

static void check(int ok, const char *what)
{
	n++;
	if (!ok)
		failed++;
	printf("%sok %d %s\n", ok ? "" : "not ", n, what);
}

static uint64_t page_buf[ZDH_PAGE / 8];

int main(void)
{
	unsigned long torn = 0;

	printf("KTAP version 1\n1..10\n");

	/* Torn words seen in real runs (zdh-dax truncate_vs_odirect under TCG). */
	check(zdh_word_is_torn(0xa100000d00000000ULL, OWNER, 1230, 379), "low bytes 0, owner and gen new: torn");
	check(zdh_word_is_torn(0xa1000009000f0000ULL, OWNER, 1995, 17), "two low bytes 0: torn");
	check(zdh_word_is_torn(0xa100000d00080100ULL, OWNER, 1024, 452), "lowest byte 0: torn");

	/* Words from elsewhere are not. */
	check(!zdh_word_is_torn(zdh_word(OWNER, 3, 1025, 7), OWNER, 1024, 7), "the same word of the next page: not torn");
	check(!zdh_word_is_torn(zdh_word(OWNER, 3, 1024, 8), OWNER, 1024, 7), "another word of the page: not torn");
	check(!zdh_word_is_torn(zdh_word(0xb2, 3, 1024, 7), OWNER, 1024, 7), "another owner: not torn");

	/* Pages: zeros, then one torn word, then own words of two generations: consistent. */
	memset(page_buf, 0, sizeof(page_buf));
	for (unsigned int i = 380; i < ZDH_PAGE / 8; i++)
		page_buf[i] = zdh_word(OWNER, i & 1 ? 13 : 12, 1230, i);
	page_buf[379] = 0xa100000d00000000ULL;
	check(zdh_check_copied_page(page_buf, OWNER, 1230, &torn) == 0 && torn == 1,
	      "zeros, one torn word, own words: consistent, one torn word counted");

	/* A whole page of another page's data (a reused block): the first word is bad. */
	zdh_fill_page(page_buf, OWNER, 5, 1536);
	torn = 0;
	check(zdh_check_copied_page(page_buf, OWNER, 1537, &torn) == 1 && torn == 0,
	      "the previous page's data (word 0 passes the byte test, more than two words do): word 0 is bad");

	/* One foreign word in the middle of own words. */
	zdh_fill_page(page_buf, OWNER, 5, 1537);
	page_buf[300] = zdh_word(OWNER, 5, 1920, 0);
	torn = 0;
	check(zdh_check_copied_page(page_buf, OWNER, 1537, &torn) == 301, "one word of another page: word 300 is bad");

	/* Three torn words in one page are too many. */
	zdh_fill_page(page_buf, OWNER, 5, 1230);
	page_buf[10] = zdh_word(OWNER, 6, 1230, 10) & 0xffffffffffffff00ULL;
	page_buf[20] = zdh_word(OWNER, 6, 1230, 20) & 0xffffffffffffff00ULL;
	page_buf[30] = zdh_word(OWNER, 6, 1230, 30) & 0xffffffffffffff00ULL;
	torn = 0;
	check(zdh_check_copied_page(page_buf, OWNER, 1230, &torn) == 11, "three torn words in a page: the first is bad");

	printf("# Totals: pass:%d fail:%d\n", n - failed, failed);
	return failed ? 1 : 0;
}
