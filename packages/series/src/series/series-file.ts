import { SeriesFailure } from '../lib/errors.js';

/** One patch named in the series file. */
export interface SeriesEntry {
  /** Path relative to the patches directory, e.g. `lockd-kthread/0001-....patch`. */
  name: string;
  /** 1-based line number in the series file. */
  line: number;
}

/** A parsed series file: its lines (kept for rewriting) and its entries in order. */
export interface SeriesFile {
  lines: string[];
  entries: SeriesEntry[];
}

/**
 * Why a relative path inside the workspace is unacceptable, or null when it is fine. Shared by
 * series entries and by the paths a patch touches: no absolute paths, no `..` (the path would
 * leave its directory), no empty or `.` components (ambiguous spelling of another path), and
 * nothing under `.git` (that would rewrite the repository, not the tree).
 */
export function relativePathProblem(path: string): string | null {
  if (path === '') return 'is empty';
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return 'is absolute';
  const parts = path.split(/[\\/]/);
  if (parts.includes('..')) return "contains '..'";
  if (parts.some((p) => p === '' || p === '.')) return "has an empty or '.' component";
  if (parts.some((p) => p.toLowerCase() === '.git')) return "is inside '.git'";
  return null;
}

/**
 * Parse a quilt-style series file. Blank lines and lines whose first non-blank character is
 * `#` are comments; an entry is one patch path, optionally followed by `-p1` (the only strip
 * level git format-patch files use) and a `#` comment. Every problem is reported with its line
 * number; the first is the error's message and the rest are its details.
 */
export function parseSeries(text: string, file = 'patches/series'): SeriesFile {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const entries: SeriesEntry[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const body = raw.replace(/\r$/, '');
    const trimmed = body.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const hash = trimmed.search(/\s#/);
    const tokens = (hash < 0 ? trimmed : trimmed.slice(0, hash)).split(/\s+/);
    const [name, ...rest] = tokens as [string, ...string[]];
    const bad = (why: string) => problems.push(`${file}:${line}: ${why}`);
    if (rest.length > 1 || (rest.length === 1 && rest[0] !== '-p1')) {
      bad(`malformed entry '${trimmed}': expected a patch path, optionally followed by -p1`);
      return;
    }
    const problem = relativePathProblem(name);
    if (problem !== null) {
      bad(`malformed entry '${name}': the path ${problem}`);
      return;
    }
    if (!name.endsWith('.patch')) {
      bad(`malformed entry '${name}': patch file names end in .patch`);
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      bad(`duplicate entry '${name}' (first listed on line ${first})`);
      return;
    }
    seen.set(name, line);
    entries.push({ name, line });
  });
  if (problems.length > 0) throw new SeriesFailure(problems[0]!, problems.slice(1));
  return { lines, entries };
}

/**
 * The text of a series file listing `names`, keeping the comments of `old`. When the number of
 * entries is unchanged each entry line is replaced in place, so every comment stays where it
 * was. Otherwise the comment block before the first entry and the lines after the last entry
 * are kept and comments between entries are dropped (reported in `dropped`).
 */
export function renderSeries(
  old: SeriesFile | null,
  names: readonly string[],
): { text: string; dropped: number } {
  const join = (lines: string[]) => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  if (old === null) return { text: join([...names]), dropped: 0 };
  if (old.entries.length === names.length) {
    const lines = [...old.lines];
    old.entries.forEach((e, i) => {
      // An unchanged entry keeps its line as written (a `-p1` or trailing comment stays).
      if (names[i] !== e.name) lines[e.line - 1] = names[i]!;
    });
    return { text: join(lines), dropped: 0 };
  }
  const firstLine = old.entries[0]?.line ?? old.lines.length + 1;
  const lastLine = old.entries.at(-1)?.line ?? old.lines.length;
  const head = old.lines.slice(0, firstLine - 1);
  const tail = old.entries.length === 0 ? [] : old.lines.slice(lastLine);
  const between = old.entries.length === 0 ? [] : old.lines.slice(firstLine - 1, lastLine);
  const dropped = between.filter((l) => l.trim() !== '' && l.trim().startsWith('#')).length;
  return { text: join([...head, ...names, ...tail]), dropped };
}
