import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LanesJson } from '../src/review/svg.js';
import { textInterleaving } from '../src/show/lanes.js';
import { cleanup, cli } from './helpers.js';
import { type ReviewFixture, reviewFixture } from './review-fixture.js';

let fx: ReviewFixture;
beforeAll(async () => {
  fx = await reviewFixture();
});
afterAll(cleanup);

describe('lockstep show', () => {
  it('prints the patch like git show, then the outcomes and the reports it changes', async () => {
    const r = await cli(fx.root, 'show', '2', '--color', 'never');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const patch = readFileSync(
      join(fx.root, 'patches/demo/0002-alpha-count-two-and-trail-off-when-whispering.patch'),
      'utf8',
    );
    const diff = patch.slice(patch.indexOf('diff --git '), patch.lastIndexOf('\n-- \n') + 1);
    expect(r.out).toContain('Author: Bob Example <bob@example.org>');
    expect(r.out).toContain('    alpha: count two and trail off when whispering');
    expect(r.out).toContain('    Fixes-reproducer: demo-count');
    expect(r.out).toContain(' 2 files changed, 7 insertions(+), 2 deletions(-)');
    expect(r.out).toContain(diff.trimEnd()); // the diff as the patch file has it
    // Each cell in words: a race clean over its whole bounded space is exhausted, the one
    // default run of a single reproducer is only searched.
    expect(r.out).toMatch(/demo-count\s+crash\s+-> clean, exhausted\s+Fixes-reproducer/);
    expect(r.out).toMatch(/demo-whisper\s+clean, searched\s+-> crash\s+Introduces-reproducer/);
    expect(r.out).toContain(
      'clean, searched: the schedule budgets ran out with no failure: evidence, not proof',
    );
    expect(r.out).not.toContain('Refuted claim');
    // The use-after-free before the fix: its report and the end of its interleaving, which
    // keeps the freed object's kmalloc and kfree and ends at the report.
    expect(r.out).toContain(`==> demo-count, before (step 1): ${fx.uafTitle}`);
    expect(r.out).toContain(
      "found by pct d=3 seed=1 after 17 schedules; replay: lockstep-repro demo-count --replay 'v1:'",
    );
    expect(r.out).toContain('BUG: KASAN: use-after-free in svc_wake_up');
    expect(r.out).toMatch(/kmalloc svc_serv \(the object\)/);
    expect(r.out).toMatch(/kfree svc_serv \(the object\)/);
    expect(r.out).toContain('*** KASAN: use-after-f');
    expect(r.out).toContain(
      'demo-count after the patch: clean, exhausted: every schedule with at most 2 preemptions (12 schedules)',
    );
    expect(r.out).toContain('a proof within that space only');
    expect(r.out).toContain(`==> demo-whisper, after (step 2): ${fx.abbaTitle}`);
    expect(r.out).toContain('.lockstep/traces/step-2/demo-whisper.trace.json');
    expect(r.out).not.toContain('\x1b[');
  });

  it('colours on request, leaves the diff out with --no-diff, and shows the base', async () => {
    const c = await cli(
      fx.root,
      'show',
      'step-2',
      '--color',
      'always',
      '--no-diff',
      '--events',
      '0',
    );
    expect(c.code).toBe(0);
    expect(c.out).toContain('\x1b[');
    expect(c.out).not.toContain('diff --git');
    expect(c.out).not.toContain('interleaving, up to the report');
    const base = await cli(fx.root, 'show', '0');
    expect(base.code).toBe(0);
    expect(base.out).toContain('step 0 of 2: the base');
    expect(base.out).toMatch(/demo-greeting\s+crash\s+greeting lacks its mark/);
    expect(base.out).toMatch(/demo-whisper\s+clean, searched\s*\n/);
    expect(base.out).toContain(`==> demo-count, at the base (step 0): ${fx.uafTitle}`);
  });

  it('refuses an unknown step or bad options, listing the steps', async () => {
    const r = await cli(fx.root, 'show', '3');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown step '3': valid steps are 0..2");
    expect((await cli(fx.root, 'show', '1', '--color', 'sometimes')).code).toBe(2);
    expect((await cli(fx.root, 'show', '1', '--events', 'many')).code).toBe(2);
    expect(r.out).toBe('');
  });
});

describe('the text interleaving', () => {
  it('ends at the report, one column per task, in the order things happened', () => {
    const step = fx.report.steps[1]!;
    const t = step.traces!.find((x) => x.id === 'demo-count')!;
    const lanes = JSON.parse(readFileSync(join(fx.root, t.lanes), 'utf8')) as LanesJson;
    const report = step.outcomes.find((o) => o.id === 'demo-count')!.report;
    const lines = textInterleaving(lanes, report, 100);
    expect(lines[0]).toMatch(/^ {2}step {2}app\/\d+ +lockd\/\d+ +rpciod\/\d+$/);
    expect(lines.at(-1)).toMatch(/\*\*\* KASAN/);
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(at('kmalloc svc_serv')).toBeLessThan(at('kfree svc_serv'));
    expect(at('kfree svc_serv')).toBeLessThan(at('*** KASAN'));
    // Each event is in its task's column.
    const col = (name: string) => lines[0]!.indexOf(name);
    expect(lines[at('kfree svc_serv')]!.indexOf('kfree')).toBe(col('lockd/'));
    expect(lines.at(-1)!.indexOf('***')).toBe(col('rpciod/'));
  });
});
