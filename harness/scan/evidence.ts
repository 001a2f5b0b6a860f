/**
 * What a report shows beyond its header, gathered once so the refcount and page-kind
 * classifiers read the same facts.
 */
import type { Header } from './headers.ts';
import type { Category, Frame, PageInfo } from './types.ts';

export interface Evidence {
  category: Category;
  header: Header;
  /** Report lines' message text, prelude included. */
  texts: readonly string[];
  /** Every reliable frame of every stack in the report, RIP first. */
  frames: readonly Frame[];
  page: PageInfo | null;
  /** The page dump said `device pfn:` (a device-private folio). */
  devicePfn: boolean;
  /** `VM_BUG_ON_PAGE(…)` / `VM_WARN_ON_ONCE_FOLIO(…)` from `page dumped because:`, or ''. */
  vmCheck: string;
  /** The WARN message (refcount_t / percpu ref), or ''. */
  message: string;
}

/** `fs/dax.c:404` → `fs/dax.c`. */
export const siteFile = (site: string): string => {
  const colon = site.indexOf(':');
  return colon === -1 ? site : site.slice(0, colon);
};
