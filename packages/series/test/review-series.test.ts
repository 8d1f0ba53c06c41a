/**
 * The review site of several series: the front page indexes them, each series' site is in its
 * own folder, and two series over the same base get a page side by side.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOneSeries } from '../src/series/workspace.js';
import { formatVerify } from '../src/verify/matrix.js';
import { reproducerHistory, stepChanges } from '../src/verify/side-by-side.js';
import { type VerifyReport, verifyFile } from '../src/verify/verify.js';
import { cleanup, cli, DEMO_HEADER, SERIES_TEXT, tempDir } from './helpers.js';
import { reviewFixture } from './review-fixture.js';

afterAll(cleanup);

describe('the review site of two series', () => {
  it('has a front page, a folder per series and a side-by-side page', async () => {
    const fx = await reviewFixture();
    // A second series over the same base: the demo patches again, on version line 2, whose
    // report says patch 1 also fixes demo-count (so the two columns differ).
    cpSync(join(fx.root, 'patches/demo'), join(fx.root, 'patches/other'), { recursive: true });
    writeFileSync(
      join(fx.root, 'patches/other/series'),
      SERIES_TEXT.replace(
        DEMO_HEADER,
        `${DEMO_HEADER.replace('The demo', 'Another')}# Version-line: 2\n`,
      ),
    );
    const other = await loadOneSeries(fx.root, 'other');
    const second: VerifyReport = structuredClone(fx.report);
    second.series = 'other';
    second.title = other.header.title;
    second.seriesHash = other.seriesHash;
    for (const s of second.steps) s.patch = s.patch?.replace(/^demo\//, 'other/') ?? null;
    const count = second.reproducers.find((r) => r.id === 'demo-count')!;
    count.cells[1] = { ...count.cells[2]! };
    const file = join(tempDir(), 'verify.json');
    writeFileSync(file, `${JSON.stringify(verifyFile([fx.report, second], 1), null, 2)}\n`);

    expect(stepChanges(fx.report).map((c) => [c.step, c.fixes, c.introduces])).toEqual([
      [0, [], []],
      [1, ['demo-greeting'], []],
      [2, ['demo-count'], ['demo-whisper']],
    ]);
    expect(stepChanges(second).map((c) => [c.step, c.fixes, c.introduces])).toEqual([
      [0, [], []],
      [1, ['demo-greeting', 'demo-count'], []],
      [2, [], ['demo-whisper']],
    ]);

    // verify prints the same comparison as text, one row per reproducer.
    expect(reproducerHistory(fx.report, 'demo-whisper')).toBe('introduced by 2');
    expect(reproducerHistory(second, 'demo-count')).toBe('fixed by 1');
    expect(reproducerHistory(second, 'no-such-reproducer')).toBe('not run');
    const text = formatVerify(verifyFile([fx.report, second], 1));
    expect(text).toContain('== side by side: demo and other (both on demo 0.1)');
    expect(text).toMatch(/^demo-count +fixed by 2 +fixed by 1$/m);
    expect(text).toMatch(/^demo-greeting +fixed by 1 +fixed by 1$/m);
    expect(text.indexOf('== side by side')).toBeLessThan(text.indexOf('summary:'));

    const out = join(tempDir(), 'site');
    const r = await cli(fx.root, 'review', '--out', out, '--report', file);
    expect(r.code, r.err).toBe(0);
    const front = readFileSync(join(out, 'index.html'), 'utf8');
    expect(front).toContain('<a href="demo/index.html" class="subject">demo</a>');
    expect(front).toContain('<a href="other/index.html" class="subject">other</a>');
    expect(front).toContain(
      '<a href="compare-demo--other.html">demo and other</a> (both on demo 0.1)',
    );
    for (const s of ['demo', 'other'])
      expect(readFileSync(join(out, s, 'index.html'), 'utf8')).toContain(
        '<a href="../index.html" id="nav-front">lockstep review</a>',
      );
    for (const s of ['demo', 'other'])
      expect(readFileSync(join(out, s, 'patch-2.html'), 'utf8')).toContain(
        'alpha: count two and trail off when whispering',
      );
    const compare = readFileSync(join(out, 'compare-demo--other.html'), 'utf8');
    const columns = compare.split('<section class="compare-col">').slice(1);
    expect(columns).toHaveLength(2);
    expect(columns[0]).toContain('<a href="demo/patch-2.html">');
    expect(columns[0]).toMatch(/data-step="2">.*fixes: <span class="mono">demo-count<\/span>/);
    expect(columns[1]).toMatch(
      /data-step="1">.*fixes: <span class="mono">demo-greeting<\/span>, <span class="mono">demo-count<\/span>/,
    );
    expect(columns[1]).toMatch(
      /data-step="2">.*introduces: <span class="mono">demo-whisper<\/span>/,
    );

    // --series builds one series' site under the same front page.
    const one = join(tempDir(), 'one');
    expect(
      (await cli(fx.root, 'review', '--out', one, '--report', file, '--series', 'other')).code,
    ).toBe(0);
    expect(readFileSync(join(one, 'index.html'), 'utf8')).not.toContain('demo/index.html');
  });
});
