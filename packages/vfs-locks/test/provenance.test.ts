/**
 * Every function of the vfs-locks model files says which v2.6.24 source it models: its
 * comment names `v2.6.24:<path>`, and a kernel function's comment starts with its own name.
 * Model helpers say "Model helper"; an exported one still names the kernel path it stands in for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url);
const MODEL_FILES = readdirSync(SRC).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
const PATH_RE = /\bv2\.6\.24:(?:fs|include|kernel|mm)\/[\w./-]+\.[ch]\b/;

interface decl {
  name: string;
  exported: boolean;
  comment: string;
}

function declarations(file: string, text: string): decl[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: decl[] = [];
  for (const st of sf.statements) {
    if (!ts.isFunctionDeclaration(st) || !st.name) continue;
    const ranges = ts.getLeadingCommentRanges(text, st.getFullStart()) ?? [];
    out.push({
      name: st.name.text,
      exported: (st.modifiers ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword),
      comment: ranges.map((r) => text.slice(r.pos, r.end)).join('\n'),
    });
  }
  return out;
}

/** What is wrong with one file's function comments. */
function problems(file: string, text: string): string[] {
  const out: string[] = [];
  for (const d of declarations(file, text)) {
    const body = d.comment
      .replace(/^\/\*\*?|\*\/$/g, '')
      .replace(/^\s*\*\s?/gm, '')
      .trim();
    const helper = body.startsWith('Model helper');
    if (body === '') out.push(`${d.name}: no comment`);
    else if (!PATH_RE.test(body) && (d.exported || !helper))
      out.push(`${d.name}: no v2.6.24:<path> in its comment`);
    else if (!helper && !body.startsWith(d.name))
      out.push(`${d.name}: the comment does not start with the function's name`);
  }
  return out;
}

describe('every vfs-locks function names its v2.6.24 source', () => {
  it('sees the model files and their exported functions', () => {
    expect(MODEL_FILES).toEqual(expect.arrayContaining(['fs.ts', 'locks.ts', 'open.ts']));
    const names = declarations('locks.ts', readFileSync(new URL('locks.ts', SRC), 'utf8'));
    expect(names.filter((d) => d.exported).map((d) => d.name)).toContain('vfs_lock_file');
  });

  for (const f of MODEL_FILES)
    it(f, () => {
      expect(problems(f, readFileSync(new URL(f, SRC), 'utf8'))).toEqual([]);
    });

  it('rejects a missing comment, a comment without a path and an exported helper without one', () => {
    const src = [
      '/** posix_lock_file(), 2.6.24: no tree path. */',
      'export function posix_lock_file() {}',
      'export function vfs_lock_file() {}',
      '/** Model helper: no path. */',
      'export function open_file() {}',
      '/** Model helper: internal, no path needed. */',
      'function linkGet() {}',
      '/** the wrong name, v2.6.24:fs/locks.c. */',
      'function locks_conflict() {}',
      '/** vfs_cancel_lock(), v2.6.24:fs/locks.c. */',
      'export function vfs_cancel_lock() {}',
    ].join('\n');
    expect(problems('locks.ts', src)).toEqual([
      'posix_lock_file: no v2.6.24:<path> in its comment',
      'vfs_lock_file: no comment',
      'open_file: no v2.6.24:<path> in its comment',
      "locks_conflict: the comment does not start with the function's name",
    ]);
  });
});
