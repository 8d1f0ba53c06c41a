/**
 * The main job, end to end: `lockstep verify` over this repository's own series (try #6 and
 * the merged series, one run shared by both tests). Every step
 * must build and pass its packages' tests, and every reproducer's outcome must match what the
 * patch trailers imply (the claims minus the refutations the series records). Runs only in the main tree (a materialised tree has no patches/, so
 * this test skips itself there instead of recursing), and not when LOCKSTEP_SKIP_SERIES=1.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatMatrix, formatVerify } from '../src/verify/matrix.js';
import { reproducerHistory } from '../src/verify/side-by-side.js';
import { verifyFile } from '../src/verify/verify.js';
import { HANG_GUARD_MS } from './helpers.js';
import { seriesReportOfThisRun } from './series-run.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const enabled =
  existsSync(join(root, 'patches', 'lockd-try6', 'series')) &&
  process.env.LOCKSTEP_SKIP_SERIES !== '1';

describe.runIf(enabled)('the lockd series (lockstep verify)', () => {
  it(
    'builds and tests every step, and the matrix matches the trailers',
    async () => {
      // From a fresh tree, once per test run (the browser test shares it: series-run.ts).
      const { report } = await seriesReportOfThisRun(root);
      const matrix = formatMatrix(report);
      expect(report.problems, matrix).toEqual([]);
      expect(report.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      // Each patch that claims a fix changes an outcome or has its claim refuted, except the
      // two the model shows are not observable (3 and 4, never merged upstream).
      const claimed = report.reproducers.flatMap((r) => [
        ...(r.links.fixedAt === null ? [] : [r.links.fixedAt]),
        ...r.links.refuted.map((x) => x.claimedAt),
      ]);
      expect(new Set(claimed)).toEqual(new Set([1, 2, 5, 6]));
      const uaf = report.reproducers.find((r) => r.id === 'grant-callback-svc-wake-up-uaf')!;
      expect(uaf.cells[0]!.observed).toBe('KASAN: use-after-free Read in svc_wake_up');
      // Every cell says what it shows; a crash names the phase that found it, after how many
      // schedules, and its replay; a clean-exhausted cell names a space a phase covered.
      for (const s of report.steps)
        for (const o of s.outcomes) {
          const cell = report.reproducers.find((r) => r.id === o.id)!.cells[s.step]!;
          expect(cell.verdict, `${o.id} at ${s.step}`).toMatch(
            /^(crash|clean-exhausted|clean-searched)$/,
          );
          if (o.status === 'crash' && o.explored !== undefined) {
            expect(o.explored.foundBy, `${o.id} at ${s.step}`).toBeTruthy();
            expect(o.explored.schedulesToFind, `${o.id} at ${s.step}`).toBeGreaterThanOrEqual(1);
            expect(o.schedule).toMatch(/^v1:/);
          }
          if (cell.verdict === 'clean-exhausted') {
            expect(o.explored?.space, `${o.id} at ${s.step}`).toBeTruthy();
            expect(o.explored?.phases?.some((p) => p.exhausted === true)).toBe(true);
          }
        }
      // Patch 6 was posted as the fix for the use-after-free. Where the series records that
      // the model refutes it, verify's own section says how the run still crashes after it.
      if (uaf.links.refuted.length > 0) {
        expect(uaf.cells[6]!.verdict).toBe('crash');
        expect(matrix).toMatch(/^Refuted claims: \d+/m);
        expect(matrix).toContain(
          `  ${uaf.id}: claimed fixed by 6 (NLM: Add reference counting to lockd), still crashes at 6: KASAN: use-after-free Read in svc_wake_up, found by ${report.steps[6]!.outcomes.find((o) => o.id === uaf.id)!.explored!.foundBy} after `,
        );
      } else expect(uaf.cells[6]!.observed).toBeNull();
    },
    HANG_GUARD_MS,
  );

  it(
    'verifies the merged series in the same run: its matrix matches the trailers, and the upstream story shows',
    async () => {
      const { reports } = await seriesReportOfThisRun(root);
      const merged = reports.find((r) => r.series === 'lockd-merged');
      expect(merged, 'no report of patches/lockd-merged').toBeDefined();
      const matrix = formatMatrix(merged!);
      expect(merged!.problems, matrix).toEqual([]);
      expect(merged!.steps).toHaveLength(14);
      // d751a7cd (step 9) made lockd_up return before lockd runs; abd1ec4e (step 12) closed
      // the rapid lockd_up/lockd_down race, as its changelog says.
      expect(reproducerHistory(merged!, 'lockd-down-before-lockd-ran')).toBe(
        'introduced by 9, fixed by 12',
      );
      expect(merged!.steps[9]!.subject).toBe('NLM: Convert lockd to use kthreads');
      // The same reproducers ran on both series, and verify compares them side by side.
      const try6 = reports.find((r) => r.series === 'lockd-try6')!;
      expect(merged!.reproducers.map((r) => r.id).sort()).toEqual(
        try6.reproducers.map((r) => r.id).sort(),
      );
      expect(formatVerify(verifyFile(reports, 1))).toContain(
        '== side by side: lockd-merged and lockd-try6 (both on linux v2.6.24)',
      );
    },
    HANG_GUARD_MS,
  );
});
