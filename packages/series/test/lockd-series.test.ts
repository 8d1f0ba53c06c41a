/**
 * The main job, end to end: `lockstep verify` over this repository's own series. Every step
 * must build and pass its packages' tests, and every reproducer's outcome must match what the
 * patch trailers imply. Runs only in the main tree (a materialised tree has no patches/, so
 * this test skips itself there instead of recursing), and not when LOCKSTEP_SKIP_SERIES=1.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatMatrix } from '../src/matrix.js';
import { verify } from '../src/verify.js';
import { loadWorkspace } from '../src/workspace.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const enabled =
  existsSync(join(root, 'patches', 'series')) && process.env.LOCKSTEP_SKIP_SERIES !== '1';

describe.runIf(enabled)('the lockd series (lockstep verify)', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'lockstep-verify-')), 'tree');
  afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

  it(
    'builds and tests every step, and the matrix matches the trailers',
    async () => {
      const report = await verify(await loadWorkspace(root), { dir });
      const matrix = formatMatrix(report);
      expect(report.problems, matrix).toEqual([]);
      expect(report.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      // Each patch that claims a fix changes an outcome, except the two the model shows are
      // not observable (3 and 4, never merged upstream).
      const fixedAt = report.reproducers.map((r) => r.links.fixedAt).filter((s) => s !== null);
      expect(new Set(fixedAt)).toEqual(new Set([1, 2, 5, 6]));
      const uaf = report.reproducers.find((r) => r.id === 'grant-callback-svc-wake-up-uaf')!;
      expect(uaf.cells[0]!.observed).toBe('KASAN: use-after-free Read in svc_wake_up');
      expect(uaf.cells[6]!.observed).toBeNull();
      // After the fix, the race was searched with preemption bound 2 and nothing failed.
      const after = report.steps[6]!.outcomes.find((o) => o.id === uaf.id)!;
      expect(after.explored?.preemptionBound).toBe(2);
      expect(after.explored?.schedules).toBeGreaterThan(1000);
    },
    30 * 60_000,
  );
});
