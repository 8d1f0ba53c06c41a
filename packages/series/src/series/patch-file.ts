import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeriesFailure } from '../lib/errors.js';
import { git } from '../lib/git.js';

/** A `Key: value` line from the last paragraph of a commit message. */
export interface Trailer {
  key: string;
  value: string;
}

/** What a patch file says about itself: its mail headers and commit message. */
export interface PatchInfo {
  /** Relative to patches/: `<series>/<entry>`. */
  name: string;
  subject: string;
  author: string;
  email: string;
  /** The Date: header as written (RFC 2822). */
  date: string;
  /** The commit message after the subject line, trailers included. */
  body: string;
  trailers: Trailer[];
  /** Reproducer ids from `Fixes-reproducer:` trailers: failing before this patch, clean after. */
  fixesReproducers: string[];
  /** Reproducer ids from `Introduces-reproducer:` trailers: clean before, failing after. */
  introducesReproducers: string[];
  /**
   * Reproducer ids from `Not-observable:` trailers: the patch is meant to fix (or, upstream,
   * introduced) that bug, but the model shows no failure on either side of it.
   */
  notObservable: string[];
  /**
   * Reproducer ids from `Refuted: <id>` trailers: the model refutes a claim, made by this patch
   * or an earlier one (`Fixes-reproducer:`), to fix that reproducer; it still crashes.
   */
  refuted: string[];
  /** `Signed-off-by:` values, in order. */
  signedOffBy: string[];
  /** `Upstream:` values of a backported commit: its id and the release it shipped in. */
  upstream: string[];
}

/** The first line git format-patch writes (the commit id is zeroed by --zero-commit). */
const MBOX_FROM = /^From [0-9a-f]{40} /;

function trailerValues(trailers: readonly Trailer[], key: string): string[] {
  return trailers.filter((t) => t.key.toLowerCase() === key.toLowerCase()).map((t) => t.value);
}

/**
 * Read a patch's headers and message with git's own mail parser (`git mailinfo`, which
 * handles folded and encoded headers) and its trailers with `git interpret-trailers`.
 * `scratch` is an empty directory for mailinfo's output files; `tag` keeps them apart.
 */
export async function readPatchInfo(
  name: string,
  text: string,
  scratch: string,
  tag: string,
): Promise<PatchInfo> {
  if (!MBOX_FROM.test(text)) {
    throw new SeriesFailure(`patch ${name} is not a git format-patch file`, [
      "its first line must be 'From <40 hex digits> Mon Sep 17 00:00:00 2001'",
      'write patches with `lockstep export` (git format-patch)',
    ]);
  }
  const msgFile = join(scratch, `${tag}.msg`);
  const diffFile = join(scratch, `${tag}.diff`);
  const r = await git(['mailinfo', '-b', '-u', msgFile, diffFile], {
    cwd: scratch,
    outsideRepo: true,
    input: text,
    check: false,
  });
  if (r.code !== 0) {
    throw new SeriesFailure(`patch ${name}: git could not read its mail headers`, [
      ...r.stderr.split('\n').filter((l) => l.trim() !== ''),
    ]);
  }
  const headers = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([A-Za-z]+): (.*)$/.exec(line);
    if (m) headers.set(m[1]!, m[2]!);
  }
  const missing = ['Author', 'Email', 'Subject', 'Date'].filter((h) => !headers.get(h));
  if (missing.length > 0) {
    const header = (h: string) => (h === 'Author' || h === 'Email' ? 'From' : h);
    throw new SeriesFailure(
      `patch ${name} has no ${[...new Set(missing.map(header))].join(', ')} header`,
    );
  }
  if (readFileSync(diffFile, 'utf8').trim() === '') {
    throw new SeriesFailure(`patch ${name} contains no diff`);
  }
  const body = readFileSync(msgFile, 'utf8').replace(/^\n+/, '').replace(/\n+$/, '\n');
  // interpret-trailers takes a message's first paragraph as its subject, so give it one.
  const t = await git(['interpret-trailers', '--parse'], {
    cwd: scratch,
    outsideRepo: true,
    input: `${headers.get('Subject')}\n\n${body}`,
  });
  const trailers: Trailer[] = [];
  for (const line of t.stdout.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) trailers.push({ key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() });
  }
  return {
    name,
    subject: headers.get('Subject')!,
    author: headers.get('Author')!,
    email: headers.get('Email')!,
    date: headers.get('Date')!,
    body: body === '\n' ? '' : body,
    trailers,
    fixesReproducers: trailerValues(trailers, 'Fixes-reproducer'),
    introducesReproducers: trailerValues(trailers, 'Introduces-reproducer'),
    notObservable: trailerValues(trailers, 'Not-observable'),
    refuted: trailerValues(trailers, 'Refuted'),
    signedOffBy: trailerValues(trailers, 'Signed-off-by'),
    upstream: trailerValues(trailers, 'Upstream'),
  };
}

/** Undo git's C-style quoting of a path in a diff header (`"a/tab\there"`). */
export function unquoteGitPath(s: string): string {
  if (!s.startsWith('"') || !s.endsWith('"') || s.length < 2) return s;
  const bytes: number[] = [];
  const esc: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };
  const inner = s.slice(1, -1);
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c));
      continue;
    }
    const n = inner[++i] ?? '';
    if (/[0-7]/.test(n)) {
      bytes.push(Number.parseInt(inner.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(esc[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A hunk located in a patch: its 1-based number within its file and its `@@` line. */
export interface HunkRef {
  index: number;
  header: string;
}

/**
 * Find the hunk of `file` whose old range starts at `oldStart` — git reports a failed hunk as
 * `patch failed: FILE:LINE` with that start line, and a person wants the hunk's number. This
 * reads only the diff headers and `@@` lines; it is not a diff parser.
 */
export function findHunk(text: string, file: string, oldStart: number): HunkRef | null {
  let matches = false;
  let inHeader = false;
  let count = 0;
  const strip = (p: string) => {
    const u = unquoteGitPath(p.replace(/\t.*$/, ''));
    return u === '/dev/null' ? u : u.replace(/^[ab]\//, '');
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      inHeader = true;
      matches = false;
      count = 0;
    } else if (inHeader && (line.startsWith('--- ') || line.startsWith('+++ '))) {
      if (strip(line.slice(4)) === file) matches = true;
    } else if (line.startsWith('@@ ')) {
      inHeader = false;
      count++;
      const m = /^@@ -(\d+)/.exec(line);
      if (matches && m && Number(m[1]) === oldStart) return { index: count, header: line };
    }
  }
  return null;
}
