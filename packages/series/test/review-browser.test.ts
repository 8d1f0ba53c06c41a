/**
 * The review site in a real browser (Debian's chromium, driven by playwright-core): open the
 * index of this repository's lockd series, step through every patch with the keyboard, check
 * that each page shows its subject, its diff and its outcomes, that nothing is fetched from
 * outside the site, that the page of the patch claimed to fix the use-after-free shows the
 * refuted claim exactly when the report has one (with the serv's kfree before the faulting
 * svc_wake_up access in its interleaving), and save screenshots under the OS temp directory
 * (the paths are printed). The page load times are printed, not asserted.
 *
 * The report comes from `lockstep verify`. An earlier run's report is used only when it is
 * good: format 3, ok, of this very base and series, with its traces there. Otherwise it uses
 * this test run's verify, shared with the end-to-end verify test (series-run.ts). Skipped, with
 * the reason, when chromium is not installed (never in CI, where it fails instead) or when
 * LOCKSTEP_SKIP_SERIES=1 leaves no good report.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReview, type ReviewModel } from '../src/review/model.js';
import { buildSite, type Served, serveSite } from '../src/review/site.js';
import { loadOneSeries, type Workspace } from '../src/series/workspace.js';
import { refutedAtPatch } from '../src/verify/refuted.js';
import { WORDS } from '../src/verify/verdict.js';
import type { VerifyFile, VerifyReport } from '../src/verify/verify.js';
import { HANG_GUARD_MS } from './helpers.js';
import { seriesReportOfThisRun } from './series-run.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const UAF = 'grant-callback-svc-wake-up-uaf';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const work = join(root, '.lockstep', 'review-test');
const seriesHere = existsSync(join(root, 'patches', 'lockd-try6', 'series'));

/**
 * A good report left by an earlier command: format 3, ok, of this base and series, and its
 * trace files all exist. Anything else (a failed run, another series, an older format) is
 * not used: the test runs verify itself instead.
 */
function goodReport(ws: Workspace, file: string): VerifyReport | null {
  if (!existsSync(file)) return null;
  let data: VerifyFile;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as VerifyFile;
  } catch {
    return null;
  }
  const r = data?.format === 3 ? data.series?.find((x) => x.series === ws.name) : undefined;
  if (r === undefined || r.ok !== true) return null;
  if (r.baseHash !== ws.baseHash || r.seriesHash !== ws.seriesHash) return null;
  const files = r.steps.flatMap((s) => (s.traces ?? []).flatMap((t) => [t.chrome, t.lanes]));
  if (files.length === 0 || !files.every((f) => existsSync(join(root, f)))) return null;
  return r;
}

async function seriesReport(log: (l: string) => void): Promise<string | null> {
  const ws = await loadOneSeries(root, 'lockd-try6');
  const file = join(root, '.lockstep', 'verify.json');
  if (goodReport(ws, file) !== null) return file;
  if (process.env.LOCKSTEP_SKIP_SERIES === '1') return null;
  log("no good verify report of this series: using this test run's verify");
  return (await seriesReportOfThisRun(root, log)).file;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe.runIf(seriesHere)('the review site in chromium', () => {
  it(
    'steps through every patch with the keyboard, offline, and shows subject, diff and outcomes',
    async (ctx) => {
      if (!existsSync(CHROMIUM)) {
        const why = `chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;
        if (process.env.CI) throw new Error(`${why}: CI must run the browser test`);
        ctx.skip(why);
      }
      mkdirSync(work, { recursive: true });
      const reportFile = await seriesReport((l) => console.log(`review-browser: ${l}`));
      if (reportFile === null)
        return ctx.skip(
          'LOCKSTEP_SKIP_SERIES=1 and no good .lockstep/verify.json: run npm run verify',
        );
      const model: ReviewModel = await loadReview(
        await loadOneSeries(root, 'lockd-try6'),
        reportFile,
      );
      expect(model.report.problems).toEqual([]);
      expect(model.report.ok).toBe(true);
      const site = buildSite(model, join(work, 'site'));
      const served: Served = await serveSite(site.dir, 0);
      cleanups.push(() => served.close());

      const profile = mkdtempSync(join(tmpdir(), 'lockstep-chromium-'));
      cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: FLAGS,
        viewport: { width: 1400, height: 900 },
        deviceScaleFactor: 2, // sharp screenshots
      });
      cleanups.push(() => browser.close());
      // Anything not from the site is refused and remembered: the site must work offline.
      const outside: string[] = [];
      await browser.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(served.url)) return route.continue();
        outside.push(url);
        return route.abort();
      });
      const page = browser.pages()[0] ?? (await browser.newPage());
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));

      const loadMs = async () =>
        page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          return nav.loadEventEnd - nav.startTime;
        });
      const timings: Array<[string, number]> = [];

      await page.goto(served.url);
      await page.waitForLoadState('load');
      timings.push(['index.html', await loadMs()]);
      const patches = model.steps.filter((s) => s.patch !== null);
      for (const s of patches)
        expect(
          (
            await page
              .locator('a.subject')
              .nth(s.step - 1)
              .textContent()
          )?.trim(),
        ).toBe(s.patch!.info.subject);
      const strips = page.locator('table.series .strip');
      expect(await strips.count()).toBe(model.steps.length);
      expect(await strips.first().locator('.cell').count()).toBe(model.report.reproducers.length);
      // Kept after the test, for the reviewer's notes: the path is printed below.
      const shots = mkdtempSync(join(tmpdir(), 'lockstep-review-shots-'));
      await page.screenshot({ path: join(shots, 'review-index.png'), fullPage: true });

      for (const s of patches) {
        await page.keyboard.press('ArrowRight');
        await page.waitForURL(`**/patch-${s.step}.html`);
        await page.waitForLoadState('load');
        timings.push([`patch-${s.step}.html`, await loadMs()]);
        expect((await page.locator('h1#subject').textContent())?.trim()).toBe(
          s.patch!.info.subject,
        );
        // The diff: one table per file, with its added or deleted lines.
        expect(await page.locator('details.file').count()).toBe(s.patch!.diff.files.length);
        const changed = s.patch!.diff.added + s.patch!.diff.deleted;
        expect(await page.locator('table.diff tr.add, table.diff tr.del').count()).toBe(changed);
        // The outcomes: one row per reproducer, with the outcomes the report has.
        const rows = page.locator('table.outcomes tbody tr');
        expect(await rows.count()).toBe(model.report.reproducers.length);
        for (const [i, r] of model.report.reproducers.entries()) {
          const words = (await rows.nth(i).locator('.badge').allTextContents()).join(' ');
          expect(words, r.id).toBe(
            `${WORDS[r.cells[s.step - 1]!.verdict]} ${WORDS[r.cells[s.step]!.verdict]}`,
          );
        }
      }
      // The last patch has no next: the key leaves the page where it is; k goes back.
      const last = patches.at(-1)!.step;
      await page.keyboard.press('ArrowRight');
      expect(page.url()).toMatch(new RegExp(`patch-${last}\\.html$`));
      await page.keyboard.press('k');
      await page.waitForURL(`**/patch-${last - 1}.html`);
      await page.keyboard.press('u');
      await page.waitForURL((u) => u.pathname === '/' || u.pathname.endsWith('/index.html'));

      // The use-after-free, before the patch that claims to fix it: the picture marks the
      // report and the freed object's kmalloc and kfree.
      const uaf = model.report.reproducers.find((r) => r.id === UAF)!;
      const fix = uaf.links.fixedAt ?? uaf.links.refuted[0]!.claimedAt;
      await page.goto(`${served.url}patch-${fix}.html#r-${UAF}`);
      const pic = page.locator(`#pic-${fix - 1}-${UAF}`);
      expect(await pic.locator('svg.lanes .report').count()).toBe(1);
      expect((await pic.locator('svg.lanes .report text').textContent())?.trim()).toBe(
        'KASAN: use-after-free Read in svc_wake_up',
      );
      expect(await pic.locator('svg.lanes .free.culprit').count()).toBe(1);
      expect(await pic.locator('svg.lanes .alloc.culprit').count()).toBe(1);
      expect(await page.locator(`#r-${UAF} a[download]`).first().getAttribute('href')).toBe(
        `traces/step-${fix - 1}/${UAF}.trace.json`,
      );
      const trace = await page.request.get(`${served.url}traces/step-${fix - 1}/${UAF}.trace.json`);
      expect((await trace.json()).traceEvents.length).toBeGreaterThan(0);
      // The picture with its heading and legend.
      const clip = await pic.evaluate((el) => {
        const side = el.closest('.side')!;
        const a = side.querySelector('h4')!.getBoundingClientRect();
        const b = side.querySelector('.legend')!.getBoundingClientRect();
        return {
          x: b.left - 8,
          y: a.top + window.scrollY - 8,
          width: b.width + 16,
          height: b.bottom - a.top + 16,
        };
      });
      await page.screenshot({
        path: join(shots, 'review-uaf-interleaving.png'),
        fullPage: true,
        clip,
      });

      // The patch that claims the fix shows a refuted-claim box exactly when the report has a
      // refuted claim for it; for the use-after-free, its interleaving after the patch shows
      // the serv's kfree and then the faulting access in svc_wake_up.
      await page.goto(`${served.url}patch-${fix}.html`);
      const claims = refutedAtPatch(model.report, fix);
      expect(await page.locator('section.refuted').count()).toBe(claims.length);
      const marks = page.locator(`table.series tr#step-${fix} .refuted-mark`);
      await page.goto(served.url);
      expect(await marks.count()).toBe(claims.length);
      await page.goto(`${served.url}patch-${fix}.html`);
      if (claims.some((c) => c.id === UAF)) {
        const box = page.locator(`section.refuted#refuted-${UAF}`);
        const text = (await box.textContent()) ?? '';
        expect(text).toContain(`claimed fixed by ${fix}`);
        expect(text).toContain('still crashes at');
        expect(text).toContain('KASAN: use-after-free Read in svc_wake_up');
        const svg = box.locator(`#pic-refuted-${fix}-${UAF} svg.lanes`);
        const stepOf = (t: string | null) =>
          Number(/, step (\d+)/.exec(t ?? '')?.[1] ?? Number.NaN);
        const frees = await svg.locator('.free.culprit > title').allTextContents();
        expect(frees.length).toBeGreaterThan(0);
        expect(frees.at(-1)).toMatch(/^kfree svc_serv /);
        const report = await svg.locator('.report > title').textContent();
        expect(await svg.locator('.report text').textContent()).toContain('svc_wake_up');
        expect(stepOf(frees.at(-1)!)).toBeLessThan(stepOf(report));
        await box.screenshot({ path: join(shots, 'review-refuted-claim.png') });
      }

      expect(errors).toEqual([]);
      expect(outside).toEqual([]);
      const total = timings.reduce((n, [, ms]) => n + ms, 0);
      console.log(
        `review-browser: site built in ${site.ms} ms (${site.pages.length} pages, ${Math.round(site.pageBytes / 1024)} KiB); ` +
          `load (navigation start to load event): ${timings.map(([p, ms]) => `${p} ${ms.toFixed(0)} ms`).join(', ')}; ` +
          `whole series ${total.toFixed(0)} ms; screenshots in ${shots}`,
      );
    },
    HANG_GUARD_MS,
  );
});
