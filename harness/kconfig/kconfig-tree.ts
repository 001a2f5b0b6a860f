import { type Expr, parseExpr } from './kconfig-expr.ts';

/**
 * A parse of the Kconfig language good enough to say why an option was dropped: every
 * definition of every symbol with its dependencies (its own `depends on`, plus those of
 * the enclosing if/menu/choice blocks), whether it has a prompt, and who selects it.
 * Pure: files come through `read`.
 */
export interface SymbolDefinition {
  name: string;
  file: string;
  line: number;
  /** Conjuncts that must all hold for the symbol to be set. */
  deps: Expr[];
  /** A user-visible prompt exists (so a fragment can set it). */
  hasPrompt: boolean;
  /** The choice block this symbol is a member of (an id unique within the db). */
  choice: number | undefined;
}

export interface Selector {
  by: string;
  /** The selector's own deps plus the select's `if`. */
  cond: Expr[];
}

export interface KconfigDb {
  definitions: Map<string, SymbolDefinition[]>;
  selectedBy: Map<string, Selector[]>;
  /** Choice id → its member symbols. */
  choices: Map<number, string[]>;
  files: number;
}

interface Block {
  kind: 'if' | 'menu' | 'choice';
  deps: Expr[];
  id?: number;
}

export function parseKconfigTree(
  read: (path: string) => string | undefined,
  entry = 'Kconfig',
  vars: Record<string, string> = { SRCARCH: 'x86', ARCH: 'x86' },
): KconfigDb {
  const db: KconfigDb = { definitions: new Map(), selectedBy: new Map(), choices: new Map(), files: 0 };
  let choiceCount = 0;
  const seen = new Set<string>();
  const blocks: Block[] = [];
  const expand = (s: string): string => s.replace(/\$\((\w+)\)/g, (_, v: string) => vars[v] ?? '');

  const parseFile = (path: string): void => {
    if (seen.has(path)) return;
    const text = read(path);
    if (text === undefined) return;
    seen.add(path);
    db.files++;
    const lines = joinContinuations(text.split('\n'));
    let current: SymbolDefinition | undefined;
    let pendingBlock: Block | undefined;
    let helpIndent: number | undefined;
    let inHelp = false;
    for (let i = 0; i < lines.length; i++) {
      const rawLine = lines[i]!;
      if (inHelp) {
        if (rawLine.trim() === '') continue;
        const indent = indentOf(rawLine);
        if (helpIndent === undefined) helpIndent = indent;
        if (indent >= helpIndent) continue;
        inHelp = false;
      }
      const line = stripComment(rawLine).trim();
      if (line === '') continue;
      const [kw = '', ...restWords] = line.split(/\s+/);
      const rest = line.slice(kw.length).trim();
      switch (kw) {
        case 'config':
        case 'menuconfig': {
          pendingBlock = undefined;
          current = defineSymbol(db, blocks, restWords[0] ?? '', path, i + 1);
          break;
        }
        case 'menu':
        case 'choice':
          current = undefined;
          pendingBlock = kw === 'choice' ? { kind: kw, deps: [], id: ++choiceCount } : { kind: kw, deps: [] };
          if (kw === 'choice') db.choices.set(choiceCount, []);
          blocks.push(pendingBlock);
          break;
        case 'if':
          current = undefined;
          pendingBlock = undefined;
          blocks.push({ kind: 'if', deps: [parseExpr(rest)] });
          break;
        case 'endif':
        case 'endmenu':
        case 'endchoice':
          current = undefined;
          pendingBlock = undefined;
          blocks.pop();
          break;
        case 'comment':
        case 'mainmenu':
          current = undefined;
          pendingBlock = undefined;
          break;
        case 'source':
        case 'rsource':
        case 'osource':
        case 'orsource': {
          current = undefined;
          pendingBlock = undefined;
          const target = expand(unquote(rest));
          const resolved = kw.startsWith('r') || kw === 'orsource' ? joinPath(dirOf(path), target) : target;
          for (const p of expandGlob(resolved)) parseFile(p);
          break;
        }
        case 'depends':
          if (restWords[0] === 'on') {
            const expr = parseExpr(rest.replace(/^on\s+/, ''));
            if (current) current.deps.push(expr);
            else if (pendingBlock) pendingBlock.deps.push(expr);
          }
          break;
        case 'bool':
        case 'tristate':
        case 'string':
        case 'int':
        case 'hex':
        case 'prompt':
        case 'boolean':
          if (current && /^"|^'/.test(rest)) current.hasPrompt = true;
          break;
        case 'select':
          if (current) addSelect(db, current, restWords);
          break;
        case 'help':
        case '---help---':
          inHelp = true;
          helpIndent = undefined;
          break;
        default:
          break;
      }
    }
  };
  // The expandGlob hook: Kconfig allows globs in source; the reader decides what exists.
  let expandGlob = (p: string): string[] => [p];
  const withGlob = read as ((path: string) => string | undefined) & { glob?: (p: string) => string[] };
  if (withGlob.glob) expandGlob = withGlob.glob;
  parseFile(entry);
  return db;
}

/** A `config NAME` entry: it depends on every enclosing block, and belongs to the innermost choice. */
function defineSymbol(
  db: KconfigDb,
  blocks: readonly Block[],
  name: string,
  file: string,
  line: number,
): SymbolDefinition {
  const def: SymbolDefinition = {
    name,
    file,
    line,
    deps: blocks.flatMap((b) => b.deps),
    hasPrompt: false,
    choice: innermostChoice(blocks),
  };
  if (def.choice !== undefined) db.choices.get(def.choice)?.push(name);
  const list = db.definitions.get(name) ?? [];
  list.push(def);
  db.definitions.set(name, list);
  return def;
}

/** `select TARGET [if EXPR]` in a symbol's entry: TARGET is selected under the symbol's own dependencies (and EXPR). */
function addSelect(db: KconfigDb, by: SymbolDefinition, words: readonly string[]): void {
  const target = words[0] ?? '';
  const ifIdx = words.indexOf('if');
  const cond = [...by.deps];
  if (ifIdx > 0) cond.push(parseExpr(words.slice(ifIdx + 1).join(' ')));
  const list = db.selectedBy.get(target) ?? [];
  list.push({ by: by.name, cond });
  db.selectedBy.set(target, list);
}

function innermostChoice(blocks: readonly Block[]): number | undefined {
  for (let i = blocks.length - 1; i >= 0; i--) if (blocks[i]!.kind === 'choice') return blocks[i]!.id;
  return undefined;
}

function joinContinuations(lines: string[]): string[] {
  const out: string[] = [];
  let acc: string | undefined;
  for (const l of lines) {
    if (acc !== undefined) {
      acc += ` ${l.trim()}`;
    } else {
      acc = l;
    }
    if (acc.endsWith('\\')) {
      acc = acc.slice(0, -1);
      out.push(''); // keep line numbers aligned
      continue;
    }
    out.push(acc);
    acc = undefined;
  }
  if (acc !== undefined) out.push(acc);
  return out;
}

function indentOf(line: string): number {
  let n = 0;
  for (const ch of line) {
    if (ch === ' ') n++;
    else if (ch === '\t') n = (Math.floor(n / 8) + 1) * 8;
    else break;
  }
  return n;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

function unquote(s: string): string {
  const t = s.trim();
  return /^".*"$|^'.*'$/.test(t) ? t.slice(1, -1) : t;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function joinPath(dir: string, rel: string): string {
  const parts = (dir ? `${dir}/${rel}` : rel).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}
