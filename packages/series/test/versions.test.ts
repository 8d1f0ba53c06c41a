import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanup,
  cli,
  demoSeries,
  ENTRY1,
  ENTRY2,
  mailPatch,
  makeWorkspace,
  PATCH1,
  PATCH2,
} from './helpers.js';

afterEach(cleanup);

const BETA =
  '{\n  "name": "@demo/beta",\n  "version": "1.0.0",\n  "dependencies": {\n    "@demo/alpha": "^0.1.0"\n  }\n}\n';

const changesetPatch = (id: string, body: string) => {
  const lines = body.split('\n');
  return mailPatch(
    `add changeset ${id}`,
    `diff --git a/.changeset/${id}.md b/.changeset/${id}.md
new file mode 100644
index 000000000000..111111111111
--- /dev/null
+++ b/.changeset/${id}.md
@@ -0,0 +1,${lines.length} @@
${lines.map((l) => `+${l}`).join('\n')}
`,
  );
};

describe('lockstep series', () => {
  it('lists steps with subjects, trailers and versions computed from the changesets', async () => {
    const root = await makeWorkspace();
    const r = await cli(root, 'series', '--json');
    expect(r.code, r.err).toBe(0);
    const { steps } = JSON.parse(r.out).series[0];
    expect(steps.map((s: { versions: unknown }) => s.versions)).toEqual([
      { '@demo/alpha': '1.0.0' },
      { '@demo/alpha': '1.1.0' },
      { '@demo/alpha': '1.1.1' },
    ]);
    expect(steps[0]).toMatchObject({ step: 0, patch: null, changesets: [], bumps: [] });
    expect(steps[1]).toMatchObject({
      step: 1,
      patch: PATCH1,
      subject: 'alpha: punctuate the greeting',
      author: 'Ada Example',
      email: 'ada@example.org',
      date: 'Tue, 5 Feb 2008 10:00:00 -0500',
      fixesReproducers: ['demo-greeting'],
      introducesReproducers: [],
      signedOffBy: ['Ada Example <ada@example.org>'],
      changesets: [
        {
          id: 'alpha-greeting',
          summary: 'greet() punctuates its greeting.',
          releases: [{ name: '@demo/alpha', type: 'minor' }],
        },
      ],
      bumps: [{ name: '@demo/alpha', from: '1.0.0', to: '1.1.0', type: 'minor' }],
    });
    expect(steps[2]).toMatchObject({
      fixesReproducers: ['demo-count'],
      introducesReproducers: ['demo-whisper'],
      bumps: [{ name: '@demo/alpha', from: '1.1.0', to: '1.1.1', type: 'patch' }],
    });
    expect(steps[1].body).toContain('greet() now ends its greeting');
  });

  it('prints a readable table', async () => {
    const r = await cli(await makeWorkspace(), 'series');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`demo: The demo series
  patches/demo/series: 2 patches on demo 0.1
  packages: @demo/alpha; version line 1 (npm dist-tag demo)

   0  base
   1  ${PATCH1}
      alpha: punctuate the greeting
      @demo/alpha 1.0.0 -> 1.1.0 (minor)
      fixes reproducer demo-greeting
   2  ${PATCH2}
      alpha: count two and trail off when whispering
      @demo/alpha 1.1.0 -> 1.1.1 (patch)
      fixes reproducer demo-count
      introduces reproducer demo-whisper

package      step 0  step 1  step 2
@demo/alpha  1.0.0   1.1.0   1.1.1
`);
  });

  it('bumps dependents like changeset version, carrying rewritten ranges to later steps', async () => {
    const root = await makeWorkspace({ files: { 'packages/beta/package.json': BETA } });
    const more = changesetPatch('alpha-more', '---\n"@demo/alpha": minor\n---\n\nMore.');
    writeFileSync(join(root, 'patches/demo/0003-more.patch'), more);
    writeFileSync(join(root, 'patches/demo/series'), demoSeries(ENTRY1, ENTRY2, '0003-more.patch'));
    const r = await cli(root, 'series', '--json');
    expect(r.code, r.err).toBe(0);
    const { steps } = JSON.parse(r.out).series[0];
    // 1.1.0 leaves beta's ^1.0.0, so beta gets a patch release whose range becomes ^1.1.0;
    // alpha 1.1.1 stays inside ^1.1.0, so beta is not bumped at step 2; 1.2.0 leaves it again.
    expect(steps.map((s: { versions: unknown }) => s.versions)).toEqual([
      { '@demo/alpha': '1.0.0', '@demo/beta': '1.0.0' },
      { '@demo/alpha': '1.1.0', '@demo/beta': '1.0.1' },
      { '@demo/alpha': '1.1.1', '@demo/beta': '1.0.1' },
      { '@demo/alpha': '1.2.0', '@demo/beta': '1.0.2' },
    ]);
    expect(steps[1].bumps).toContainEqual({
      name: '@demo/beta',
      from: '1.0.0',
      to: '1.0.1',
      type: 'patch',
    });
  });

  it('reports a changeset that names an unknown package or is malformed', async () => {
    const root = await makeWorkspace();
    writeFileSync(
      join(root, 'patches/demo/0003-x.patch'),
      changesetPatch('bad', '---\n"@demo/nope": patch\n---\n\nNope.'),
    );
    writeFileSync(join(root, 'patches/demo/series'), demoSeries(ENTRY1, ENTRY2, '0003-x.patch'));
    const r = await cli(root, 'series');
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toBe(
      "error: patch demo/0003-x.patch: .changeset/bad.md names '@demo/nope', which is not a workspace package at step 3",
    );
    writeFileSync(
      join(root, 'patches/demo/0003-x.patch'),
      changesetPatch('bad', '---\n"@demo/alpha": huge\n---\n\nNope.'),
    );
    const m = await cli(root, 'series');
    expect(m.code).toBe(1);
    expect(m.err.split('\n')[0]).toBe(
      'error: patch demo/0003-x.patch: .changeset/bad.md is not a valid changeset',
    );
  });
});
