/**
 * Several series in one workspace: the layout's bad inputs (each a clear error that changes
 * nothing), --series, and what the commands do with two series.
 */
import { cpSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { git } from '../src/lib/git.js';
import { materialise } from '../src/series/materialise.js';
import { treeGit } from '../src/series/tree.js';
import { loadOneSeries } from '../src/series/workspace.js';
import { cleanup, cli, DEMO_HEADER, makeWorkspace, SERIES_TEXT, write } from './helpers.js';

afterEach(cleanup);

/** The demo workspace with a second series, `other`, a copy of demo on version line 2. */
async function twoSeries(header = `${DEMO_HEADER}# Version-line: 2\n`): Promise<string> {
  const root = await makeWorkspace();
  cpSync(join(root, 'patches/demo'), join(root, 'patches/other'), { recursive: true });
  writeFileSync(join(root, 'patches/other/series'), SERIES_TEXT.replace(DEMO_HEADER, header));
  await git(['add', '--all'], { cwd: root });
  return root;
}

/** What a failing command must leave: no .lockstep/, and the files as git's index has them. */
async function unchanged(root: string): Promise<void> {
  expect(existsSync(join(root, '.lockstep'))).toBe(false);
  const changed = await git(['diff', '--name-only'], { cwd: root });
  const added = await git(['ls-files', '--others', '--exclude-standard'], { cwd: root });
  expect(changed.stdout + added.stdout).toBe('');
}

/** Run a command that must fail with `code`; its error and detail lines (after any progress). */
async function fails(root: string, code: number, ...argv: string[]): Promise<string> {
  const r = await cli(root, ...argv);
  expect(r.code, r.err).toBe(code);
  return r.err.slice(Math.max(0, r.err.indexOf('error: ')));
}

describe('two series in one workspace', () => {
  it('lists both; commands on one series need --series; unknown --series exits 2', async () => {
    const root = await twoSeries();
    const list = await cli(root, 'series');
    expect(list.code, list.err).toBe(0);
    expect(list.out).toContain(
      'demo: The demo series\n  patches/demo/series: 2 patches on demo 0.1',
    );
    expect(list.out).toContain('packages: @demo/alpha; version line 2 (npm dist-tag other)');
    const json = JSON.parse((await cli(root, 'series', '--json')).out);
    expect(
      json.series.map((s: { name: string; versionLine: number }) => [s.name, s.versionLine]),
    ).toEqual([
      ['demo', 1],
      ['other', 2],
    ]);
    // Each series on its own version line: demo's alpha is 1.x, other's 2.x.
    expect(json.series[0].steps[2].versions).toEqual({ '@demo/alpha': '1.1.1' });
    expect(json.series[1].steps[2].versions).toEqual({ '@demo/alpha': '2.1.1' });

    for (const argv of [['checkout', '1'], ['export'], ['bisect', 'x'], ['show', '1']]) {
      const err = await fails(root, 2, ...argv);
      expect(err, argv.join(' ')).toBe(
        'error: this command works on one series: give --series NAME\n  the series: demo, other\n',
      );
    }
    expect(await fails(root, 2, 'series', '--series', 'nope')).toBe(
      "error: unknown series 'nope'\n  the series: demo, other\n",
    );
    expect(await fails(root, 2, 'checkout', '1', '--series', 'Demo')).toContain(
      "unknown series 'Demo'",
    );
    await unchanged(root);

    const co = await cli(root, 'checkout', '2', '--series', 'other');
    expect(co.code, co.err).toBe(0);
    expect(co.out).toMatch(
      /^other: step 2 of 2 .* is checked out in .*\/\.lockstep\/tree\/other\n$/,
    );
    const one = JSON.parse((await cli(root, 'series', '--series', 'other', '--json')).out);
    expect(one.series.map((s: { name: string }) => s.name)).toEqual(['other']);
  });

  it('replaces the tree of the old single-series layout, unless it holds unexported work', async () => {
    const root = await makeWorkspace();
    const old = join(root, '.lockstep', 'tree');
    await materialise(await loadOneSeries(root), { dir: old }); // where the one tree used to be
    write(old, 'packages/alpha/src/index.ts', 'changed\n');
    const refused = await fails(root, 1, 'checkout', '1');
    expect(refused.split('\n')[0]).toBe(
      `error: ${old} is the tree of the old single-series layout and holds work that was not exported`,
    );
    expect(existsSync(join(old, '.git', 'lockstep.json'))).toBe(true);
    await treeGit(old, ['checkout', '--', '.']);
    const r = await cli(root, 'checkout', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`removing ${old}, the tree of the old single-series layout`);
    expect(existsSync(join(old, '.git'))).toBe(false);
    expect(existsSync(join(old, 'demo', '.git', 'lockstep.json'))).toBe(true);
  });

  it('defaults the version line to the place of the name', async () => {
    const root = await twoSeries(DEMO_HEADER);
    const json = JSON.parse((await cli(root, 'series', '--json')).out);
    expect(json.series.map((s: { versionLine: number }) => s.versionLine)).toEqual([1, 2]);
  });
});

describe('bad series layouts, each refused before anything changes', () => {
  it('the old single patches/series file', async () => {
    const root = await makeWorkspace();
    renameSync(join(root, 'patches/demo/series'), join(root, 'patches/series'));
    await git(['add', '--all'], { cwd: root });
    const err = await fails(root, 1, 'checkout', '1');
    expect(err.split('\n')[0]).toBe(
      'error: patches/series is the old single-series layout: each series now has its own directory',
    );
    expect(err).toContain('move it to patches/<name>/series');
    await unchanged(root);
  });

  it('a series directory without a series file', async () => {
    const root = await makeWorkspace();
    write(root, 'patches/stray/0001-x.patch', 'x\n');
    await git(['add', '--all'], { cwd: root });
    for (const argv of [['series'], ['checkout', '1', '--series', 'demo'], ['verify']]) {
      const err = await fails(root, 1, ...argv);
      expect(err.split('\n')[0], argv.join(' ')).toBe(
        'error: patches/stray/ has no series file (each directory under patches/ is a series: add patches/stray/series or move the directory out)',
      );
    }
    await unchanged(root);
  });

  it('two series whose names differ only in case', async () => {
    const root = await makeWorkspace();
    cpSync(join(root, 'patches/demo'), join(root, 'patches/Demo'), { recursive: true });
    await git(['add', '--all'], { cwd: root });
    const err = await fails(root, 1, 'series');
    expect(err.split('\n')[0]).toBe(
      'error: patches/Demo and patches/demo: two series whose names differ only in case',
    );
    await unchanged(root);
  });

  it('a series name npm would read as a version range (it is the dist-tag)', async () => {
    const root = await makeWorkspace();
    cpSync(join(root, 'patches/demo'), join(root, 'patches/v2'), { recursive: true });
    await git(['add', '--all'], { cwd: root });
    expect((await fails(root, 1, 'series')).split('\n')[0]).toBe(
      'error: patches/v2: a series name is its npm dist-tag, and npm refuses a tag that reads as a version range',
    );
    await unchanged(root);
  });

  it.each([
    [
      'Base',
      "error: patches/demo/series: no '# Base:' header line (it is required before the first patch)",
    ],
    [
      'Packages',
      "error: patches/demo/series: no '# Packages:' header line (it is required before the first patch)",
    ],
  ])('a series file without %s', async (key, message) => {
    const root = await makeWorkspace();
    const file = join(root, 'patches/demo/series');
    writeFileSync(file, readFileSync(file, 'utf8').replace(new RegExp(`^# ${key}:.*\\n`, 'm'), ''));
    await git(['add', '--all'], { cwd: root });
    expect((await fails(root, 1, 'checkout', '1')).split('\n')[0]).toBe(message);
    await unchanged(root);
  });

  it('Packages naming a package the workspace does not have', async () => {
    const root = await makeWorkspace();
    const file = join(root, 'patches/demo/series');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('@demo/alpha', '@demo/alpha @demo/nope'),
    );
    await git(['add', '--all'], { cwd: root });
    expect((await fails(root, 1, 'series')).split('\n')[0]).toBe(
      "error: patches/demo/series: Packages names '@demo/nope', which is not a workspace package (packages/*/package.json: @demo/alpha)",
    );
    await unchanged(root);
  });

  it('two series on the same version line', async () => {
    const root = await twoSeries(`${DEMO_HEADER}# Version-line: 1\n`);
    const file = join(root, 'patches/demo/series');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(DEMO_HEADER, `${DEMO_HEADER}# Version-line: 1\n`),
    );
    await git(['add', '--all'], { cwd: root });
    expect((await fails(root, 1, 'release', '--dry-run')).split('\n')[0]).toBe(
      "error: demo and other have the same version line 1: their published versions would collide (set '# Version-line: N' in one of them)",
    );
    await unchanged(root);
  });

  it('a patch that changes a package its series does not list', async () => {
    const root = await makeWorkspace({
      files: {
        'packages/beta/package.json': '{\n  "name": "@demo/beta",\n  "version": "0.1.0"\n}\n',
      },
    });
    const file = join(root, 'patches/demo/series');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('# Packages: @demo/alpha', '# Packages: @demo/beta'),
    );
    await git(['add', '--all'], { cwd: root });
    for (const argv of [['checkout', '2'], ['series'], ['verify']]) {
      const err = await fails(root, 1, ...argv);
      expect(err, argv.join(' ')).toBe(
        [
          'error: refused patch demo/0001-alpha-punctuate-the-greeting.patch: it changes @demo/alpha (packages/alpha/src/index.ts), which its series does not list',
          '  patches/demo/series lists Packages: @demo/beta',
          "  add @demo/alpha to its '# Packages:' line, or move the change out of the series; nothing was applied",
          '',
        ].join('\n'),
      );
    }
    await unchanged(root);
  });

  it('an unknown --series on every command that takes one', async () => {
    const root = await twoSeries();
    for (const cmd of [
      'series',
      'checkout 1',
      'export',
      'verify',
      'bisect x',
      'release',
      'review',
      'show 1',
    ]) {
      const r = await cli(root, ...cmd.split(' '), '--series', 'nope');
      expect(r.code, cmd).toBe(2);
      expect(r.err, cmd).toBe("error: unknown series 'nope'\n  the series: demo, other\n");
    }
    await unchanged(root);
  });
});
