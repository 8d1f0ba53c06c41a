/**
 * Two series over the same base, compared by what verify observed: for each step, the
 * reproducers it fixes (a crash before, clean after) or introduces (clean before, a crash
 * after), and for each reproducer, the steps of each series that changed it. The review site's
 * comparison pages and verify's text output are both built from these.
 */
import type { VerifyReport } from './verify.js';

/** What one step changes, from the observed cells. */
export interface StepChange {
  step: number;
  patch: string | null;
  subject: string | null;
  fixes: string[];
  introduces: string[];
}

export function stepChanges(r: VerifyReport): StepChange[] {
  return r.steps.map((s, i) => {
    const fixes: string[] = [];
    const introduces: string[] = [];
    if (i > 0)
      for (const row of r.reproducers) {
        const before = row.cells[i - 1]?.observed ?? null;
        const after = row.cells[i]?.observed ?? null;
        if (before !== null && after === null) fixes.push(row.id);
        if (before === null && after !== null) introduces.push(row.id);
      }
    return { step: s.step, patch: s.patch, subject: s.subject, fixes, introduces };
  });
}

/** Pairs of series over the same base, in name order: the comparisons worth making. */
export function comparablePairs(reports: readonly VerifyReport[]): [VerifyReport, VerifyReport][] {
  const out: [VerifyReport, VerifyReport][] = [];
  const sorted = [...reports].sort((x, y) => (x.series < y.series ? -1 : 1));
  for (const [i, a] of sorted.entries())
    for (const b of sorted.slice(i + 1))
      if (a.base !== undefined && a.base === b.base) out.push([a, b]);
  return out;
}

/**
 * One reproducer's history in one series, in words: the steps that fixed or introduced it in
 * order ("fixed by 2", "introduced by 9, fixed by 12"), or, when no step changed it, whether
 * it crashes or stays clean throughout; "not run" when the series has no such reproducer.
 */
export function reproducerHistory(r: VerifyReport, id: string): string {
  const row = r.reproducers.find((x) => x.id === id);
  if (row === undefined) return 'not run';
  const events = stepChanges(r).flatMap((c) => [
    ...(c.introduces.includes(id) ? [`introduced by ${c.step}`] : []),
    ...(c.fixes.includes(id) ? [`fixed by ${c.step}`] : []),
  ]);
  if (events.length > 0) return events.join(', ');
  return row.cells[0]?.observed != null ? 'crashes at every step' : 'clean at every step';
}

/** The text table verify prints for two series over the same base. */
export function formatSideBySide(a: VerifyReport, b: VerifyReport): string {
  const ids = [...new Set([...a.reproducers, ...b.reproducers].map((r) => r.id))];
  const rows = ids.map((id) => [id, reproducerHistory(a, id), reproducerHistory(b, id)]);
  const head = ['reproducer', a.series, b.series];
  const width = [0, 1].map((c) => Math.max(...[head, ...rows].map((r) => r[c]!.length)) + 2);
  const line = (r: string[]) => `${r[0]!.padEnd(width[0]!)}${r[1]!.padEnd(width[1]!)}${r[2]}`;
  return [
    `== side by side: ${a.series} and ${b.series} (both on ${a.base}), as verify observed them`,
    '',
    line(head),
    ...rows.map(line),
    '',
    '"fixed by N": a crash at step N-1 and clean at N; "introduced by N": clean at N-1, a crash at N.',
    'A clean cell is evidence, not proof, unless its matrix above marks it = (exhausted).',
    '',
  ].join('\n');
}
