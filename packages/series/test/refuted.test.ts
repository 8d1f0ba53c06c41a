/**
 * A refuted claim, end to end on the demo series: patch 2 claims to fix demo-count and records
 * (`Refuted: demo-count`) that the model refutes it; demo-count still crashes after it. The
 * matrix, `lockstep show` and the review site must say so, from the run's own outcomes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/review/highlight.js';
import { loadReview } from '../src/review/model.js';
import { buildSite } from '../src/review/site.js';
import { loadOneSeries } from '../src/series/workspace.js';
import { formatMatrix, linkText } from '../src/verify/matrix.js';
import { refutedClaims } from '../src/verify/refuted.js';
import { cleanup, cli, tempDir } from './helpers.js';
import { REFUTED_WHY, type ReviewFixture, reviewFixture } from './review-fixture.js';

let fx: ReviewFixture;
let site: string;
beforeAll(async () => {
  fx = await reviewFixture({ refuted: true });
  site = buildSite(
    await loadReview(await loadOneSeries(fx.root), fx.reportFile),
    join(tempDir(), 'site'),
  ).dir;
});
afterAll(cleanup);

const SUBJECT2 = 'alpha: count two and trail off when whispering';

/** The scheduling step a picture element's <title> names ("..., step 12, 0.000 s"). */
function stepOf(title: string | undefined): number {
  return Number(/, step (\d+),/.exec(title ?? '')?.[1] ?? Number.NaN);
}

describe('a refuted claim', () => {
  it('is expected to crash on from the claim, and verify agrees with what the run shows', () => {
    const count = fx.report.reproducers.find((r) => r.id === 'demo-count')!;
    expect(count.links.fixedAt).toBeNull();
    expect(count.links.refuted).toEqual([{ claimedAt: 2, refutedAt: 2 }]);
    expect(count.cells.map((c) => c.verdict)).toEqual(['crash', 'crash', 'crash']);
    expect(fx.report.problems).toEqual([]);
    expect(linkText(count)).toBe('claimed fixed by 2, refuted');
    // A fix that stands says how its clean cells were shown: one default run is no proof.
    const greeting = fx.report.reproducers.find((r) => r.id === 'demo-greeting')!;
    expect(linkText(greeting)).toBe('fixed by 1 (searched, not proven)');
  });

  it('gets its own section in the verify matrix, with how the run still crashes', () => {
    const text = formatMatrix(fx.report);
    const lines = text.split('\n');
    expect(lines.find((l) => l.startsWith('demo-count'))).toMatch(
      /^demo-count\s+X {3}X {3}X {3}claimed fixed by 2, refuted$/,
    );
    const at = lines.indexOf(
      'Refuted claims: 1 (a patch claims a fix; the model shows the bug is still there)',
    );
    expect(at).toBeGreaterThan(0);
    // The section comes right after the matrix and its legend, before the details.
    expect(at).toBeLessThan(lines.indexOf('crash titles:'));
    expect(lines[at + 1]).toBe(
      `  demo-count: claimed fixed by 2 (${SUBJECT2}), still crashes at 2: ${fx.uafTitle}, found by pct d=3 seed=1 after 17 schedules; replay: lockstep-repro demo-count --replay 'v1:'`,
    );
    expect(text).toContain(
      'verify: the observed matrix matches the trailers, claims minus recorded refutations (1 refuted claim, listed above)',
    );
    // The refutation is read from the report's outcomes: a run where it no longer crashes says so.
    const healed = structuredClone(fx.report);
    healed.steps[2]!.outcomes = healed.steps[2]!.outcomes.map((o) =>
      o.id === 'demo-count'
        ? { id: o.id, status: 'clean' as const, verdict: 'clean-searched' as const }
        : o,
    );
    healed.reproducers.find((r) => r.id === 'demo-count')!.cells[2]!.verdict = 'clean-searched';
    expect(refutedClaims(healed)[0]!.crashesAt).toEqual([]);
    expect(formatMatrix(healed)).toContain(
      'but this run shows no crash at 2 (clean, searched): the refutation does not hold',
    );
  });

  it('is shown by lockstep show with the patch', async () => {
    const r = await cli(fx.root, 'show', '2', '--color', 'never', '--no-diff');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(
      `Refuted claim:\n  demo-count: claimed fixed by 2 (${SUBJECT2}), still crashes at 2: ${fx.uafTitle}, found by pct d=3 seed=1 after 17 schedules\n    replay: lockstep-repro demo-count --replay 'v1:'`,
    );
    expect(r.out).toMatch(/demo-count\s+crash\s+-> crash\s+Fixes-reproducer \(claim refuted\)/);
    expect(r.out).toContain(`==> demo-count, after (step 2): ${fx.uafTitle}`);
    const one = await cli(fx.root, 'show', '1', '--color', 'never', '--no-diff');
    expect(one.out).not.toContain('Refuted claim');
  });

  it('opens the patch page in a box with the explanation and the interleaving that still fails', () => {
    const html = readFileSync(join(site, 'patch-2.html'), 'utf8');
    const start = html.indexOf('<section class="refuted" id="refuted-demo-count">');
    expect(start).toBeGreaterThan(0);
    // At the top: before the message, the diff and the outcomes.
    expect(start).toBeLessThan(html.indexOf('<div class="msg">'));
    const box = html.slice(start, html.indexOf('</section>', start));
    expect(box).toContain('<h2>Refuted claim: <span class="mono">demo-count</span></h2>');
    expect(box).toContain(
      `claimed fixed by 2 (${SUBJECT2}), still crashes at 2: ${escapeHtml(fx.uafTitle)}, found by pct d=3 seed=1 after 17 schedules`,
    );
    expect(box).toContain(`<p>${escapeHtml(REFUTED_WHY)}</p>`);
    // The interleaving after the patch: the serv's kfree, then the faulting svc_wake_up access.
    expect(box).toMatch(
      /<svg [^>]*class="lanes"[^>]*aria-label="interleaving of demo-count at step 2/,
    );
    const frees = [...box.matchAll(/class="free culprit"[^>]*><title>([^<]*)<\/title>/g)].map(
      (m) => m[1]!,
    );
    expect(frees.length).toBeGreaterThan(0);
    expect(frees.at(-1)).toMatch(/^kfree svc_serv /);
    const report =
      /<g class="report">.*?<text [^>]*>([^<]*)<\/text><title>([^<]*)<\/title><\/g>/s.exec(box);
    expect(report?.[1]).toContain('svc_wake_up');
    expect(stepOf(frees.at(-1))).toBeLessThan(stepOf(report?.[2]));
    // The outcome below points at the box instead of drawing the picture twice.
    expect(html.match(/aria-label="interleaving of demo-count at step 2/g)).toHaveLength(1);
    expect(html).toContain('The interleaving is in the refuted claim above.');
    expect(html).toMatch(
      /Fixes-reproducer <a href="#refuted-demo-count" class="refuted-mark">claim refuted<\/a>/,
    );
    expect(readFileSync(join(site, 'patch-1.html'), 'utf8')).not.toContain('class="refuted"');
  });

  it('is marked on the index: in the strip, by the patch, and in its own list', () => {
    const index = readFileSync(join(site, 'index.html'), 'utf8');
    const row = /<tr class="patch" id="step-2">.*?<\/tr>/s.exec(index)![0];
    expect(row).toContain(
      '<a href="patch-2.html#refuted-demo-count" class="refuted-mark">refuted claim:',
    );
    expect(row).toMatch(
      /<span class="cell crash refuted" title="demo-count: [^"]*\(claimed fixed by 2, refuted\)">/,
    );
    // Only the cell of the refuted claim carries the marker.
    expect(index.match(/class="cell crash refuted" title=/g)).toHaveLength(2); // strip, matrix
    expect(index).toContain('<section class="refuted" id="refuted"><h2>Refuted claims</h2>');
    expect(index).toContain('claimed fixed by 2, refuted</td>');
  });
});
