/**
 * Which kernel source each declaration of a model file says it models. Every function (and
 * every frozen table of kernel functions) carries a comment naming its tree path at the base
 * version, `v2.6.24:fs/lockd/svclock.c`, or says it is a model helper with no kernel twin.
 */
import ts from 'typescript';

export const BASE = 'v2.6.24';

export interface declaration {
  name: string;
  exported: boolean;
  comment: string;
  line: number;
}

export interface finding {
  name: string;
  line: number;
  problem: string;
}

const PATH_RE = /\bv2\.6\.24:((?:fs|include|net|kernel|mm)\/[\w./-]+\.[ch])\b/g;

function isTable(init: ts.Expression): boolean {
  if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return true;
  if (!ts.isCallExpression(init)) return false;
  // Object.freeze({...}) or an immediately invoked builder: kernel ops tables and programs.
  const callee = init.expression;
  if (ts.isPropertyAccessExpression(callee)) return callee.getText() === 'Object.freeze';
  return ts.isParenthesizedExpression(callee);
}

function leadingComment(text: string, node: ts.Node): string {
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  return ranges.map((r) => text.slice(r.pos, r.end)).join('\n');
}

/** The top-level functions and function tables of one source file, with their comments. */
export function declarations(fileName: string, text: string): declaration[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const out: declaration[] = [];
  const exported = (n: ts.FunctionDeclaration | ts.VariableStatement) =>
    (n.modifiers ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const line = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name)
      out.push({
        name: st.name.text,
        exported: exported(st),
        comment: leadingComment(text, st),
        line: line(st),
      });
    else if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.initializer && isTable(d.initializer))
          out.push({
            name: d.name.text,
            exported: exported(st),
            comment: leadingComment(text, st),
            line: line(st),
          });
  }
  return out;
}

/** fs/lockd paths a model file may name besides its own .c twin. */
const TWINS: Record<string, string[]> = {
  svcproc: ['svcproc', 'svc4proc'],
  xdr: ['xdr', 'xdr4'],
};

/**
 * What is wrong with the comments of a model file: a declaration with no comment, with
 * neither a `v2.6.24:<path>` nor "Model helper", whose comment does not name it, or that names
 * another fs/lockd file than the one the model file mirrors.
 */
export function check(fileName: string, text: string): finding[] {
  const stem = fileName.replace(/^.*\//, '').replace(/\.ts$/, '');
  const allowed = TWINS[stem] ?? [stem];
  const findings: finding[] = [];
  for (const d of declarations(fileName, text)) {
    const bad = (problem: string) => findings.push({ name: d.name, line: d.line, problem });
    const body = d.comment.replace(/^\s*(\/\*\*?|\*\/?|\/\/)\s?/gm, '').trim();
    if (body === '') {
      bad('no comment');
      continue;
    }
    if (/^Model helper\b/.test(body)) continue;
    const paths = [...body.matchAll(PATH_RE)].map((m) => m[1]!);
    if (paths.length === 0) {
      bad(`no ${BASE}:<path> in its comment`);
      continue;
    }
    if (!body.startsWith(d.name)) bad('comment does not start with the kernel symbol');
    for (const p of paths) {
      const m = /^fs\/lockd\/(\w+)\.c$/.exec(p);
      if (m && !allowed.includes(m[1]!)) bad(`names ${p}, not the file ${stem}.ts mirrors`);
    }
  }
  return findings;
}
