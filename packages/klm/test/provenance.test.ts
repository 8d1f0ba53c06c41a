/**
 * Every function of the klm model files says which illumos source it models: its comment
 * names `illumos 096e63b2^:usr/src/<path>` (the parent of the 4872 fix), and a kernel
 * function's comment starts with its own name. Model helpers say "Model helper"; an exported
 * one still names the illumos path it stands in for. (The same check as packages/illumos.)
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

describe('every klm function names its illumos source at 096e63b2^', () => {
  it('sees the model files, named as in illumos, and the functions of nlm_impl.c', () => {
    expect(MODEL_FILES).toEqual(
      expect.arrayContaining(['nlm_impl.ts', 'nlm_service.ts', 'flock.ts']),
    );
    const names = declarations('nlm_impl.ts', readFileSync(new URL('nlm_impl.ts', SRC), 'utf8'));
    expect(names.map((d) => d.name)).toEqual(
      expect.arrayContaining([
        'nlm_gc',
        'nlm_host_findcreate',
        'nlm_host_find_locked',
        'nlm_host_release',
        'nlm_host_unregister',
        'nlm_host_destroy',
        'nlm_host_has_locks',
      ]),
    );
    for (const d of names)
      if (d.name.startsWith('nlm_') && !d.name.startsWith('nlm_svc'))
        expect(d.comment, d.name).toContain('usr/src/uts/common/klm/nlm_impl.c');
  });

  for (const f of MODEL_FILES)
    it(f, () => {
      expect(problems(f, readFileSync(new URL(f, SRC), 'utf8'))).toEqual([]);
    });
});
