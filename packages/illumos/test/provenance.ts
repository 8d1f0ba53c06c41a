/**
 * The provenance check of the illumos model packages (@lockstep/illumos, @lockstep/klm): every
 * function's comment names `illumos 096e63b2^:usr/src/<path>` (the parent of the 4872 fix),
 * and a kernel function's comment starts with its own name. Model helpers say "Model helper";
 * an exported one still names the illumos path it stands in for.
 */
import ts from 'typescript';

const PATH_RE = /\billumos 096e63b2\^:usr\/src\/(?:uts|cmd)\/[\w./*-]+\.[chs]\b/;

export interface decl {
  name: string;
  exported: boolean;
  comment: string;
}

export function declarations(file: string, text: string): decl[] {
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

export function problems(file: string, text: string): string[] {
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
