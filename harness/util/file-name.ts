/**
 * A name (a cell id, a kernel name, a step name, a host name) as one path component: every
 * character but letters, digits and `_ . + -` becomes `_`. No `/`, and no `:` either, which
 * CI artifact stores refuse.
 */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.+-]/g, '_');
}
