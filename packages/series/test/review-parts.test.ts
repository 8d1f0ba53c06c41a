import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { git } from '../src/lib/git.js';
import { diffstat, parsePatchDiff } from '../src/review/diff.js';
import { highlightHunk, highlightLines, splitHighlighted } from '../src/review/highlight.js';
import { interleavingSvg, type LanesJson, MAX_SLOTS } from '../src/review/svg.js';
import { FIXTURES } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Every patch file this repository has: the demo fixtures and, in the main tree, the series. */
function patchFiles(): string[] {
  const out = readdirSync(join(FIXTURES, 'demo')).map((f) => join(FIXTURES, 'demo', f));
  try {
    for (const d of readdirSync(join(root, 'patches'), { withFileTypes: true }))
      if (d.isDirectory())
        for (const f of readdirSync(join(root, 'patches', d.name)))
          if (f.endsWith('.patch')) out.push(join(root, 'patches', d.name, f));
  } catch {}
  return out;
}

describe('reading a patch for display', () => {
  it('counts what git apply --numstat counts, file by file', async () => {
    const files = patchFiles();
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const p = parsePatchDiff(text);
      const r = await git(['apply', '--numstat', file], { cwd: dirname(file), outsideRepo: true });
      const numstat = r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'))
        .map(([a, d, path]) => ({ path, added: Number(a), deleted: Number(d) }));
      expect(
        p.files.map((f) => ({ path: f.path, added: f.added, deleted: f.deleted })),
        file,
      ).toEqual(numstat);
      // The summary line is git's own (format-patch wrote it into the mail).
      const summary = diffstat(p).at(-1)!;
      expect(text, file).toContain(`\n${summary}\n`);
    }
  });

  it('numbers the lines of both sides and keeps no-newline notes', () => {
    const p = parsePatchDiff(
      [
        'diff --git a/x.ts b/x.ts',
        '--- a/x.ts',
        '+++ b/x.ts',
        '@@ -10,3 +10,3 @@ function f() {',
        ' a',
        '-b',
        '+c',
        ' d',
        '\\ No newline at end of file',
        '',
      ].join('\n'),
    );
    const [f] = p.files;
    expect(f!.hunks[0]!.section).toBe('function f() {');
    expect(f!.hunks[0]!.lines.map((l) => [l.kind, l.oldNo, l.newNo])).toEqual([
      ['context', 10, 10],
      ['del', 11, null],
      ['add', null, 11],
      ['context', 12, 12],
      ['note', null, null],
    ]);
  });
});

describe('highlighting', () => {
  it('cuts highlighted HTML into lines that each close their spans', () => {
    const lines = splitHighlighted('<span class="a">x\n<span class="b">y\nz</span></span>w');
    expect(lines).toEqual([
      '<span class="a">x</span>',
      '<span class="a"><span class="b">y</span></span>',
      '<span class="a"><span class="b">z</span></span>w',
    ]);
  });

  it('keeps a comment a comment on every line of a hunk that starts inside it', () => {
    const hunk = parsePatchDiff(
      [
        'diff --git a/x.ts b/x.ts',
        '--- a/x.ts',
        '+++ b/x.ts',
        '@@ -1,3 +1,3 @@',
        ' * lockd <stops> when',
        '- * the last user goes',
        '+ * the count is zero',
        ' */',
        '',
      ].join('\n'),
    ).files[0]!.hunks[0]!;
    const html = highlightHunk(hunk, 'typescript');
    expect(html).toHaveLength(4);
    for (const line of html) expect(line).toMatch(/^<span class="hljs-comment">.*<\/span>$/);
    expect(html[0]).toContain('&lt;stops&gt;');
    expect(html[1]).toContain('the last user goes');
    expect(html[2]).toContain('the count is zero');
  });

  it('escapes plain text', () => {
    expect(highlightLines('a <b> & "c"', null)).toEqual(['a &#60;b&#62; &#38; &#34;c&#34;']);
  });
});

function lanes(over: Partial<LanesJson> = {}): LanesJson {
  const ms = 1_000_000;
  return {
    lanes: [
      {
        pid: 1,
        comm: 'app',
        intervals: [
          { kind: 'run', name: 'running', start: 0, end: 8, startStep: 0, endStep: 2, open: false },
          {
            kind: 'hold',
            name: 'nlmsvc_mutex',
            start: 2,
            end: 6,
            startStep: 1,
            endStep: 2,
            open: false,
          },
          {
            kind: 'sleep',
            name: 'svc_recv',
            start: 8,
            end: 5000 * ms,
            startStep: 2,
            endStep: 3,
            open: false,
          },
        ],
        points: [
          {
            at: 4,
            step: 1,
            jiffies: 0,
            type: 'alloc',
            name: 'svc_serv',
            args: { addr: 'ffff88', site: 'svc_create' },
          },
        ],
      },
      {
        pid: 2,
        comm: 'lockd',
        intervals: [
          {
            kind: 'wait',
            name: 'nlmsvc_mutex',
            start: 4,
            end: 6,
            startStep: 1,
            endStep: 2,
            open: false,
          },
          {
            kind: 'run',
            name: 'running',
            start: 5000 * ms,
            end: 5000 * ms + 12,
            startStep: 3,
            endStep: 5,
            open: true,
          },
        ],
        points: [
          {
            at: 5000 * ms + 4,
            step: 3,
            jiffies: 5000,
            type: 'free',
            name: 'svc_serv',
            args: { addr: 'ffff88' },
          },
          {
            at: 5000 * ms + 8,
            step: 4,
            jiffies: 5000,
            type: 'report',
            name: 'KASAN: use-after-free Read in svc_wake_up',
          },
        ],
      },
    ],
    flows: [{ from: 1, to: 2, at: 8, step: 2, arrive: 5000 * ms }],
    start: 0,
    end: 5000 * ms + 12,
    ...over,
  };
}

const KASAN = 'The buggy address belongs to the object at ffff88\n';

describe('the interleaving picture', () => {
  it('draws a lane per task, the report, the freed object, waits, holds and wake-ups', () => {
    const { names, body } = interleavingSvg(lanes(), KASAN, 'a picture');
    expect(names).toContain('>app/1</text>');
    expect(names).toContain('>lockd/2</text>');
    expect(body).toMatch(/^<svg [^>]*role="img" aria-label="a picture"/);
    expect(body).toContain('<g class="report">');
    expect(body).toContain('KASAN: use-after-free Read in svc_wake_up</text>');
    expect(body.match(/class="(alloc|free) culprit"/g)).toEqual([
      'class="alloc culprit"',
      'class="free culprit"',
    ]);
    expect(body).toContain('kmalloc svc_serv</text>');
    expect(body).toContain('class="hold"');
    expect(body).toMatch(/class="wait"[^>]*><title>lockd waits for nlmsvc_mutex/);
    expect(body).toContain('class="flow" marker-end="url(#arrow)"');
    // Five virtual seconds pass between the two tasks' runs: a marked gap, not 5 s of space.
    expect(body).toMatch(/<g class="gap">.*>\+5 s<\/text>/);
    const runs = [...body.matchAll(/<rect class="run" x="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(runs).toHaveLength(2);
    expect(runs[0]!).toBeLessThan(runs[1]!);
    expect(interleavingSvg(lanes(), KASAN, 'a picture')).toEqual({ names, body }); // same bytes
  });

  it('leaves out the middle of a very long run and says so', () => {
    const points = Array.from({ length: MAX_SLOTS * 2 }, (_, i) => ({
      at: i * 4,
      step: i,
      jiffies: 0,
      type: 'printk',
      name: `line ${i}`,
    }));
    const l = lanes();
    l.lanes[0]!.points.push(...points);
    const { body } = interleavingSvg(l, undefined, 'long');
    expect(body).toMatch(/<g class="cut">.*>\d+ event times not drawn<\/text>/);
    expect(body.match(/class="point printk"/g)!.length).toBeLessThan(MAX_SLOTS);
    const elided = interleavingSvg(
      lanes({ elided: { events: 1234, fromJiffies: 1, toJiffies: 5000 } }),
      undefined,
      'elided',
    ).body;
    expect(elided).toContain('1234 trace events left out');
  });
});
