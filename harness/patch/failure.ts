/**
 * What went wrong when a patch did not apply, read from the output of `patch` or
 * `git am -3`: the file and hunk, so the error can name them. Pure.
 */
export interface PatchFailure {
  file?: string;
  hunk?: number;
  /** Line in the target file where the hunk was expected. */
  line?: number;
  reason: string;
}

export function parsePatchOutput(output: string): PatchFailure[] {
  const failures: PatchFailure[] = [];
  let current: string | undefined;
  let lastHeaderFile: string | undefined;
  // GNU patch prints "can't find file to patch" before quoting the diff header that names it.
  let awaitingName: PatchFailure | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    let m = /^(?:checking|patching) file '?([^']+?)'?$/.exec(line);
    if (m) {
      current = m[1];
      continue;
    }
    m = /^\|?(?:(?:---|\+\+\+) [ab]\/(\S+)|diff --git a\/(\S+) )/.exec(line);
    if (m) {
      lastHeaderFile = m[1] ?? m[2];
      if (awaitingName && awaitingName.file === undefined && lastHeaderFile)
        awaitingName.file = lastHeaderFile;
    }
    m = /^Hunk #(\d+) FAILED at (\d+)/.exec(line);
    if (m) {
      failures.push(
        withFile(current, { hunk: Number(m[1]), line: Number(m[2]), reason: 'hunk does not apply' }),
      );
      continue;
    }
    if (/^can't find file to patch/.test(line)) {
      awaitingName = { reason: 'file to patch does not exist in this tree' };
      failures.push(awaitingName);
      continue;
    }
    if (/Reversed \(or previously applied\) patch detected/.test(line)) {
      failures.push(withFile(current, { reason: 'patch is already applied (or reversed)' }));
      continue;
    }
    m = /^error: patch failed: (.+):(\d+)$/.exec(line);
    if (m) {
      failures.push({ file: m[1]!, line: Number(m[2]), reason: 'hunk does not apply' });
      continue;
    }
    m = /^error: (.+): (does not exist in index|No such file or directory)$/.exec(line);
    if (m) {
      failures.push({ file: m[1]!, reason: 'file to patch does not exist in this tree' });
      continue;
    }
    m = /^error: sha1 information is lacking or useless \((.+)\)\.?$/.exec(line);
    if (m) {
      failures.push({
        file: m[1]!,
        reason: 'hunk does not apply, and the patch has no index lines for a 3-way merge',
      });
      continue;
    }
    m = /^CONFLICT \([^)]*\): Merge conflict in (.+)$/.exec(line);
    if (m) {
      failures.push({ file: m[1]!, reason: '3-way merge conflict' });
      continue;
    }
    if (/^(?:patch: \*\*\*\* |error: )(?:Only garbage|corrupt patch|No valid patches)/.test(line)) {
      failures.push({ reason: 'not a valid patch (garbage or corrupt)' });
      continue;
    }
    if (/^patch: \*\*\*\* malformed patch at line (\d+)/.test(line)) {
      failures.push({ reason: line.replace(/^patch: \*\*\*\* /, '') });
    }
  }
  return dedupe(failures);
}

function withFile(file: string | undefined, f: PatchFailure): PatchFailure {
  return file === undefined ? f : { file, ...f };
}

function dedupe(failures: PatchFailure[]): PatchFailure[] {
  const seen = new Set<string>();
  return failures.filter((f) => {
    const key = `${f.file}|${f.hunk}|${f.line}|${f.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function describeFailure(f: PatchFailure): string {
  const where = [
    f.file,
    f.hunk === undefined ? undefined : `hunk #${f.hunk}`,
    f.line === undefined ? undefined : `at line ${f.line}`,
  ]
    .filter(Boolean)
    .join(', ');
  return where ? `${where}: ${f.reason}` : f.reason;
}
