import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReview } from '../src/review/model.js';
import { buildSite, SITE_MARKER, serveSite } from '../src/review/site.js';
import { loadOneSeries } from '../src/series/workspace.js';
import { cleanup, cli, tempDir } from './helpers.js';
import { type ReviewFixture, reviewFixture } from './review-fixture.js';

let fx: ReviewFixture;
beforeAll(async () => {
  fx = await reviewFixture();
});
afterAll(cleanup);

function read(dir: string, name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

/** Every src= and href= of a page. */
function urls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
}

describe('lockstep review --out', () => {
  it('writes an index and a page per patch, linked for the keyboard, with nothing from the network', async () => {
    const out = join(tempDir(), 'site');
    const r = await cli(fx.root, 'review', '--out', out);
    expect(r.err).toMatch(/site written to .* 2 interleavings/);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(join(out, 'index.html'));
    // The front page indexes the series; each series' site is in its own folder.
    const front = read(out, 'index.html');
    expect(front).toContain('<a href="demo/index.html" class="subject">demo</a>');
    expect(front).toContain('demo 0.1');
    const site = join(out, 'demo');
    const index = read(site, 'index.html');
    expect(index).toContain('alpha: punctuate the greeting');
    expect(index).toContain('alpha: count two and trail off when whispering');
    expect(index).toContain('@demo/alpha 0.1.1 &rarr; 0.1.2');
    // One strip cell per reproducer and step, coloured by the report's outcome.
    const strips = [...index.matchAll(/<span class="strip"[^>]*>(.*?)<\/span><\/td>/g)];
    expect(strips).toHaveLength(3);
    // The three kinds of cell: at step 2 greeting's one default run is clean, searched, and
    // count's race is clean over its exhausted bounded space.
    expect(strips[2]![1]).toMatch(
      /^<span class="cell searched" title="demo-greeting: clean, searched"><\/span><span class="cell exhausted" title="demo-count: clean, exhausted">/,
    );
    expect(index).toContain('clean, exhausted: every schedule of a stated space ran');
    expect(index).toContain(
      'clean, searched: the schedule budgets ran out with no failure: evidence, not proof',
    );
    expect(index).not.toContain('class="refuted');
    // The claims column: count's fix stands over an exhausted space, greeting's on one run.
    expect(index).toContain('<td class="muted links">fixed by 2 (exhausted)</td>');
    expect(index).toContain('<td class="muted links">fixed by 1 (searched, not proven)</td>');
    expect((strips[0]![1]!.match(/cell crash/g) ?? []).length).toBe(2); // greeting and count
    expect((strips[2]![1]!.match(/cell crash/g) ?? []).length).toBe(1); // whisper
    expect(index).toContain('<link rel="next" href="patch-1.html">');

    const p1 = read(site, 'patch-1.html');
    const p2 = read(site, 'patch-2.html');
    expect(p1).toContain('<link rel="prev" href="index.html">');
    expect(p1).toContain('<link rel="next" href="patch-2.html">');
    expect(p2).toContain('<link rel="prev" href="patch-1.html">');
    expect(p2).not.toContain('rel="next"');
    // demo-count crashes before and after patch 1, which does not name it: the page lists it
    // and links to the page that shows that crash in full.
    expect(p1).toContain('<a href="crash-1-demo-count.html" class="crashpage">');
    const crash = read(site, 'crash-1-demo-count.html');
    expect(crash).toContain('BUG: KASAN: use-after-free in svc_wake_up');
    expect(crash).toMatch(/<svg [^>]*class="lanes"/);
    expect(p1).not.toMatch(/<svg [^>]*class="lanes"[^>]*aria-label="interleaving of demo-count/);
    for (const html of [index, p1, p2, crash])
      for (const u of urls(html))
        expect(u, `a link leaves the site: ${u}`).not.toMatch(/^(\w+:|\/\/)/);
    expect(readdirSync(out).sort()).toEqual([SITE_MARKER, 'demo', 'index.html', 'site.css'].sort());
    expect(readdirSync(site).sort()).toEqual(
      [
        SITE_MARKER,
        'crash-1-demo-count.html',
        'index.html',
        'patch-1.html',
        'patch-2.html',
        'site.css',
        'traces',
      ].sort(),
    );
  });

  it('shows the message, trailers, highlighted diff, outcomes and the interleaving of each change', async () => {
    const top = join(tempDir(), 'site');
    expect((await cli(fx.root, 'review', '--out', top)).code).toBe(0);
    const out = join(top, 'demo');
    const p2 = read(out, 'patch-2.html');
    expect(p2).toContain('<h1 id="subject">alpha: count two and trail off when whispering</h1>');
    expect(p2).toMatch(/<dt>Fixes-reproducer<\/dt><dd><a href="#r-demo-count"/);
    // The diffstat counts what the diff holds (git's own summary line says the same).
    expect(p2).toContain('2 files changed, 7 insertions(+), 2 deletions(-)');
    // Diff lines, with the TypeScript highlighted and the sides marked.
    expect(p2).toMatch(
      /<tr class="del">.*<span class="hljs-keyword">return<\/span> <span class="hljs-number">1<\/span>/,
    );
    expect(p2).toMatch(
      /<tr class="add">.*<span class="hljs-keyword">return<\/span> <span class="hljs-number">2<\/span>/,
    );
    // demo-count is fixed: its crash before, with the KASAN report and the picture; clean after.
    const count = p2.slice(p2.indexOf('<section class="repro" id="r-demo-count">'));
    expect(count).toContain(fx.uafTitle);
    expect(count).toContain('BUG: KASAN: use-after-free in svc_wake_up');
    expect(count).toMatch(/<svg [^>]*class="lanes"/);
    expect(count).toMatch(/class="free culprit"/);
    expect(count).toMatch(/class="alloc culprit"/);
    expect(count).toContain(
      'clean, exhausted: every schedule with at most 2 preemptions (12 schedules); 12 schedules in all',
    );
    expect(count).toContain('<span class="badge exhausted">clean, exhausted</span>');
    expect(count).toContain('found by pct d=3 seed=1 after 17 schedules');
    expect(count).toContain('href="traces/step-1/demo-count.trace.json" download');
    // demo-whisper is introduced: clean before, the lockdep report and its picture after.
    const whisper = p2.slice(p2.indexOf('<section class="repro" id="r-demo-whisper">'));
    expect(whisper).toContain(fx.abbaTitle);
    expect(whisper).toMatch(/class="hold culprit"/);
    const chrome = JSON.parse(read(out, 'traces/step-1/demo-count.trace.json'));
    expect(chrome.traceEvents.length).toBeGreaterThan(0);
  });

  it('replaces its own earlier site, and refuses a directory that is not one', async () => {
    const out = join(tempDir(), 'site');
    expect((await cli(fx.root, 'review', '--out', out)).code).toBe(0);
    writeFileSync(join(out, 'stale.html'), 'old');
    expect((await cli(fx.root, 'review', '--out', out)).code).toBe(0);
    expect(existsSync(join(out, 'stale.html'))).toBe(false);

    const mine = tempDir();
    writeFileSync(join(mine, 'notes.txt'), 'keep me');
    const r = await cli(fx.root, 'review', '--out', mine);
    expect(r.code).toBe(2);
    expect(r.err).toContain('is not empty and was not written by lockstep review');
    expect(readdirSync(mine)).toEqual(['notes.txt']);
    const root = await cli(fx.root, 'review', '--out', fx.root);
    expect(root.code).toBe(2);
    expect(root.err).toContain('would replace the workspace');
  });

  it('asks for a verify run when there is no report, and refuses the report of another series', async () => {
    const missing = await cli(
      fx.root,
      'review',
      '--out',
      join(tempDir(), 's'),
      '--report',
      'nope.json',
    );
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no verify report at');
    expect(missing.err).toContain('run `lockstep verify` first');
    const other = JSON.parse(readFileSync(fx.reportFile, 'utf8'));
    other.series[0].steps[1].patch = 'demo/0001-something-else.patch';
    const file = join(tempDir(), 'other.json');
    writeFileSync(file, JSON.stringify(other));
    const r = await cli(fx.root, 'review', '--out', join(tempDir(), 's'), '--report', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is the report of another series');
    const bad = await cli(fx.root, 'review', '--port', 'http');
    expect(bad.code).toBe(2);
  });

  it('warns when the series changed since the report', async () => {
    const stale = JSON.parse(readFileSync(fx.reportFile, 'utf8'));
    stale.series[0].seriesHash = 'something older';
    const file = join(tempDir(), 'stale.json');
    writeFileSync(file, JSON.stringify(stale));
    const m = await loadReview(await loadOneSeries(fx.root), file);
    expect(m.warnings).toEqual([
      'the patches changed since this report was written: run `lockstep verify`',
    ]);
  });
});

describe('serving the site', () => {
  it('serves the pages on 127.0.0.1 and nothing outside the site', async () => {
    const m = await loadReview(await loadOneSeries(fx.root), fx.reportFile);
    const site = buildSite(m, join(tempDir(), 'site'));
    mkdirSync(join(tempDir(), 'x'), { recursive: true });
    const served = await serveSite(site.dir, 0);
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(served.url);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toContain('text/html');
      expect(await index.text()).toBe(read(site.dir, 'index.html'));
      const css = await fetch(`${served.url}site.css`);
      expect(css.headers.get('content-type')).toContain('text/css');
      expect((await fetch(`${served.url}patch-2.html`)).status).toBe(200);
      expect((await fetch(`${served.url}%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
      expect((await fetch(`${served.url}${SITE_MARKER}`)).status).toBe(404);
      expect((await fetch(`${served.url}patch-9.html`)).status).toBe(404);
    } finally {
      await served.close();
    }
  });
});
