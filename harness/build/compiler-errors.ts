/**
 * The lines of a failed kernel build worth putting in the error message: the compiler's
 * (and linker's) first `file:line[:col]: error: ...` lines, in order, without repeats.
 */
const COMPILER_ERROR = /^(\S+?):(\d+)(?::(\d+))?: (?:fatal )?error: (.*)$/;
const OTHER_ERROR =
  /^(?:ld|ld\.bfd|ERROR: modpost|make\[\d+\]: \*\*\*|\S+\.o: in function|.*undefined reference to).*/;

export function firstCompilerErrors(log: string, max = 5): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let fallback: string[] = [];
  for (const line of log.split('\n')) {
    const clean = line.replace(/\r$/, '');
    if (COMPILER_ERROR.test(clean)) {
      if (!seen.has(clean)) {
        seen.add(clean);
        out.push(clean);
        if (out.length >= max) break;
      }
    } else if (OTHER_ERROR.test(clean) && !/Error \d+$|Waiting for unfinished jobs/.test(clean)) {
      if (fallback.length < max) fallback = [...fallback, clean];
    }
  }
  return out.length > 0 ? out : fallback;
}
