import { SeriesFailure } from '../lib/errors.js';

/** One patch named in the series file. */
export interface SeriesEntry {
  /** Path relative to the series' directory, e.g. `0001-....patch` in patches/lockd-try6/. */
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
export function parseSeries(text: string, file = 'patches/<name>/series'): SeriesFile {
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

/** The header comment lines of a series file (`# Key: value` before the first entry). */
export interface SeriesHeader {
  title: string | null;
  /** What the series applies to, e.g. `linux v2.6.24`. */
  base: string;
  /** The workspace packages its patches may change. */
  packages: string[];
  /** Its version line (the major version it publishes), when the file states one. */
  versionLine: number | null;
}

const HEADER_KEYS = ['title', 'base', 'packages', 'version-line'] as const;

/**
 * Read the header lines of a parsed series file. Only comment lines before the first entry
 * count; keys are case-insensitive and unknown ones are left as comments. Base and Packages
 * are required: without them the series cannot say what it patches or what it publishes.
 */
export function parseSeriesHeader(series: SeriesFile, file: string): SeriesHeader {
  const firstEntry = series.entries[0]?.line ?? series.lines.length + 1;
  const found = new Map<string, { value: string; line: number }>();
  const problems: string[] = [];
  series.lines.slice(0, firstEntry - 1).forEach((raw, i) => {
    const m = /^\s*#\s*([A-Za-z-]+):\s*(.*?)\s*$/.exec(raw);
    if (!m) return;
    const key = m[1]!.toLowerCase();
    if (!(HEADER_KEYS as readonly string[]).includes(key)) return;
    const prev = found.get(key);
    if (prev)
      problems.push(`${file}:${i + 1}: '${m[1]}:' given twice (first on line ${prev.line})`);
    else found.set(key, { value: m[2]!, line: i + 1 });
  });
  for (const key of ['Base', 'Packages']) {
    if (!found.get(key.toLowerCase())?.value)
      problems.push(`${file}: no '# ${key}:' header line (it is required before the first patch)`);
  }
  const vl = found.get('version-line');
  let versionLine: number | null = null;
  if (vl !== undefined) {
    if (/^[1-9]\d*$/.test(vl.value) && Number.isSafeInteger(Number(vl.value)))
      versionLine = Number(vl.value);
    else problems.push(`${file}:${vl.line}: Version-line '${vl.value}' is not a positive integer`);
  }
  if (problems.length > 0) throw new SeriesFailure(problems[0]!, problems.slice(1));
  const packages = found
    .get('packages')!
    .value.split(/[\s,]+/)
    .filter(Boolean);
  return {
    title: found.get('title')?.value || null,
    base: found.get('base')!.value,
    packages,
    versionLine,
  };
}
