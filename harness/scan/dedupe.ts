/**
 * Within one run (one log), findings with the same title are one bug: keep one finding
 * per title with the number of occurrences. The kept finding is the first occurrence that
 * is not corrupted (a complete report says more), else the first one; it is refcount-related
 * when any occurrence is. Order: by first appearance of the title in the log.
 */
import type { Finding } from './types.ts';

export function dedupe(findings: readonly Finding[]): Finding[] {
  const byTitle = new Map<string, { first: Finding; best: Finding; count: number; refcount: boolean }>();
  for (const f of findings) {
    const seen = byTitle.get(f.title);
    if (seen === undefined) {
      byTitle.set(f.title, { first: f, best: f, count: f.count, refcount: f.refcount });
      continue;
    }
    seen.count += f.count;
    seen.refcount ||= f.refcount;
    if (seen.best.corrupted && !f.corrupted) seen.best = f;
  }
  const out: Finding[] = [];
  for (const { first, best, count, refcount } of byTitle.values()) {
    out.push({
      ...best,
      refcount,
      count,
      pageKind: best.pageKind ?? first.pageKind,
      page: best.page ?? first.page,
    });
  }
  return out;
}
