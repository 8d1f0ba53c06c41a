/**
 * The install lines `lockstep registry` prints: a step's lockd, the other packages of the
 * series' version line at that step, and the reproducers; the .npmrc line once for all series.
 */
import { describe, expect, it } from 'vitest';
import type { Packument } from '../src/lib/registry-client.js';
import { formatServing, installCommand, publishedSteps } from '../src/registry/command.js';

/** A packument whose versions are stamped with (series, step). */
function doc(name: string, versions: Array<[string, string, number]>): Packument {
  return {
    name,
    versions: Object.fromEntries(
      versions.map(([version, series, step]) => [
        version,
        { name, version, lockstep: { series, step, patch: null, subject: `step ${step}` } },
      ]),
    ),
  };
}

// Series "b" on line 2: lockd changes at steps 0, 1, 3; sunrpc at 0, 2, 3. Step 2 keeps lockd
// 2.0.1, whose ~2.0.0 range on sunrpc would take 2.0.2 (step 3's): the line names sunrpc too.
const docs: Packument[] = [
  doc('@lockstep/kernel', [['0.1.0', 'a', 0]]),
  doc('@lockstep/lockd', [
    ['1.0.0', 'a', 0],
    ['2.0.0', 'b', 0],
    ['2.0.1', 'b', 1],
    ['2.0.2', 'b', 3],
  ]),
  doc('@lockstep/sunrpc', [
    ['1.0.0', 'a', 0],
    ['2.0.0', 'b', 0],
    ['2.0.1', 'b', 2],
    ['2.0.2', 'b', 3],
  ]),
  doc('@lockstep/reproducers', [
    ['1.0.0', 'a', 0],
    ['2.0.0', 'b', 0],
  ]),
];

describe('lockstep registry install lines', () => {
  it('names the step of every package on the series line, and nothing of another series', () => {
    const steps = publishedSteps(docs, 'b');
    expect(steps.map((s) => installCommand(s, '@lockstep/lockd'))).toEqual([
      'npm install @lockstep/lockd@2.0.0 @lockstep/sunrpc@2.0.0 @lockstep/reproducers@2.0.0',
      'npm install @lockstep/lockd@2.0.1 @lockstep/sunrpc@2.0.0 @lockstep/reproducers@2.0.0',
      'npm install @lockstep/lockd@2.0.1 @lockstep/sunrpc@2.0.1 @lockstep/reproducers@2.0.0',
      'npm install @lockstep/lockd@2.0.2 @lockstep/sunrpc@2.0.2 @lockstep/reproducers@2.0.0',
    ]);
    // kernel is shared (0.x, stamped by series a, which published it first): never named.
    expect(steps[0]!.line).toEqual([
      '@lockstep/lockd',
      '@lockstep/reproducers',
      '@lockstep/sunrpc',
    ]);
  });

  it('prints the .npmrc line once, then each series', () => {
    const text = formatServing(
      'http://127.0.0.1:4873/',
      '/x/.lockstep/registry',
      ['a', 'b'].map((series) => ({ series, steps: publishedSteps(docs, series) })),
      '@lockstep/lockd',
    );
    expect(text.match(/@lockstep:registry=/g)).toHaveLength(1);
    expect(text).toContain('Series a (npm dist-tag a');
    expect(text).toContain('Series b (npm dist-tag b');
    expect(text).toContain(
      '  step 0  npm install @lockstep/lockd@1.0.0 @lockstep/sunrpc@1.0.0 @lockstep/reproducers@1.0.0',
    );
    expect(text).toContain('--good 2.0.0 --bad 2.0.2 --registry http://127.0.0.1:4873/ --series b');
  });
});
