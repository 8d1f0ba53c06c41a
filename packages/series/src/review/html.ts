/**
 * The review site's pages as HTML strings: the index (the series and the matrix) and one page
 * per patch. Everything is rendered here, at build time; the pages carry only a small inline
 * script for the keyboard and the toggles.
 */

import { linkText } from '../verify/matrix.js';
import {
  isRefutedAt,
  type RefutedClaim,
  refutedAtPatch,
  refutedClaims,
  refutedLinkText,
  refutedSummary,
} from '../verify/refuted.js';
import { cleanText, foundText, MEANINGS, replayCommand, WORDS } from '../verify/verdict.js';
import type { Cell, ReproducerRow } from '../verify/verify.js';
import { diffstat, type ParsedPatch } from './diff.js';
import { escapeHtml, highlightHunk, languageOf } from './highlight.js';
import {
  cellKind,
  cellWord,
  outcomeAt,
  type PatchOutcome,
  patchOutcomes,
  type ReviewModel,
  type ReviewStep,
  traceAt,
} from './model.js';
import { SITE_JS } from './site/assets.js';

/** An interleaving: the lane names, and the picture that scrolls beside them. */
export interface Picture {
  names: string;
  body: string;
}

/** What the pages link to and embed, prepared by the site builder. */
export interface PageAssets {
  /** The SVG picture of a crash's trace at a step, if there is one. */
  picture(step: number, id: string): Picture | null;
  /** The page of its own that shows a crash at a step in full (the builder renders it). */
  crashPage(step: number, id: string): string;
  /** Site-relative hrefs of a crash's trace files at a step. */
  traceFiles(step: number, id: string): { chrome: string; dmesg: string } | null;
}

export function patchHref(step: number): string {
  return `patch-${step}.html`;
}

const h = escapeHtml;

function page(opts: {
  title: string;
  crumb: string;
  prev: string | null;
  next: string | null;
  body: string;
}): string {
  const links = [
    '<link rel="index" href="index.html">',
    opts.prev ? `<link rel="prev" href="${opts.prev}">` : '',
    opts.next ? `<link rel="next" href="${opts.next}">` : '',
  ].join('');
  const nav = [
    opts.prev ? `<a href="${opts.prev}" id="nav-prev">&larr; prev</a>` : '<span>&larr; prev</span>',
    '<a href="index.html" id="nav-index">index</a>',
    opts.next ? `<a href="${opts.next}" id="nav-next">next &rarr;</a>` : '<span>next &rarr;</span>',
  ].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(opts.title)}</title>
<link rel="stylesheet" href="site.css">${links}
</head><body>
<header class="top"><div class="crumb">${opts.crumb}</div><nav>${nav}<span class="muted"><kbd>?</kbd> keys</span></nav></header>
<main>
${opts.body}
</main>
<div id="help" hidden><b>Keys</b><br><kbd>&rarr;</kbd> <kbd>j</kbd> next patch &nbsp; <kbd>&larr;</kbd> <kbd>k</kbd> previous<br><kbd>u</kbd> index &nbsp; <kbd>f</kbd> fit pictures to width &nbsp; <kbd>e</kbd> open or close all sections</div>
<script>${SITE_JS}</script>
</body></html>
`;
}

function badge(c: Cell): string {
  return `<span class="badge ${cellKind(c)}">${WORDS[c.verdict ?? 'error']}</span>`;
}

function cellTitle(r: ReproducerRow, c: Cell, step: number): string {
  const seen = c.observed ?? WORDS[c.verdict ?? 'clean-searched'];
  const refuted = isRefutedAt(r, step) ? ` (claimed fixed by ${step}, refuted)` : '';
  return c.ok
    ? `${r.id}: ${seen}${refuted}`
    : `${r.id}: ${seen}${refuted} (the trailers imply ${c.expected ?? 'clean'})`;
}

/** A cell's classes: its kind, `bad` when it differs, `refuted` where a claimed fix is refuted. */
function cellClass(r: ReproducerRow, c: Cell, step: number): string {
  return `cell ${cellKind(c)}${c.ok ? '' : ' bad'}${isRefutedAt(r, step) ? ' refuted' : ''}`;
}

function strip(m: ReviewModel, step: number): string {
  const cells = m.report.reproducers.map((r) => {
    const c = r.cells[step]!;
    return `<span class="${cellClass(r, c, step)}" title="${h(cellTitle(r, c, step))}"></span>`;
  });
  return `<span class="strip" aria-label="reproducer outcomes at step ${step}">${cells.join('')}</span>`;
}

/** The key to the cells, shown with every strip and matrix. */
const CELL_LEGEND = `<span class="cell crash"></span> crash &nbsp; <span class="cell exhausted"></span> clean, exhausted: ${h(MEANINGS['clean-exhausted'])} &nbsp; <span class="cell searched"></span> clean, searched: ${h(MEANINGS['clean-searched'])} &nbsp; <span class="cell error"></span> reproducer error &nbsp; <span class="cell crash refuted"></span> a claimed fix the model refutes &nbsp; an outlined cell differs from what the trailers imply.`;

function banners(m: ReviewModel): string {
  return m.warnings.map((w) => `<p class="banner">${h(w)}</p>`).join('\n');
}

/** The index: every step with its subject, versions and outcome strip, then the matrix. */
export function indexPage(m: ReviewModel, front: string | null = null): string {
  const n = m.steps.length - 1;
  const rows = m.steps.map((s) => {
    const subject =
      s.patch === null
        ? '<span class="muted">base</span>'
        : `<a href="${patchHref(s.step)}" class="subject">${h(s.patch.info.subject)}</a><br><span class="muted mono">${h(s.patch.name)}</span>`;
    const pkgs =
      s.step === 0
        ? Object.entries(s.result.versions)
            .map(([k, v]) => `<span class="pkg">${h(k)} ${h(v)}</span>`)
            .join('<br>')
        : s.bumps.length === 0
          ? '<span class="muted">no version change</span>'
          : s.bumps
              .map((b) => `<span class="pkg">${h(b.name)} ${h(b.from)} &rarr; ${h(b.to)}</span>`)
              .join('<br>');
    const refuted = refutedAtPatch(m.report, s.step)
      .map(
        (c) =>
          `<br><a href="${patchHref(s.step)}#refuted-${h(c.id)}" class="refuted-mark">refuted claim: <span class="mono">${h(c.id)}</span></a>`,
      )
      .join('');
    return `<tr class="${s.patch ? 'patch' : 'base'}" id="step-${s.step}"><td class="step">${s.step}</td><td>${subject}${refuted}</td><td class="mono">${pkgs}</td><td>${strip(m, s.step)}</td></tr>`;
  });
  const head = m.report.steps.map((s) => `<th>${s.step}</th>`).join('');
  const matrix = m.report.reproducers.map((r) => {
    const cells = r.cells.map((c, step) => {
      const link = step === 0 ? '' : ` href="${patchHref(step)}#r-${h(r.id)}"`;
      return `<td><a${link} class="${cellClass(r, c, step)}" title="${h(cellTitle(r, c, step))}"></a></td>`;
    });
    return `<tr><td class="id mono">${h(r.id)}</td>${cells.join('')}<td class="muted links">${h(linkText(r))}</td></tr>`;
  });
  const status = m.report.ok
    ? `verify: every outcome matches the trailers, claims minus recorded refutations (${(m.report.ms / 1000).toFixed(1)} s)`
    : `verify: ${m.report.problems.length} problem(s)`;
  const problems =
    m.report.problems.length === 0
      ? ''
      : `<ul>${m.report.problems.map((p) => `<li>${h(p)}</li>`).join('')}</ul>`;
  const claims = refutedClaims(m.report);
  const refuted =
    claims.length === 0
      ? ''
      : `<section class="refuted" id="refuted"><h2>Refuted claims</h2><p>A patch claims to fix these; the model shows the bug is still there.</p><ul>${claims.map((c) => `<li><a href="${patchHref(c.refutedAt)}#refuted-${h(c.id)}" class="mono">${h(c.id)}</a>: ${h(refutedSummary(c))}</li>`).join('')}</ul></section>`;
  const body = `<h1>${h(m.report.series)}: ${n} patch${n === 1 ? '' : 'es'} on top of the base</h1>
<p class="muted">${h(status)} &middot; the strip shows each reproducer at that step. <kbd>&rarr;</kbd> opens the first patch.</p>
<p class="muted legend-cells">${CELL_LEGEND}</p>
${banners(m)}${problems}
${refuted}
<table class="series"><thead><tr><th>step</th><th>patch</th><th>packages</th><th>reproducers</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
<h2 id="matrix">Reproducer matrix</h2>
<table class="matrix"><thead><tr><th class="id">reproducer</th>${head}<th class="links">what the trailers claim</th></tr></thead>
<tbody>
${matrix.join('\n')}
</tbody></table>
<p class="muted legend-cells">${CELL_LEGEND}</p>`;
  return page({
    title: `lockstep review: ${m.report.series}`,
    // Under a front page of several series, the crumb leads back to it.
    crumb: `${front === null ? '<b>lockstep review</b>' : `<a href="${front}" id="nav-front">lockstep review</a>`} &middot; ${h(m.report.series)}`,
    prev: null,
    next: n >= 1 ? patchHref(1) : null,
    body,
  });
}

/** The commit message without its trailer block, and the trailers. */
function messageParts(s: ReviewStep): { text: string; trailers: string } {
  const info = s.patch!.info;
  const paras = info.body.replace(/\n+$/, '').split(/\n\n/);
  const last = paras.at(-1) ?? '';
  const isTrailers =
    info.trailers.length > 0 && last.split('\n').every((l) => /^[A-Za-z0-9-]+:\s/.test(l));
  const text = (isTrailers ? paras.slice(0, -1) : paras).join('\n\n');
  const named = (v: string) =>
    /^[a-z0-9-]+$/.test(v) ? `<a href="#r-${h(v)}" class="mono">${h(v)}</a>` : h(v);
  const trailers = info.trailers
    .map(
      (t) =>
        `<dt>${h(t.key)}</dt><dd>${/reproducer|observable|^refuted$/i.test(t.key) ? named(t.value) : h(t.value)}</dd>`,
    )
    .join('');
  return { text, trailers };
}

function statHtml(p: ParsedPatch): string {
  return diffstat(p)
    .map((line) =>
      h(line)
        .replace(/(\+{1,})(-*)$/, '<span class="plus">$1</span>$2')
        .replace(/(-+)$/, '<span class="minus">$1</span>'),
    )
    .join('\n');
}

function diffHtml(p: ParsedPatch): string {
  return p.files
    .map((f, i) => {
      const lang = languageOf(f.path);
      const rows: string[] = [];
      for (const hunk of f.hunks) {
        rows.push(`<tr class="hunk"><td colspan="4">${h(hunk.header)}</td></tr>`);
        const html = highlightHunk(hunk, lang);
        hunk.lines.forEach((l, k) => {
          const sign = l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ';
          const cls = l.kind === 'context' ? 'ctx' : l.kind;
          rows.push(
            `<tr class="${cls}"><td class="n">${l.oldNo ?? ''}</td><td class="n">${l.newNo ?? ''}</td><td class="s">${sign}</td><td>${html[k]}</td></tr>`,
          );
        });
      }
      if (f.binary) rows.push('<tr class="hunk"><td colspan="4">binary file</td></tr>');
      const what = f.status === 'modified' ? '' : ` <span class="muted">(${f.status})</span>`;
      return `<details class="file" id="f-${i + 1}" open><summary>${h(f.path)}${what} <span class="muted">+${f.added} &minus;${f.deleted}</span></summary>
<table class="diff"><colgroup><col class="n"><col class="n"><col class="s"><col></colgroup>
${rows.join('\n')}</table></details>`;
    })
    .join('\n');
}

/** The interleaving picture of a crash with its tools and legend (empty if there is none). */
function pictureHtml(m: ReviewModel, a: PageAssets, step: number, id: string, pid: string): string {
  const pic = a.picture(step, id);
  if (pic === null) return '';
  const files = a.traceFiles(step, id);
  const t = traceAt(m, step, id);
  const elided = t?.elided
    ? ` The run recorded ${t.elided.events} more trace events in the middle (jiffies ${t.elided.fromJiffies} to ${t.elided.toJiffies}), left out of the trace.`
    : '';
  return [
    `<div class="pictools"><b>Interleaving</b><button type="button" data-fit="${pid}">fit to width</button>${files ? `<a href="${files.chrome}" download>Perfetto trace (.json)</a><a href="${files.dmesg}">dmesg</a>` : ''}</div>`,
    `<div class="picwrap" id="${pid}">${pic.names}<div class="pic">${pic.body}</div></div>`,
    `<div class="legend"><span><i class="run"></i>running</span><span><i class="sleep"></i>sleeping (wait channel)</span><span><i class="hold"></i>lock held (stacked when nested)</span><span><i class="wait"></i>waiting for a lock</span><span>&#9650; kmalloc &#9660; kfree</span><span><i class="flow"></i>wake-up</span><span>&#9670; signal</span><span><i class="warning"></i>a warning (printed; the run goes on)</span><span><i class="report"></i>the report</span><span>x: order of events; dashed lines mark jumps in virtual time.${h(elided)}</span></div>`,
  ].join('\n');
}

/** One side (before or after) of a reproducer at a step: badge, report, picture, files. */
function side(
  m: ReviewModel,
  a: PageAssets,
  step: number,
  id: string,
  label: string,
  linked = false,
  pictureAbove = false,
): string {
  const c = m.report.reproducers.find((r) => r.id === id)!.cells[step]!;
  const o = outcomeAt(m, step, id);
  const head = `<h4>${label} (step ${step}) ${badge(c)} ${c.observed && cellWord(c) === 'crash' ? `<span class="mono">${h(c.observed)}</span>` : ''}</h4>`;
  if (o === undefined)
    return `<div class="side">${head}<p class="muted">no outcome recorded</p></div>`;
  if (o.status === 'error')
    return `<div class="side">${head}<pre class="report">${h(o.error ?? 'error')}</pre></div>`;
  if (o.status === 'clean') {
    const others = o.otherReports?.length
      ? `; other reports met on the way: ${o.otherReports.map((r) => `${h(r.title)} (${r.runs} runs)`).join('; ')}`
      : '';
    return `<div class="side">${head}<p class="muted">${h(cleanText(o))}${others}</p></div>`;
  }
  const parts = [head];
  parts.push(
    `<p class="muted">found by ${h(foundText(o))}; replay: <code>${h(replayCommand(id, o.schedule))}</code></p>`,
  );
  const files = a.traceFiles(step, id);
  // An unchanged crash links to a page of its own, so a patch page lays out only the
  // pictures of what the patch changes.
  if (pictureAbove) {
    parts.push(
      `<p><a href="#refuted-${h(id)}">The interleaving is in the refuted claim above.</a>${files ? ` <a href="${files.chrome}" download>Perfetto trace (.json)</a> &middot; <a href="${files.dmesg}">dmesg</a>` : ''}</p>`,
    );
  } else if (linked) {
    const more = files
      ? ` &middot; <a href="${files.chrome}" download>Perfetto trace (.json)</a> &middot; <a href="${files.dmesg}">dmesg</a>`
      : '';
    parts.push(
      `<p><a href="${a.crashPage(step, id)}" class="crashpage">the interleaving and the kernel log</a>${more}</p>`,
    );
  } else if (a.picture(step, id) !== null) {
    parts.push(pictureHtml(m, a, step, id, `pic-${step}-${id}`));
  } else if (files)
    parts.push(`<p><a href="${files.chrome}" download>Perfetto trace (.json)</a></p>`);
  parts.push(`<pre class="report">${h(o.report ?? '')}</pre>`);
  if (o.dmesg && !linked)
    parts.push(
      `<details><summary>kernel log before the report</summary><pre class="report">${h(o.dmesg)}</pre></details>`,
    );
  return `<div class="side">${parts.join('\n')}</div>`;
}

function outcomeRow(po: PatchOutcome): string {
  const r = po.repro;
  const ok = po.after.ok
    ? '<td class="ok" title="as the trailers imply">&#10003;</td>'
    : `<td class="notok" title="the trailers imply ${h(po.after.expected ?? 'clean')}">&#10007;</td>`;
  return `<tr class="${po.changed ? 'changed' : ''}"><td><a href="#r-${h(r.id)}" class="mono">${h(r.id)}</a></td><td>${badge(po.before)}</td><td class="arrow">&rarr;</td><td>${badge(po.after)}</td>${ok}<td class="muted">${po.trailer ? h(po.trailer) : ''}${po.changed && po.trailer === null ? 'changed without a trailer' : ''}${po.refuted ? ` <a href="#refuted-${h(r.id)}" class="refuted-mark">claim refuted</a>` : ''}</td><td class="muted">${h(po.after.observed ?? po.before.observed ?? '')}</td></tr>`;
}

/** A crash at a step on a page of its own: the report, its interleaving and its log. */
export function crashPage(m: ReviewModel, a: PageAssets, step: number, id: string): string {
  const r = m.report.reproducers.find((x) => x.id === id)!;
  const s = m.steps[step]!;
  const where = s.patch === null ? 'the base' : `patch ${step}: ${s.patch.info.subject}`;
  const body = `<p class="muted">step ${step} &middot; ${h(where)}</p>
<h1 class="mono">${h(id)}</h1>
<p>${h(r.title)}</p>
<details><summary>about this reproducer</summary><p class="doc">${h(r.doc)}</p></details>
${side(m, a, step, id, 'At this step')}`;
  return page({
    title: `${id} at step ${step}`,
    crumb: `<a href="index.html">lockstep review</a> &middot; ${s.patch === null ? 'base' : `<a href="${patchHref(step)}">patch ${step}</a>`} &middot; ${h(id)}`,
    prev: null,
    next: null,
    body,
  });
}

/**
 * The paragraphs of the refuting patch's message that name the reproducer: the series author
 * explains there, in kernel terms, the window that remains.
 */
function explanation(m: ReviewModel, c: RefutedClaim): string {
  const s = m.steps[c.refutedAt];
  if (s?.patch == null) return '';
  const paras = messageParts(s)
    .text.split(/\n\n/)
    .filter((p) => p.includes(c.id));
  if (paras.length === 0)
    return `<p class="muted">The message of patch ${c.refutedAt} has no paragraph that names ${h(c.id)}: the remaining window is not explained there.</p>`;
  return `<div class="why">${paras.map((p) => `<p>${h(p)}</p>`).join('\n')}</div>`;
}

/** A refuted claim, at the top of the patch page that makes or records it. */
function refutedBox(m: ReviewModel, a: PageAssets, c: RefutedClaim): string {
  const o = c.outcome;
  const replay =
    o?.status === 'crash'
      ? `<p>replay: <code>${h(replayCommand(c.id, o.schedule))}</code></p>`
      : '';
  const pic =
    o?.status === 'crash'
      ? pictureHtml(m, a, c.claimedAt, c.id, `pic-refuted-${c.claimedAt}-${c.id}`)
      : '';
  const report =
    o?.status === 'crash'
      ? `<details><summary>the report at step ${c.claimedAt}</summary><pre class="report">${h(o.report ?? '')}</pre></details>`
      : '';
  return `<section class="refuted" id="refuted-${h(c.id)}">
<h2>Refuted claim: <span class="mono">${h(c.id)}</span></h2>
<p class="claim">${h(refutedSummary(c))}</p>
${replay}
${explanation(m, c)}
${pic}
${report}
</section>`;
}

/** A patch's page: message, trailers, diffstat, diff, outcomes and their interleavings. */
export function patchPage(m: ReviewModel, a: PageAssets, step: number): string {
  const s = m.steps[step]!;
  const info = s.patch!.info;
  const n = m.steps.length - 1;
  const { text, trailers } = messageParts(s);
  const outcomes = patchOutcomes(m, step);
  const focus = outcomes.filter((po) => po.changed || po.trailer !== null || !po.after.ok);
  const still = outcomes.filter((po) => !focus.includes(po) && cellWord(po.after) === 'crash');
  const bumps =
    s.bumps.length === 0
      ? '<span class="muted">no version change</span>'
      : s.bumps.map((b) => `${h(b.name)} ${h(b.from)} &rarr; ${h(b.to)}`).join(', ');
  const claims = refutedAtPatch(m.report, step);
  // The box shows the interleaving after a refuted claim; the outcome below links to it.
  const shownAbove = (id: string) =>
    claims.some((c) => c.id === id && c.claimedAt === step && c.outcome?.status === 'crash') &&
    a.picture(step, id) !== null;
  const sections = focus.map(
    (po) => `<section class="repro" id="r-${h(po.repro.id)}">
<h3><span class="mono">${h(po.repro.id)}</span> ${po.trailer ? `<span class="muted">(${h(po.trailer)})</span>` : ''}</h3>
<p>${h(po.repro.title)}</p>
<details><summary>about this reproducer</summary><p class="doc">${h(po.repro.doc)}</p></details>
${side(m, a, step - 1, po.repro.id, 'Before')}
${side(m, a, step, po.repro.id, 'After', false, shownAbove(po.repro.id))}
</section>`,
  );
  const stillHtml = still.map(
    (
      po,
    ) => `<details class="repro" id="r-${h(po.repro.id)}"><summary><span class="mono">${h(po.repro.id)}</span>: ${h(po.after.observed ?? '')}</summary>
${side(m, a, step, po.repro.id, 'At this step', true)}
</details>`,
  );
  const cleanIds = outcomes
    .filter((po) => !focus.includes(po) && !still.includes(po))
    .map((po) => `<span id="r-${h(po.repro.id)}" class="mono">${h(po.repro.id)}</span>`);
  const changed = outcomes.filter((po) => po.changed);
  const items = [
    ...claims.map(
      (c) =>
        `<li class="refuted-mark"><a href="#refuted-${h(c.id)}" class="mono">${h(c.id)}</a>: ${h(refutedLinkText(c))}</li>`,
    ),
    ...changed.map(
      (po) =>
        `<li><a href="#r-${h(po.repro.id)}" class="mono">${h(po.repro.id)}</a>: ${WORDS[po.before.verdict ?? 'error']} &rarr; ${WORDS[po.after.verdict ?? 'error']}</li>`,
    ),
  ];
  const summary =
    items.length === 0
      ? '<p class="summary muted">No reproducer changes its outcome at this patch. <a href="#outcomes">Outcomes</a></p>'
      : `<ul class="summary">${items.join('')}</ul>`;
  const body = `<p class="muted">patch ${step} of ${n} &middot; <span class="mono">${h(s.patch!.name)}</span></p>
<h1 id="subject">${h(info.subject)}</h1>
<p class="muted">${h(info.author)} &lt;${h(info.email)}&gt; &middot; ${h(info.date)}</p>
${banners(m)}
${claims.map((c) => refutedBox(m, a, c)).join('\n')}
<div class="msg">${h(text)}</div>
<dl class="trailers">${trailers}</dl>
<p>Versions: ${bumps}</p>
${summary}
<h2 id="diff">Diff</h2>
<pre class="stat">${statHtml(s.patch!.diff)}</pre>
${diffHtml(s.patch!.diff)}
<h2 id="outcomes">Reproducers before and after</h2>
<table class="outcomes"><thead><tr><th>reproducer</th><th>step ${step - 1}</th><th></th><th>step ${step}</th><th></th><th>trailer</th><th>report</th></tr></thead>
<tbody>${outcomes.map((po) => outcomeRow(po)).join('\n')}</tbody></table>
<p class="muted legend-cells">${CELL_LEGEND}</p>
${sections.join('\n')}
${still.length > 0 ? `<h3>Still crashing at this step</h3>\n${stillHtml.join('\n')}` : ''}
${cleanIds.length > 0 ? `<p class="muted">Clean before and after: ${cleanIds.join(', ')}</p>` : ''}`;
  return page({
    title: `${step}/${n} ${info.subject}`,
    crumb: `<a href="index.html">lockstep review</a> &middot; patch ${step}/${n}: ${h(info.subject)}`,
    prev: step === 1 ? 'index.html' : patchHref(step - 1),
    next: step < n ? patchHref(step + 1) : null,
    body,
  });
}
