/**
 * The .config / fragment text format: `CONFIG_FOO=y|m|"str"|123|0x1f` and
 * `# CONFIG_FOO is not set` (value 'n'). Pure functions over text.
 */
export interface ConfigEntry {
  /** Symbol name without the CONFIG_ prefix. */
  name: string;
  /** 'y', 'm', 'n', a number, or a string including its quotes. */
  value: string;
  /** 1-based line in the source text. */
  line: number;
}

export interface ParseProblem {
  line: number;
  text: string;
  message: string;
}

const SET_RE = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const UNSET_RE = /^#\s*CONFIG_([A-Za-z0-9_]+) is not set\s*$/;
const VALUE_RE = /^(?:[ymn]|-?\d+|0x[0-9a-fA-F]+|"(?:[^"\\]|\\.)*")$/;

export function parseConfigText(text: string): { entries: ConfigEntry[]; problems: ParseProblem[] } {
  const entries: ConfigEntry[] = [];
  const problems: ParseProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') return;
    const unset = UNSET_RE.exec(line);
    if (unset) {
      entries.push({ name: unset[1]!, value: 'n', line: i + 1 });
      return;
    }
    if (line.startsWith('#')) return;
    const set = SET_RE.exec(line);
    if (!set) {
      problems.push({
        line: i + 1,
        text: line,
        message: 'expected CONFIG_NAME=value or "# CONFIG_NAME is not set"',
      });
      return;
    }
    const value = set[2]!.trim();
    if (!VALUE_RE.test(value)) {
      problems.push({
        line: i + 1,
        text: line,
        message: `bad value "${value}": use y, m, n, a number or a "quoted string"`,
      });
      return;
    }
    entries.push({ name: set[1]!, value, line: i + 1 });
  });
  return { entries, problems };
}

/** A final .config as a map name → value; options absent or "is not set" read as 'n'. */
export type ConfigMap = ReadonlyMap<string, string>;

export function parseDotConfig(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of parseConfigText(text).entries) map.set(e.name, e.value);
  return map;
}

export function optionValue(config: ConfigMap, name: string): string {
  return config.get(name) ?? 'n';
}

/** Renders entries as .config lines, in the order given. */
export function renderConfig(entries: Iterable<{ name: string; value: string }>): string {
  const out: string[] = [];
  for (const { name, value } of entries) {
    out.push(value === 'n' ? `# CONFIG_${name} is not set` : `CONFIG_${name}=${value}`);
  }
  return `${out.join('\n')}\n`;
}
