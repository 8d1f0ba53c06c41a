/**
 * Syntax highlighting for the review site, done at build time with highlight.js: the pages get
 * plain HTML with `hljs-*` classes and no script. A diff is highlighted one hunk side at a
 * time (the old side's lines, then the new side's), so a comment or string that spans lines
 * keeps its colour, and the result is cut back into lines.
 */
import hljs from 'highlight.js/lib/core';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import typescript from 'highlight.js/lib/languages/typescript';
import type { DiffHunk } from './diff.js';

hljs.registerLanguage('typescript', typescript);
hljs.registerLanguage('json', json);
hljs.registerLanguage('markdown', markdown);

const BY_EXTENSION: Record<string, string> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  js: 'typescript',
  mjs: 'typescript',
  cjs: 'typescript',
  json: 'json',
  md: 'markdown',
};

/** The highlight.js language for a path, or null for plain text. */
export function languageOf(path: string): string | null {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === undefined ? null : (BY_EXTENSION[ext] ?? null);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Cut highlighted HTML into lines, closing the spans open at each line end and opening them
 * again on the next line, so every line is well-formed on its own.
 */
export function splitHighlighted(html: string): string[] {
  const lines: string[] = [];
  const open: string[] = [];
  let cur = '';
  const re = /(<span[^>]*>)|(<\/span>)|(\n)|([^<\n]+)/g;
  for (let m = re.exec(html); m !== null; m = re.exec(html)) {
    if (m[1] !== undefined) {
      open.push(m[1]);
      cur += m[1];
    } else if (m[2] !== undefined) {
      open.pop();
      cur += m[2];
    } else if (m[3] !== undefined) {
      lines.push(cur + '</span>'.repeat(open.length));
      cur = open.join('');
    } else cur += m[4];
  }
  lines.push(cur + '</span>'.repeat(open.length));
  return lines;
}

/** Highlight whole text as `language` (escaped plain text for null); one HTML string per line. */
export function highlightLines(text: string, language: string | null): string[] {
  if (language === null) return text.split('\n').map(escapeHtml);
  // A hunk that starts inside a block comment: let the grammar see the comment's opening.
  const inComment = language === 'typescript' && /^\s*\*(?!\/)/.test(text);
  const src = inComment ? `/*\n${text}` : text;
  const html = hljs.highlight(src, { language, ignoreIllegals: true }).value;
  const lines = splitHighlighted(html);
  return inComment ? lines.slice(1) : lines;
}

/**
 * One highlighted HTML string per line of the hunk, in the hunk's order: context and added
 * lines from the new side, deleted lines from the old side, notes as plain text.
 */
export function highlightHunk(hunk: DiffHunk, language: string | null): string[] {
  const oldSide: string[] = [];
  const newSide: string[] = [];
  for (const l of hunk.lines) {
    if (l.kind === 'context' || l.kind === 'del') oldSide.push(l.text);
    if (l.kind === 'context' || l.kind === 'add') newSide.push(l.text);
  }
  const oldHtml = highlightLines(oldSide.join('\n'), language);
  const newHtml = highlightLines(newSide.join('\n'), language);
  let o = 0;
  let n = 0;
  return hunk.lines.map((l) => {
    switch (l.kind) {
      case 'context':
        o++;
        return newHtml[n++] ?? '';
      case 'add':
        return newHtml[n++] ?? '';
      case 'del':
        return oldHtml[o++] ?? '';
      default:
        return escapeHtml(l.text);
    }
  });
}
