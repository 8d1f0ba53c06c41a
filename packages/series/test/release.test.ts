import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git } from '../src/lib/git.js';
import { startEmbeddedRegistry } from '../src/lib/registry.js';
import { fetchPackument } from '../src/lib/registry-client.js';
import { type ReleaseRecord, readReleaseRecord } from '../src/release/record.js';
import { cleanup, cli, HANG_GUARD_MS } from './helpers.js';
import { makeReleaseWorkspace, P1, P2_GOOD, releaseSeries } from './release-fixture.js';

afterEach(cleanup);

const statuses = (r: ReleaseRecord) =>
  r.steps.map((s) =>
    Object.fromEntries(s.packages.map((p) => [`${p.name}@${p.version}`, p.status])),
  );

describe('lockstep release', () => {
  it(
    'publishes step by step, stops with a record when a range admits a version without a used export, resumes, then has nothing to do',
    async () => {
      const root = await makeReleaseWorkspace();
      const recordFile = join(root, '.lockstep', 'releases.json');

      // On version line 1 (the default) both start at 1.0.0, beta with ~1.0.0 on alpha. Patch 2
      // makes beta import whisper() but bumps only beta: its range ~1.1.0 still admits alpha
      // 1.1.0, which lacks whisper. Steps 0 and 1 are published, step 2 is not.
      const first = await cli(root, 'release');
      expect(first.code, first.err).toBe(1);
      expect(first.err).toMatch(
        /error: step 2: 1 package\(s\) failed their checks; nothing of step 2 was published/,
      );
      expect(first.err).toMatch(
        /@demo\/beta@1\.0\.2: dependencies: .*@demo\/alpha@1\.1\.0.*whisper/,
      );
      const failed = readReleaseRecord(recordFile, 'embedded', 'demo')!;
      expect(failed.status).toBe('failed');
      expect(statuses(failed)).toEqual([
        { '@demo/alpha@1.0.0': 'published', '@demo/beta@1.0.0': 'published' },
        { '@demo/alpha@1.1.0': 'published', '@demo/beta@1.0.1': 'published' },
        { '@demo/beta@1.0.2': 'failed' },
      ]);
      const beta = failed.steps[2]!.packages[0]!;
      expect(beta.checks?.publint?.ok).toBe(true);
      expect(beta.checks?.attw?.ok).toBe(true);
      expect(beta.checks?.dependencies?.ok).toBe(false);
      expect(first.out).toMatch(/@demo\/beta\s+1\.0\.0\+\s+1\.0\.1\+\s+1\.0\.2!/);

      // What the record says is what the registry holds; each version names its step.
      const reg = await startEmbeddedRegistry({ dir: join(root, '.lockstep', 'registry') });
      try {
        const doc = await fetchPackument(reg.url, '@demo/beta');
        expect(Object.keys(doc!.versions).sort()).toEqual(['1.0.0', '1.0.1']);
        expect(doc!.versions['1.0.1']!.lockstep).toEqual({
          series: 'demo',
          step: 1,
          patch: P1,
          subject: 'alpha: add shout',
        });
        expect(doc!.versions['1.0.1']!.dependencies).toEqual({ '@demo/alpha': '~1.1.0' });
        // Published under the series' dist-tag, so `npm install @demo/beta@demo` gets its last step.
        expect(doc!['dist-tags']?.demo).toBe('1.0.1');
      } finally {
        await reg.stop();
      }

      // The fixed patch bumps alpha too: the release resumes at step 2.
      writeFileSync(join(root, 'patches', 'demo', 'series'), releaseSeries(P1, P2_GOOD));
      await git(['add', '--all'], { cwd: root });
      const second = await cli(root, 'release', '--json');
      expect(second.code, second.err).toBe(0);
      const [done] = JSON.parse(second.out) as ReleaseRecord[];
      expect(done!.status).toBe('complete');
      expect(statuses(done!)).toEqual([
        { '@demo/alpha@1.0.0': 'already-published', '@demo/beta@1.0.0': 'already-published' },
        { '@demo/alpha@1.1.0': 'already-published', '@demo/beta@1.0.1': 'already-published' },
        { '@demo/alpha@1.2.0': 'published', '@demo/beta@1.0.2': 'published' },
      ]);
      expect(done!.steps[2]!.packages[1]!.dependencies).toEqual({ '@demo/alpha': '~1.2.0' });
      expect(done!.versions['@demo/alpha']!['1.2.0']!.step).toBe(2);
      expect(readReleaseRecord(recordFile, 'embedded', 'demo')).toEqual(done);

      const third = await cli(root, 'release');
      expect(third.code, third.err).toBe(0);
      expect(third.err).toMatch(/nothing to publish: the registry already has all 6 versions/);
      expect(third.out).toMatch(/^nothing to publish/);
    },
    HANG_GUARD_MS,
  );

  it(
    'says clearly when a --registry does not answer',
    async () => {
      const root = await makeReleaseWorkspace();
      // A port nothing listens on: take a free one and close it again.
      const server = createServer();
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const { port } = server.address() as AddressInfo;
      await new Promise((done) => server.close(done));
      const r = await cli(root, 'release', '--registry', `http://127.0.0.1:${port}`);
      expect(r.code).toBe(1);
      expect(r.err).toBe(
        `error: the registry at http://127.0.0.1:${port}/ is not reachable\n  ECONNREFUSED\n`,
      );
    },
    HANG_GUARD_MS,
  );
});
