/**
 * The diff of a patch file, read for display: files, hunks, lines, and a diffstat. Only for
 * showing a patch (git applies it); it reads what git format-patch writes.
 */
import { unquoteGitPath } from '../series/patch-file.js';

export type DiffLineKind = 'context' | 'add' | 'del' | 'note';

export interface DiffLine {
  kind: DiffLineKind;
  /** The line without its leading ' ', '+' or '-' ('\ No newline at end of file' for a note). */
  text: string;
  /** Line numbers on the old and new side (null where the line is not on that side). */
  oldNo: number | null;
  newNo: number | null;
}

export interface DiffHunk {
  header: string;
  /** The text after the second @@ (the function git names). */
  section: string;
  lines: DiffLine[];
}

export interface DiffFile {
  /** The new path ('/dev/null' sides use the other path). */
  path: string;
  oldPath: string;
  status: 'added' | 'deleted' | 'modified' | 'renamed';
  /** The extended header lines (new file mode, index, similarity ...). */
  meta: string[];
  binary: boolean;
  hunks: DiffHunk[];
  added: number;
  deleted: number;
}

export interface ParsedPatch {
  /** What comes before the first `diff --git` line after the `---` separator. */
  files: DiffFile[];
  added: number;
  deleted: number;
}

function stripPath(p: string): string {
  const u = unquoteGitPath(p.replace(/\t.*$/, ''));
  return u === '/dev/null' ? u : u.replace(/^[ab]\//, '');
}

/** The `diff --git a/X b/Y` paths (unquoted); good enough when --- and +++ are absent. */
function gitHeaderPaths(line: string): [string, string] {
  const rest = line.slice('diff --git '.length);
  const m = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
  if (m) return [stripPath(m[1]!), stripPath(m[2]!)];
  const half = rest.split(' b/');
  return [stripPath(half[0]!), stripPath(`b/${half.slice(1).join(' b/')}`)];
}

/** Parse the diffs of a git format-patch file (the mail body after `---` is ignored). */
export function parsePatchDiff(text: string): ParsedPatch {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: DiffHunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  let oldLeft = 0;
  let newLeft = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (hunk !== null && file !== null && (oldLeft > 0 || newLeft > 0)) {
      const c = line[0];
      if (c === ' ' || (c === undefined && line === '')) {
        hunk.lines.push({ kind: 'context', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
        oldLeft--;
        newLeft--;
        continue;
      }
      if (c === '-') {
        hunk.lines.push({ kind: 'del', text: line.slice(1), oldNo: oldNo++, newNo: null });
        file.deleted++;
        oldLeft--;
        continue;
      }
      if (c === '+') {
        hunk.lines.push({ kind: 'add', text: line.slice(1), oldNo: null, newNo: newNo++ });
        file.added++;
        newLeft--;
        continue;
      }
      if (c === '\\') {
        hunk.lines.push({ kind: 'note', text: line, oldNo: null, newNo: null });
        continue;
      }
      hunk = null; // a short hunk: fall through and read the line as a header
    } else if (hunk !== null && line.startsWith('\\')) {
      hunk.lines.push({ kind: 'note', text: line, oldNo: null, newNo: null });
      continue;
    }
    if (line.startsWith('diff --git ')) {
      const [a, b] = gitHeaderPaths(line);
      file = {
        path: b,
        oldPath: a,
        status: 'modified',
        meta: [],
        binary: false,
        hunks: [],
        added: 0,
        deleted: 0,
      };
      files.push(file);
      hunk = null;
      continue;
    }
    if (file === null) continue;
    if (line.startsWith('@@ ')) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/.exec(line);
      if (!m) continue;
      oldNo = Number(m[1]);
      newNo = Number(m[3]);
      oldLeft = m[2] === undefined ? 1 : Number(m[2]);
      newLeft = m[4] === undefined ? 1 : Number(m[4]);
      hunk = { header: line, section: m[5] ?? '', lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (hunk !== null) continue;
    if (line.startsWith('--- ')) {
      file.oldPath = stripPath(line.slice(4));
      if (file.oldPath === '/dev/null') file.status = 'added';
    } else if (line.startsWith('+++ ')) {
      const p = stripPath(line.slice(4));
      if (p === '/dev/null') file.status = 'deleted';
      else file.path = p;
    } else if (line.startsWith('new file mode')) {
      file.status = 'added';
      file.meta.push(line);
    } else if (line.startsWith('deleted file mode')) {
      file.status = 'deleted';
      file.meta.push(line);
    } else if (line.startsWith('rename from ') || line.startsWith('rename to ')) {
      file.status = 'renamed';
      file.meta.push(line);
    } else if (line.startsWith('Binary files ') || line === 'GIT binary patch') {
      file.binary = true;
      file.meta.push(line);
    } else if (line === '-- ' || line === '--') {
      file = null; // the format-patch signature
    } else if (line !== '') file.meta.push(line);
  }
  for (const f of files) if (f.status === 'deleted') f.path = f.oldPath;
  return {
    files,
    added: files.reduce((n, f) => n + f.added, 0),
    deleted: files.reduce((n, f) => n + f.deleted, 0),
  };
}

/** git's diffstat: ` path | 12 +++---`, scaled to `width` columns of + and -. */
export function diffstat(p: ParsedPatch, width = 40): string[] {
  const nameW = Math.max(0, ...p.files.map((f) => f.path.length));
  const max = Math.max(0, ...p.files.map((f) => f.added + f.deleted));
  const numW = String(max).length;
  const scale = (n: number) => (max <= width ? n : Math.ceil((n * width) / max));
  const lines = p.files.map((f) => {
    const n = f.added + f.deleted;
    const bar = f.binary ? 'Bin' : '+'.repeat(scale(f.added)) + '-'.repeat(scale(f.deleted));
    return ` ${f.path.padEnd(nameW)} | ${String(n).padStart(numW)} ${bar}`.trimEnd();
  });
  const files = `${p.files.length} file${p.files.length === 1 ? '' : 's'} changed`;
  const parts = [files];
  if (p.added > 0 || p.deleted === 0)
    parts.push(`${p.added} insertion${p.added === 1 ? '' : 's'}(+)`);
  if (p.deleted > 0) parts.push(`${p.deleted} deletion${p.deleted === 1 ? '' : 's'}(-)`);
  lines.push(` ${parts.join(', ')}`);
  return lines;
}
