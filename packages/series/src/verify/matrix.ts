import { refutedClaims, refutedLine, refutedLinkText, stepList } from './refuted.js';
import { comparablePairs, formatSideBySide } from './side-by-side.js';
import { cleanText, MARKS, MEANINGS } from './verdict.js';
import type { Cell, VerifyFile, VerifyReport } from './verify.js';

/** One mark per cell (see LEGEND); `!` after it marks a cell that differs from the trailers. */
function mark(c: Cell): string {
  const m = MARKS[c.verdict ?? 'error'];
  return c.ok ? m : `${m}!`;
}

/** The matrix legend: each mark and what it claims. */
export const LEGEND = [
  `${MARKS.crash} crash: ${MEANINGS.crash}`,
  `${MARKS['clean-exhausted']} clean, exhausted: ${MEANINGS['clean-exhausted']}`,
  `${MARKS['clean-searched']} clean, searched: ${MEANINGS['clean-searched']}`,
  `${MARKS.error} reproducer error   ! differs from what the trailers imply`,
  'On the right, what the trailers claim ("fixed by N": patch N claims the fix), and how the clean cells from the fix on were shown.',
];

/**
 * How the clean cells from a claimed fix on were shown: "(exhausted)" when every one covered
 * its stated space, "(searched, not proven)" when any is only searched.
 */
function fixEvidence(cells: readonly Cell[] | undefined, from: number): string {
  const after = (cells ?? []).slice(from).filter((c) => c.observed === null);
  if (after.length === 0) return '';
  return after.every((c) => c.verdict === 'clean-exhausted')
    ? ' (exhausted)'
    : ' (searched, not proven)';
}

/**
 * How the series links to a reproducer, in words: "fixed by 6 (searched, not proven)", "named
 * by 3, not observable", "claimed fixed by 6, refuted". These are the trailers' claims, with
 * (when the row's cells are given) how the clean cells after a fix were shown.
 */
export function linkText(
  r: Pick<VerifyReport['reproducers'][number], 'links'> & { cells?: readonly Cell[] },
): string {
  const parts: string[] = [];
  const { introducedAt, fixedAt } = r.links;
  const reintroduced = introducedAt !== null && fixedAt !== null && introducedAt > fixedAt;
  if (introducedAt !== null && !reintroduced) parts.push(`introduced by ${introducedAt}`);
  for (const x of r.links.refuted ?? []) parts.push(refutedLinkText(x));
  if (fixedAt !== null) {
    const cells = reintroduced ? r.cells?.slice(0, introducedAt) : r.cells;
    parts.push(`fixed by ${fixedAt}${fixEvidence(cells, fixedAt)}`);
  }
  if (reintroduced) parts.push(`reintroduced by ${introducedAt}`);
  for (const s of r.links.notObservableAt) parts.push(`named by ${s}, not observable`);
  if (parts.length === 0) parts.push('not fixed by this series');
  return parts.join(', ');
}

/** verify's own section: every refuted claim, from what the run observed. */
export function formatRefuted(report: VerifyReport): string[] {
  const claims = refutedClaims(report);
  if (claims.length === 0) return ['Refuted claims: none recorded'];
  return [
    `Refuted claims: ${claims.length} (a patch claims a fix; the model shows the bug is still there)`,
    ...claims.map((c) => `  ${refutedLine(c)}`),
  ];
}

/** Each reproducer's clean cells, consecutive steps that showed the same thing together. */
function cleanCells(report: VerifyReport): string[] {
  const lines: string[] = [];
  for (const r of report.reproducers) {
    const groups: Array<{ steps: number[]; text: string }> = [];
    for (const s of report.steps) {
      const o = s.outcomes.find((x) => x.id === r.id);
      if (o === undefined || o.status !== 'clean') continue;
      const text = cleanText(o);
      const last = groups.at(-1);
      if (last !== undefined && last.text === text && last.steps.at(-1) === s.step - 1)
        last.steps.push(s.step);
      else groups.push({ steps: [s.step], text });
    }
    for (const g of groups)
      lines.push(
        `  ${r.id} at ${g.steps.length === 1 ? 'step' : 'steps'} ${stepList(g.steps)}: ${g.text}`,
      );
  }
  return lines;
}

/** The verify matrix for a terminal: reproducers by steps, legend, refuted claims, details. */
export function formatMatrix(report: VerifyReport): string {
  const n = report.steps.length;
  const idW = Math.max(10, ...report.reproducers.map((r) => r.id.length)) + 2;
  const lines: string[] = [];
  lines.push(
    `${'reproducer'.padEnd(idW)}${report.steps.map((s) => String(s.step).padEnd(4)).join('')}`,
  );
  for (const r of report.reproducers) {
    const cells = r.cells.map((c) => mark(c).padEnd(4)).join('');
    lines.push(`${r.id.padEnd(idW)}${cells}${linkText(r)}`);
  }
  lines.push('', ...LEGEND, '', ...formatRefuted(report), '');
  lines.push('crash titles:');
  for (const r of report.reproducers) {
    const seen = new Set(r.cells.map((c) => c.observed).filter((t): t is string => t !== null));
    lines.push(`  ${r.id}: ${seen.size > 0 ? [...seen].join(' | ') : `clean at all ${n} steps`}`);
  }
  const clean = cleanCells(report);
  if (clean.length > 0) lines.push('', 'clean cells, as shown:', ...clean);
  lines.push('', 'steps:');
  for (const s of report.steps) {
    const what = s.patch === null ? 'base' : `${s.patch}`;
    const b = s.build;
    lines.push(
      `  ${s.step}  ${what}: ${b.ok ? 'built and tested' : 'FAILED'} in ${(b.ms / 1000).toFixed(1)} s (${b.cached}/${b.tasks} turbo tasks cached)`,
    );
  }
  lines.push('');
  const refuted = refutedClaims(report).length;
  if (report.ok)
    lines.push(
      `verify: the observed matrix matches the trailers, claims minus recorded refutations` +
        `${refuted > 0 ? ` (${refuted} refuted claim${refuted === 1 ? '' : 's'}, listed above)` : ''}` +
        ` (${(report.ms / 1000).toFixed(1)} s)`,
    );
  else
    lines.push(
      `verify: ${report.problems.length} problem(s):`,
      ...report.problems.map((p) => `  ${p}`),
    );
  return `${lines.join('\n')}\n`;
}

/**
 * What verify prints: one matrix per series, headed by its name and base, then a summary
 * line per series (its refuted claims counted, so they stay prominent) and the overall result.
 */
export function formatVerify(file: VerifyFile): string {
  const parts = file.series.map((r) => {
    const head = `== series ${r.series}${r.title ? `: ${r.title}` : ''}${r.base ? ` (on ${r.base})` : ''}`;
    return `${head}\n\n${formatMatrix(r)}`;
  });
  const sides = comparablePairs(file.series).map(([a, b]) => formatSideBySide(a, b));
  const summary = ['summary:'];
  for (const r of file.series) {
    const refuted = refutedClaims(r).length;
    summary.push(
      `  ${r.series}: ${r.steps.length} steps, ${r.reproducers.length} reproducers, ` +
        `${r.ok ? 'matches the trailers' : `${r.problems.length} problem(s)`}` +
        `${refuted > 0 ? `, ${refuted} refuted claim${refuted === 1 ? '' : 's'}` : ''} (${(r.ms / 1000).toFixed(1)} s)`,
    );
  }
  summary.push(
    file.ok
      ? `verify: every series matches its trailers (${(file.ms / 1000).toFixed(1)} s)`
      : `verify: ${file.problems.length} problem(s) in ${file.series.filter((r) => !r.ok).length} series`,
  );
  return `${[...parts, ...sides].join('\n')}\n${summary.join('\n')}\n`;
}
