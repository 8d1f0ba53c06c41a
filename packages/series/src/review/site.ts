/**
 * `lockstep review`: write the review site (static HTML, CSS, SVG pictures and the crash
 * traces to download) and serve it on 127.0.0.1. The site is written next to its directory
 * and swapped in whole, so a failed build leaves the previous site (or nothing).
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import { comparablePairs } from '../verify/side-by-side.js';
import { compareHref, comparePage, frontPage } from './front.js';
import {
  crashPage,
  indexPage,
  type PageAssets,
  type Picture,
  patchHref,
  patchPage,
} from './html.js';
import { outcomeAt, type ReviewModel, traceAt, tracePath } from './model.js';
import { SITE_CSS } from './site/assets.js';
import { interleavingSvg, type LanesJson } from './svg.js';

/** A file every site holds: a directory with it may be replaced by a new build. */
export const SITE_MARKER = '.lockstep-review';

export interface SiteResult {
  dir: string;
  /** Page file names, index first. */
  pages: string[];
  /** Interleaving pictures drawn, and trace files copied. */
  pictures: number;
  traces: number;
  /** Bytes of HTML and CSS (what a reader loads, without the trace downloads). */
  pageBytes: number;
  ms: number;
  /** Trace files the report names but that are missing. */
  missing: string[];
}

function checkOutDir(dir: string, root: string): void {
  const abs = resolve(dir);
  if (abs === resolve(root) || resolve(root).startsWith(abs + sep))
    throw new SeriesUsageError(`--out ${dir} would replace the workspace`, [
      'choose a new directory, or one an earlier `lockstep review` wrote',
    ]);
  if (!existsSync(abs)) return;
  if (!statSync(abs).isDirectory())
    throw new SeriesUsageError(`--out ${dir} is a file, not a directory`);
  const entries = readdirSync(abs);
  if (entries.length > 0 && !entries.includes(SITE_MARKER))
    throw new SeriesUsageError(`--out ${dir} is not empty and was not written by lockstep review`, [
      'choose a new or empty directory',
    ]);
}

/** Render the pages and copy what they link to into `tmp`. */
function render(
  m: ReviewModel,
  tmp: string,
  front: string | null = null,
): Omit<SiteResult, 'dir' | 'ms'> {
  const pictures = new Map<string, Picture | null>();
  const copies = new Map<string, string>(); // site path -> source
  const missing: string[] = [];
  const crashPages = new Map<string, [number, string]>(); // file -> step, id
  const readable = (p: string) => {
    if (existsSync(p)) return true;
    if (!missing.includes(p)) missing.push(p);
    return false;
  };
  const assets: PageAssets = {
    picture(step, id) {
      const key = `${step}/${id}`;
      if (pictures.has(key)) return pictures.get(key)!;
      const t = traceAt(m, step, id);
      let svg: Picture | null = null;
      if (t !== undefined && readable(tracePath(m, t.lanes))) {
        const lanes = JSON.parse(readFileSync(tracePath(m, t.lanes), 'utf8')) as LanesJson;
        const o = outcomeAt(m, step, id);
        svg = interleavingSvg(
          lanes,
          o?.report,
          `interleaving of ${id} at step ${step}: ${t.title}`,
        );
      }
      pictures.set(key, svg);
      return svg;
    },
    crashPage(step, id) {
      const name = `crash-${step}-${id}.html`;
      crashPages.set(name, [step, id]);
      return name;
    },
    traceFiles(step, id) {
      const t = traceAt(m, step, id);
      if (t === undefined) return null;
      const src = { chrome: tracePath(m, t.chrome), dmesg: tracePath(m, t.dmesg) };
      if (!readable(src.chrome) || !readable(src.dmesg)) return null;
      const out = {
        chrome: `traces/step-${step}/${basename(src.chrome)}`,
        dmesg: `traces/step-${step}/${basename(src.dmesg)}`,
      };
      copies.set(out.chrome, src.chrome).set(out.dmesg, src.dmesg);
      return out;
    },
  };
  const files: Array<[string, string]> = [
    ['site.css', SITE_CSS],
    ['index.html', indexPage(m, front)],
  ];
  for (const s of m.steps)
    if (s.patch !== null) files.push([patchHref(s.step), patchPage(m, assets, s.step)]);
  for (const [name, [step, id]] of crashPages) files.push([name, crashPage(m, assets, step, id)]);
  let pageBytes = 0;
  for (const [name, text] of files) {
    writeFileSync(join(tmp, name), text);
    pageBytes += Buffer.byteLength(text);
  }
  for (const [to, from] of copies) {
    mkdirSync(dirname(join(tmp, to)), { recursive: true });
    copyFileSync(from, join(tmp, to));
  }
  writeFileSync(
    join(tmp, SITE_MARKER),
    'Written by `lockstep review`; the next build replaces this directory.\n',
  );
  return {
    pages: files.slice(1).map(([n]) => n),
    pictures: [...pictures.values()].filter((p) => p !== null).length,
    traces: copies.size,
    pageBytes,
    missing,
  };
}

/** Build the site of one series into `dir` (replacing an earlier site there). */
export function buildSite(m: ReviewModel, dir: string): SiteResult {
  return buildInto(dir, m.root, (tmp) => render(m, tmp));
}

/**
 * Build the site of several series into `dir`: each series' site in its own folder, a front
 * page indexing them, and a comparison page for each two series over the same base.
 */
export function buildSeriesSites(models: readonly ReviewModel[], dir: string): SiteResult {
  return buildInto(dir, models[0]!.root, (tmp) => {
    const total: Omit<SiteResult, 'dir' | 'ms'> = {
      pages: ['index.html'],
      pictures: 0,
      traces: 0,
      pageBytes: 0,
      missing: [],
    };
    const files: Array<[string, string]> = [
      ['site.css', SITE_CSS],
      ['index.html', frontPage(models.map((m) => m.report))],
    ];
    for (const [a, b] of comparablePairs(models.map((m) => m.report)))
      files.push([compareHref(a.series, b.series), comparePage(a, b)]);
    for (const [name, text] of files) {
      writeFileSync(join(tmp, name), text);
      total.pageBytes += Buffer.byteLength(text);
    }
    total.pages.push(...files.slice(2).map(([n]) => n));
    for (const m of models) {
      const sub = join(tmp, m.report.series);
      mkdirSync(sub);
      const r = render(m, sub, '../index.html');
      total.pages.push(...r.pages.map((p) => `${m.report.series}/${p}`));
      total.pictures += r.pictures;
      total.traces += r.traces;
      total.pageBytes += r.pageBytes;
      total.missing.push(...r.missing);
    }
    writeFileSync(
      join(tmp, SITE_MARKER),
      'Written by `lockstep review`; the next build replaces this directory.\n',
    );
    return total;
  });
}

/** Write a site into a new directory beside `dir`, then swap it in whole. */
function buildInto(
  dir: string,
  root: string,
  fill: (tmp: string) => Omit<SiteResult, 'dir' | 'ms'>,
): SiteResult {
  const started = performance.now();
  const abs = resolve(dir);
  checkOutDir(abs, root);
  const parent = dirname(abs);
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `${basename(abs)}.building-`));
  chmodSync(tmp, 0o755); // mkdtemp makes it private; the site is an ordinary directory
  let r: Omit<SiteResult, 'dir' | 'ms'>;
  try {
    r = fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (existsSync(abs)) {
    const old = mkdtempSync(join(parent, `${basename(abs)}.old-`));
    renameSync(abs, join(old, 'site'));
    renameSync(tmp, abs);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(tmp, abs);
  return { dir: abs, ...r, ms: Math.round(performance.now() - started) };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Serve a built site on 127.0.0.1 (port 0: any free port). Only files inside `dir`. */
export function serveSite(dir: string, port: number): Promise<Served> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad request\n');
      return;
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || basename(file) === SITE_MARKER) {
      res.writeHead(404).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'EADDRINUSE'
          ? new SeriesUsageError(`port ${port} on 127.0.0.1 is in use`, [
              'choose another with --port N (--port 0 picks a free one)',
            ])
          : new SeriesFailure(`cannot serve the site: ${e.message}`),
      ),
    );
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr !== null ? addr.port : port;
      ok({
        url: `http://127.0.0.1:${p}/`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
