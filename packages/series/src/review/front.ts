/**
 * The pages above the per-series sites: the front page indexing the series, and for each two
 * series over the same base a comparison page putting their steps side by side with what each
 * step changes (the reproducers it fixes or introduces, as verify observed them).
 */
import { comparablePairs, stepChanges } from '../verify/side-by-side.js';
import type { VerifyReport } from '../verify/verify.js';
import { escapeHtml as h } from './highlight.js';

/** Where a series' site lives under the front page, and a comparison page's name. */
export const seriesHref = (name: string) => `${name}/index.html`;
export const compareHref = (a: string, b: string) => `compare-${a}--${b}.html`;

function shell(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<link rel="stylesheet" href="site.css">
</head><body>
<header class="top"><div class="crumb"><a href="index.html">lockstep review</a></div></header>
<main>
${body}
</main>
</body></html>
`;
}

/** The front page: every series with its header, verify result and a link to its site. */
export function frontPage(reports: readonly VerifyReport[]): string {
  const rows = reports.map((r) => {
    const problems = r.ok ? 'matches its trailers' : `${r.problems.length} problem(s)`;
    return `<tr><td><a href="${seriesHref(r.series)}" class="subject">${h(r.series)}</a><br><span class="muted">${h(r.title ?? '')}</span></td><td>${h(r.base ?? '')}</td><td>${r.versionLine ?? ''}</td><td>${r.steps.length - 1}</td><td>${h(problems)}</td></tr>`;
  });
  const pairs = comparablePairs(reports).map(
    ([a, b]) =>
      `<li><a href="${compareHref(a.series, b.series)}">${h(a.series)} and ${h(b.series)}</a> (both on ${h(a.base ?? '')})</li>`,
  );
  return shell(
    'lockstep review: the series',
    `<h1>The series</h1>
<table class="series-index"><thead><tr><th>series</th><th>base</th><th>version line</th><th>patches</th><th>verify</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
${pairs.length > 0 ? `<h2>Side by side</h2>\n<ul class="compare-list">\n${pairs.join('\n')}\n</ul>` : ''}`,
  );
}

function changeList(ids: readonly string[], word: string, cls: string): string {
  return ids.length === 0
    ? ''
    : `<div class="${cls}">${word}: ${ids.map((id) => `<span class="mono">${h(id)}</span>`).join(', ')}</div>`;
}

function column(r: VerifyReport): string {
  const steps = stepChanges(r).map((c) => {
    const what =
      c.patch === null
        ? '<span class="muted">base</span>'
        : `<a href="${r.series}/patch-${c.step}.html">${h(c.subject ?? c.patch)}</a>`;
    const changes =
      changeList(c.fixes, 'fixes', 'fixes') + changeList(c.introduces, 'introduces', 'introduces');
    return `<li data-step="${c.step}"><b>${c.step}</b> ${what}${changes || (c.step === 0 ? '' : '<div class="muted">no reproducer changes</div>')}</li>`;
  });
  return `<section class="compare-col"><h2><a href="${seriesHref(r.series)}">${h(r.series)}</a></h2><p class="muted">${h(r.title ?? '')}</p><ol class="compare-steps">\n${steps.join('\n')}\n</ol></section>`;
}

/** Two series over the same base, step by step, side by side. */
export function comparePage(a: VerifyReport, b: VerifyReport): string {
  return shell(
    `lockstep review: ${a.series} and ${b.series}`,
    `<h1>${h(a.series)} and ${h(b.series)}, both on ${h(a.base ?? '')}</h1>
<p class="muted">For each step, the reproducers whose outcome verify saw change at that step: fixed (a crash before, clean after) or introduced (clean before, a crash after).</p>
<div class="compare" style="display:grid;grid-template-columns:1fr 1fr;gap:2em">
${column(a)}
${column(b)}
</div>`,
  );
}
