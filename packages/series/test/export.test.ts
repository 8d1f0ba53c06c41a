import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { treeGit } from '../src/series/tree.js';
import {
  cleanup,
  cli,
  DEMO_HEADER,
  ENTRY1,
  ENTRY2,
  FIXTURES,
  makeWorkspace,
  PATCH1,
  PATCH2,
  SERIES_TEXT,
  TEST_COMMIT_ENV,
  tempDir,
  write,
} from './helpers.js';

afterEach(cleanup);

const read = (root: string, p: string) => readFileSync(join(root, p));

describe('lockstep export', () => {
  it('reproduces the patch files and the series byte for byte after a checkout', async () => {
    const root = await makeWorkspace();
    expect((await cli(root, 'checkout', '1')).code).toBe(0);
    const r = await cli(root, 'export', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      series: 'demo',
      patches: [PATCH1, PATCH2],
      written: [],
      unchanged: [PATCH1, PATCH2],
      removed: [],
      seriesChanged: false,
    });
    for (const p of [PATCH1, PATCH2]) {
      expect(read(root, `patches/${p}`).equals(readFileSync(join(FIXTURES, p)))).toBe(true);
    }
    expect(read(root, 'patches/demo/series').toString()).toBe(SERIES_TEXT);
    expect(readdirSync(join(root, 'patches/demo')).sort()).toEqual(
      [...readdirSync(join(FIXTURES, 'demo')), 'series'].sort(),
    );
  });

  it('writes a new commit as a patch that checks out and exports unchanged again', async () => {
    const root = await makeWorkspace();
    await cli(root, 'checkout', '2');
    const dir = join(root, '.lockstep', 'tree', 'demo');
    write(dir, 'packages/alpha/src/extra.ts', "export const extra = 'é';\n");
    write(dir, '.changeset/alpha-extra.md', '---\n"@demo/alpha": major\n---\n\nAdd extra.\n');
    await treeGit(dir, ['add', '--all']);
    await treeGit(
      dir,
      ['commit', '--quiet', '-m', 'alpha: add extra', '-m', 'Fixes-reproducer: demo-extra'],
      {
        env: TEST_COMMIT_ENV,
      },
    );

    const r = await cli(root, 'export');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      'exported 3 patches to patches/demo/ (1 written, 2 unchanged, 0 removed; patches/demo/series rewritten)\n',
    );
    const series = read(root, 'patches/demo/series').toString();
    expect(series).toBe(
      `${DEMO_HEADER}# The demo series: two small patches to @demo/alpha.\n${ENTRY1}\n${ENTRY2}\n0003-alpha-add-extra.patch\n`,
    );
    expect(r.err).toContain('1 comment line(s) between series entries were dropped');
    const p3 = read(root, 'patches/demo/0003-alpha-add-extra.patch').toString();
    expect(p3.split('\n').slice(0, 4)).toEqual([
      'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
      'From: Cy Example <cy@example.org>',
      'Date: Fri, 8 Feb 2008 12:00:00 +0000',
      'Subject: [PATCH] alpha: add extra',
    ]);

    // The tree now stands for the exported series: checkout reuses it and knows step 3.
    const again = await cli(root, 'checkout', '3', '--json');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ reused: true, steps: 3 });

    // A second workspace built from the exported files exports them unchanged.
    const copy = await makeWorkspace();
    cpSync(join(root, 'patches'), join(copy, 'patches'), { recursive: true });
    expect((await cli(copy, 'checkout', '3')).code).toBe(0);
    const rt = JSON.parse((await cli(copy, 'export', '--json')).out);
    expect(rt.written).toEqual([]);
    expect(read(copy, 'patches/demo/0003-alpha-add-extra.patch').toString()).toBe(p3);
  });

  it('deletes the files of patches dropped from the series', async () => {
    const root = await makeWorkspace();
    await cli(root, 'checkout', '2');
    const dir = join(root, '.lockstep', 'tree', 'demo');
    await treeGit(dir, ['reset', '--quiet', '--hard', 'step-1']);
    const r = await cli(root, 'export', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ patches: [PATCH1], removed: [PATCH2] });
    expect(existsSync(join(root, 'patches', PATCH2))).toBe(false);
    expect((await cli(root, 'series', '--json')).out).toContain('"step": 1');
  });

  it('refuses uncommitted changes and a patches/ that changed since the build', async () => {
    const root = await makeWorkspace();
    await cli(root, 'checkout', '2');
    const dir = join(root, '.lockstep', 'tree', 'demo');
    write(dir, 'packages/alpha/src/index.ts', 'edited\n');
    const dirty = await cli(root, 'export');
    expect(dirty.code).toBe(1);
    expect(dirty.err).toContain(`error: ${dir} has uncommitted changes; commit them first`);
    await treeGit(dir, ['checkout', '--quiet', '--', '.']);

    const p1 = join(root, 'patches', PATCH1);
    writeFileSync(p1, `${readFileSync(p1, 'utf8')}\n`);
    const changed = await cli(root, 'export');
    expect(changed.code).toBe(1);
    expect(changed.err).toContain('patches/demo/ changed since');
    expect(readFileSync(p1, 'utf8').endsWith('\n\n')).toBe(true);
  });

  it('needs a tree to export from', async () => {
    const root = await makeWorkspace();
    const r = await cli(root, 'export', '--dir', join(tempDir(), 'none'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: .* is not a tree built by lockstep\n/);
  });
});
