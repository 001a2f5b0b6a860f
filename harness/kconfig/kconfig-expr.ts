/**
 * Kconfig dependency expressions: parse `A && (B || !C) && D = y` and evaluate them as
 * tristates (n=0, m=1, y=2) against a final .config. Pure.
 */
export type Expr =
  | { op: 'sym'; name: string }
  | { op: 'const'; value: string }
  | { op: 'not'; arg: Expr }
  | { op: 'and' | 'or'; left: Expr; right: Expr }
  | { op: '=' | '!=' | '<' | '<=' | '>' | '>='; left: Expr; right: Expr };

const TOKEN_RE = /\s*(&&|\|\||!=|<=|>=|[!()=<>]|"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.$-]+)/y;

export function parseExpr(text: string): Expr {
  const tokens: string[] = [];
  TOKEN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.length) {
    TOKEN_RE.lastIndex = pos;
    m = TOKEN_RE.exec(text);
    if (!m) break;
    tokens.push(m[1]!);
    pos = TOKEN_RE.lastIndex;
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  }
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const orExpr = (): Expr => {
    let left = andExpr();
    while (peek() === '||') {
      i++;
      left = { op: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): Expr => {
    let left = notExpr();
    while (peek() === '&&') {
      i++;
      left = { op: 'and', left, right: notExpr() };
    }
    return left;
  };
  const notExpr = (): Expr => {
    if (peek() === '!') {
      i++;
      return { op: 'not', arg: notExpr() };
    }
    return cmpExpr();
  };
  const cmpExpr = (): Expr => {
    const left = atom();
    const op = peek();
    if (op === '=' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=') {
      i++;
      return { op, left, right: atom() };
    }
    return left;
  };
  const atom = (): Expr => {
    const t = tokens[i++];
    if (t === undefined) return { op: 'const', value: 'n' };
    if (t === '(') {
      const e = orExpr();
      if (peek() === ')') i++;
      return e;
    }
    if (t.startsWith('"') || t.startsWith("'")) return { op: 'const', value: t.slice(1, -1) };
    if (t === 'y' || t === 'm' || t === 'n') return { op: 'const', value: t };
    if (/^[A-Z0-9_]+$/.test(t) && /[A-Z_]/.test(t)) return { op: 'sym', name: t };
    return { op: 'const', value: t };
  };
  return orExpr();
}

export type Lookup = (name: string) => string;

const TRI: Record<string, number> = { n: 0, m: 1, y: 2 };

function raw(e: Expr, get: Lookup): string {
  if (e.op === 'sym') return get(e.name);
  if (e.op === 'const') return e.value;
  return ['n', 'm', 'y'][evalExpr(e, get)]!;
}

/** Evaluates to 0 (n), 1 (m) or 2 (y). */
export function evalExpr(e: Expr, get: Lookup): number {
  switch (e.op) {
    case 'sym':
    case 'const':
      return TRI[raw(e, get)] ?? 0;
    case 'not':
      return 2 - evalExpr(e.arg, get);
    case 'and':
      return Math.min(evalExpr(e.left, get), evalExpr(e.right, get));
    case 'or':
      return Math.max(evalExpr(e.left, get), evalExpr(e.right, get));
    default: {
      const a = raw(e.left, get);
      const b = raw(e.right, get);
      const na = Number(a);
      const nb = Number(b);
      const numeric = a !== '' && b !== '' && !Number.isNaN(na) && !Number.isNaN(nb);
      const cmp = numeric ? Math.sign(na - nb) : a === b ? 0 : a < b ? -1 : 1;
      const ok =
        e.op === '='
          ? cmp === 0
          : e.op === '!='
            ? cmp !== 0
            : e.op === '<'
              ? cmp < 0
              : e.op === '<='
                ? cmp <= 0
                : e.op === '>'
                  ? cmp > 0
                  : cmp >= 0;
      return ok ? 2 : 0;
    }
  }
}

/** Renders an expression with each symbol's current value: `RUNTIME_TESTING_MENU (=n)`. */
export function renderWithValues(e: Expr, get: Lookup, top = true): string {
  switch (e.op) {
    case 'sym':
      return `${e.name} (=${get(e.name)})`;
    case 'const':
      return e.value;
    case 'not':
      return `!${renderWithValues(e.arg, get, false)}`;
    case 'and':
    case 'or': {
      const s = `${renderWithValues(e.left, get, false)} ${e.op === 'and' ? '&&' : '||'} ${renderWithValues(e.right, get, false)}`;
      return top ? s : `(${s})`;
    }
    default:
      return `${renderWithValues(e.left, get, false)} ${e.op} ${renderWithValues(e.right, get, false)}`;
  }
}

/** The conjuncts of an `&&` chain that evaluate below `need`: the unmet dependencies. */
export function unmetConjuncts(e: Expr, get: Lookup, need: number): Expr[] {
  if (e.op === 'and') return [...unmetConjuncts(e.left, get, need), ...unmetConjuncts(e.right, get, need)];
  return evalExpr(e, get) < need ? [e] : [];
}
