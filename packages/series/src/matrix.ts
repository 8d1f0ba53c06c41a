import type { VerifyReport } from './verify.js';

/** One character per cell: X crash, . clean; upper-case ! marks a cell that differs. */
function mark(observed: string | null, ok: boolean): string {
  const c = observed === null ? '.' : observed.startsWith('error:') ? 'E' : 'X';
  return ok ? c : `${c}!`;
}

/** How the series links to a reproducer, in words: "fixed by 6", "named by 3, not observable". */
export function linkText(r: Pick<VerifyReport['reproducers'][number], 'links'>): string {
  const parts: string[] = [];
  if (r.links.introducedAt !== null) parts.push(`introduced by ${r.links.introducedAt}`);
  if (r.links.fixedAt !== null) parts.push(`fixed by ${r.links.fixedAt}`);
  for (const s of r.links.notObservableAt) parts.push(`named by ${s}, not observable`);
  if (parts.length === 0) parts.push('not fixed by this series');
  return parts.join(', ');
}

/** The verify matrix for a terminal: reproducers by steps, then titles and notes. */
export function formatMatrix(report: VerifyReport): string {
  const n = report.steps.length;
  const idW = Math.max(10, ...report.reproducers.map((r) => r.id.length)) + 2;
  const lines: string[] = [];
  lines.push(
    `${'reproducer'.padEnd(idW)}${report.steps.map((s) => String(s.step).padEnd(4)).join('')}`,
  );
  for (const r of report.reproducers) {
    const cells = r.cells.map((c) => mark(c.observed, c.ok).padEnd(4)).join('');
    lines.push(`${r.id.padEnd(idW)}${cells}${linkText(r)}`);
  }
  lines.push(
    '',
    'X crash   . clean   E reproducer error   ! differs from what the trailers imply',
    '',
  );
  lines.push('crash titles:');
  for (const r of report.reproducers) {
    const seen = new Set(r.cells.map((c) => c.observed).filter((t): t is string => t !== null));
    lines.push(`  ${r.id}: ${seen.size > 0 ? [...seen].join(' | ') : `clean at all ${n} steps`}`);
  }
  const coverage: string[] = [];
  for (const s of report.steps)
    for (const o of s.outcomes)
      if (o.status === 'clean' && o.explored)
        coverage.push(
          `  step ${s.step} ${o.id}: ${o.explored.strategy}` +
            `${o.explored.preemptionBound !== undefined ? ` (preemption bound ${o.explored.preemptionBound})` : ''}` +
            `, ${o.explored.schedules} schedules${o.explored.exhausted ? ' (the whole bounded space)' : ''}, none failing`,
        );
  if (coverage.length > 0) lines.push('', 'clean races, as explored:', ...coverage);
  lines.push('', 'steps:');
  for (const s of report.steps) {
    const what = s.patch === null ? 'base' : `${s.patch}`;
    const b = s.build;
    lines.push(
      `  ${s.step}  ${what}: ${b.ok ? 'built and tested' : 'FAILED'} in ${(b.ms / 1000).toFixed(1)} s (${b.cached}/${b.tasks} turbo tasks cached)`,
    );
  }
  lines.push('');
  if (report.ok)
    lines.push(
      `verify: the observed matrix matches the trailers (${(report.ms / 1000).toFixed(1)} s)`,
    );
  else
    lines.push(
      `verify: ${report.problems.length} problem(s):`,
      ...report.problems.map((p) => `  ${p}`),
    );
  return `${lines.join('\n')}\n`;
}
