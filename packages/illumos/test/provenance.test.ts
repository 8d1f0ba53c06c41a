/**
 * Every function of the illumos model files says which illumos source it models: its comment
 * names `illumos 096e63b2^:usr/src/<path>` (the parent of the 4872 fix), and a kernel
 * function's comment starts with its own name. Model helpers say "Model helper"; an exported
 * one still names the illumos path it stands in for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url);
const MODEL_FILES = readdirSync(SRC).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
const PATH_RE = /\billumos 096e63b2\^:usr\/src\/(?:uts|cmd)\/[\w./*-]+\.[chs]\b/;

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

/** Internal helpers in camelCase (not kernel symbols) need only a comment, or none for tiny ones. */
const CAMEL = /^[a-z]+[A-Z]/;

function problems(file: string, text: string): string[] {
  const out: string[] = [];
  for (const d of declarations(file, text)) {
    if (!d.exported && CAMEL.test(d.name)) continue;
    const body = d.comment
      .replace(/^\/\*\*?|\*\/$/g, '')
      .replace(/^\s*\*\s?/gm, '')
      .replace(/\s+/g, ' ')
      .trim();
    const helper = body.startsWith('Model helper');
    if (body === '') out.push(`${d.name}: no comment`);
    else if (!PATH_RE.test(body) && (d.exported || !helper))
      out.push(`${d.name}: no illumos 096e63b2^:<path> in its comment`);
    else if (!helper && !body.startsWith(d.name))
      out.push(`${d.name}: the comment does not start with the function's name`);
  }
  return out;
}

describe('every illumos function names its illumos source at 096e63b2^', () => {
  it('sees the model files, named as in illumos, and their exported functions', () => {
    expect(MODEL_FILES).toEqual(
      expect.arrayContaining([
        'mutex.ts',
        'condvar.ts',
        'kmem.ts',
        'queue.ts',
        'debug.ts',
        'panic.ts',
        'clock.ts',
        'thread.ts',
      ]),
    );
    const names = declarations('mutex.ts', readFileSync(new URL('mutex.ts', SRC), 'utf8'));
    expect(names.filter((d) => d.exported).map((d) => d.name)).toEqual(
      expect.arrayContaining(['mutex_enter', 'mutex_exit', 'mutex_destroy']),
    );
  });

  for (const f of MODEL_FILES)
    it(f, () => {
      expect(problems(f, readFileSync(new URL(f, SRC), 'utf8'))).toEqual([]);
    });

  it('rejects a missing comment, a comment without a path and a wrong name', () => {
    const src = [
      '/** mutex_enter(), illumos: no path. */',
      'export function mutex_enter() {}',
      'export function mutex_exit() {}',
      '/** Model helper: no path. */',
      'export function walk() {}',
      '/** the wrong name, illumos 096e63b2^:usr/src/uts/common/os/mutex.c. */',
      'function mutex_panic() {}',
      '/** cv_wait(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c. */',
      'export function cv_wait() {}',
    ].join('\n');
    expect(problems('x.ts', src)).toEqual([
      'mutex_enter: no illumos 096e63b2^:<path> in its comment',
      'mutex_exit: no comment',
      'walk: no illumos 096e63b2^:<path> in its comment',
      "mutex_panic: the comment does not start with the function's name",
    ]);
  });
});
