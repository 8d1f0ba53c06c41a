/**
 * The required end-to-end test of several series: two series patch the same package; both
 * release to the embedded registry on their own version lines and dist-tags, and
 * `bisect --package` on each names the step of that series that changed the outcome.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRegistry } from '../src/lib/registry.js';
import { fetchPackument } from '../src/lib/registry-client.js';
import { type ReleaseRecord, readReleaseRecords } from '../src/release/record.js';
import { cleanup, cli, HANG_GUARD_MS } from './helpers.js';
import { BUG_TITLE, makeTwoSeriesWorkspace, REPRO } from './two-series-fixture.js';

let root: string;
let records: ReleaseRecord[];

beforeAll(async () => {
  root = await makeTwoSeriesWorkspace();
  const r = await cli(root, 'release', '--json');
  if (r.code !== 0) throw new Error(`lockstep release failed:\n${r.err}`);
  records = JSON.parse(r.out) as ReleaseRecord[];
}, HANG_GUARD_MS);
afterAll(cleanup);

const LOCKD = '@lockstep/lockd';
const versionsOf = (r: ReleaseRecord, name: string) => r.steps.map((s) => s.versions[name]);

describe('two series that patch the same package', () => {
  it(
    'release on disjoint version lines, sharing the packages neither patches',
    async () => {
      expect(records.map((r) => [r.series, r.versionLine, r.status])).toEqual([
        ['fix-early', 2, 'complete'],
        ['fix-late', 1, 'complete'],
      ]);
      const [early, late] = records as [ReleaseRecord, ReleaseRecord];
      expect(versionsOf(late, LOCKD)).toEqual(['1.0.0', '1.0.1', '1.1.0']);
      expect(versionsOf(early, LOCKD)).toEqual(['2.0.0', '2.1.0', '2.1.1']);
      // machine and reproducers depend on lockd at run time: they are on the lines too, and
      // stay at N.0.0 (their peer ranges ^N.0.0 accept every lockd of the line).
      expect(versionsOf(late, '@lockstep/machine')).toEqual(['1.0.0', '1.0.0', '1.0.0']);
      expect(versionsOf(early, '@lockstep/reproducers')).toEqual(['2.0.0', '2.0.0', '2.0.0']);
      // The kernel, which neither patches, keeps its version: published once, then shared.
      expect(versionsOf(early, '@lockstep/kernel')).toEqual(['0.1.0', '0.1.0', '0.1.0']);
      const kernel = (r: ReleaseRecord) =>
        r.steps[0]!.packages.find((p) => p.name === '@lockstep/kernel');
      expect(kernel(early)?.status).toBe('published');
      expect(kernel(late)?.status).toBe('already-published');
      expect(readReleaseRecords(join(root, '.lockstep', 'releases.json'), 'embedded')).toEqual(
        records,
      );

      const reg = await startEmbeddedRegistry({ dir: join(root, '.lockstep', 'registry') });
      try {
        const lockd = (await fetchPackument(reg.url, LOCKD))!;
        expect(lockd['dist-tags']).toMatchObject({ 'fix-late': '1.1.0', 'fix-early': '2.1.1' });
        expect(lockd.versions['2.1.0']!.lockstep).toMatchObject({ series: 'fix-early', step: 1 });
        const machine = (await fetchPackument(reg.url, '@lockstep/machine'))!;
        expect(machine.versions['1.0.0']!.peerDependencies).toMatchObject({ [LOCKD]: '^1.0.0' });
        expect(machine.versions['2.0.0']!.peerDependencies).toMatchObject({ [LOCKD]: '^2.0.0' });
      } finally {
        await reg.stop();
      }

      // A second release has nothing to do for either series.
      const again = await cli(root, 'release');
      expect(again.code, again.err).toBe(0);
      expect(again.out.match(/^nothing to publish/gm)).toHaveLength(2);
    },
    HANG_GUARD_MS,
  );

  it.each([
    ['fix-late', '1.0.0', '1.1.0', '1.1.0', 2],
    ['fix-early', '2.0.0', '2.1.1', '2.1.0', 1],
  ])(
    'bisect --package --series %s names the step of that series',
    async (series, good, bad, first, step) => {
      const r = await cli(
        root,
        'bisect',
        REPRO,
        '--package',
        LOCKD,
        '--series',
        series,
        '--good',
        good,
        '--bad',
        bad,
        '--json',
      );
      expect(r.code, r.err).toBe(0);
      const result = JSON.parse(r.out);
      expect(result).toMatchObject({
        firstVersion: first,
        step,
        patch: `${series}/000${step}-lockd-fix-the-use-after-free.patch`,
        before: BUG_TITLE,
        after: 'clean',
      });
      // Only that series' versions were candidates, and each probe ran with its own machine.
      for (const p of result.probes as { version: string; installed: Record<string, string> }[]) {
        expect(p.version.split('.')[0]).toBe(good.split('.')[0]);
        expect(p.installed['@lockstep/machine']).toBe(`${good.split('.')[0]}.0.0`);
      }
    },
    HANG_GUARD_MS,
  );

  it(
    'refuses a --series whose versions the package does not have',
    async () => {
      const r = await cli(
        root,
        'bisect',
        REPRO,
        '--package',
        LOCKD,
        '--series',
        'nope',
        '--good',
        '1.0.0',
        '--bad',
        '1.1.0',
      );
      expect(r.code).toBe(2);
      expect(r.err).toBe("error: unknown series 'nope'\n  the series: fix-early, fix-late\n");
    },
    HANG_GUARD_MS,
  );
});
