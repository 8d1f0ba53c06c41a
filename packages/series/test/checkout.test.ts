import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { treeGit } from '../src/series/tree.js';
import {
  cleanup,
  cli,
  makeWorkspace,
  PATCH1,
  PATCH2,
  TEST_COMMIT_ENV,
  tempDir,
  write,
} from './helpers.js';

afterEach(cleanup);

const show = async (dir: string, rev: string, fmt: string) =>
  (await treeGit(dir, ['show', '-s', `--format=${fmt}`, rev])).stdout.trim();

describe('lockstep checkout', () => {
  it('builds tags step-0..2 with authors, dates and messages from the patches', async () => {
    const root = await makeWorkspace();
    const r = await cli(root, 'checkout', '2');
    expect(r.code, r.err).toBe(0);
    const dir = join(root, '.lockstep', 'tree', 'demo');
    expect(r.out).toBe(
      `demo: step 2 of 2 (after ${PATCH2}: alpha: count two and trail off when whispering) is checked out in ${dir}\n`,
    );
    expect(r.err).toContain('lockstep: step 2: demo/0002');
    const tags = (await treeGit(dir, ['tag', '--list'])).stdout.split('\n').filter(Boolean);
    expect(tags).toEqual(['step-0', 'step-1', 'step-2']);
    expect(await show(dir, 'step-1', '%an <%ae>|%ad|%s')).toBe(
      'Ada Example <ada@example.org>|Tue Feb 5 10:00:00 2008 -0500|alpha: punctuate the greeting',
    );
    expect(await show(dir, 'step-1', '%b')).toContain('Fixes-reproducer: demo-greeting');
    expect(await show(dir, 'step-2^', '%H')).toBe(await show(dir, 'step-1', '%H'));
    expect((await treeGit(dir, ['symbolic-ref', '--short', 'HEAD'])).stdout.trim()).toBe('series');
    const src = readFileSync(join(dir, 'packages/alpha/src/index.ts'), 'utf8');
    expect(src).toContain("return 'hello, ' + who + '!';");
    expect(src).toContain('return 2;');
    expect(existsSync(join(dir, '.changeset/alpha-count.md'))).toBe(true);
    // Build output stays out of the tree's status, as in the workspace.
    write(dir, 'node_modules/x/index.js', '');
    expect((await treeGit(dir, ['status', '--porcelain'])).stdout).toBe('');
  });

  it('checks out an earlier step detached and reuses the tree when nothing changed', async () => {
    const root = await makeWorkspace();
    expect((await cli(root, 'checkout', '2')).code).toBe(0);
    const r = await cli(root, 'checkout', 'step-1', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ step: 1, steps: 2, reused: true, patch: PATCH1 });
    const dir = j.dir as string;
    const src = readFileSync(join(dir, 'packages/alpha/src/index.ts'), 'utf8');
    expect(src).toContain("'hello, ' + who + '!'");
    expect(src).toContain('return 1;');
    expect((await treeGit(dir, ['rev-parse', 'HEAD'])).stdout.trim()).toBe(j.commit);
    const r0 = await cli(root, 'checkout', '0', '--json');
    expect(readFileSync(join(dir, 'packages/alpha/src/index.ts'), 'utf8')).toContain(
      "return 'hello ' + who;",
    );
    expect(JSON.parse(r0.out).reused).toBe(true);
  });

  it('gives the same commits in two workspaces (fixed base identity and dates)', async () => {
    const a = JSON.parse((await cli(await makeWorkspace(), 'checkout', '2', '--json')).out);
    const b = JSON.parse((await cli(await makeWorkspace(), 'checkout', '2', '--json')).out);
    expect(a.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(b.commit).toBe(a.commit);
  });

  it('rebuilds when the series changes, but not over unexported commits unless forced', async () => {
    const root = await makeWorkspace();
    await cli(root, 'checkout', '2');
    const dir = join(root, '.lockstep', 'tree', 'demo');
    write(dir, 'packages/alpha/NOTES', 'work in progress\n');
    await treeGit(dir, ['add', '--all']);
    await treeGit(dir, ['commit', '--quiet', '-m', 'alpha: notes'], { env: TEST_COMMIT_ENV });

    writeFileSync(
      join(root, 'patches/demo/series'),
      `# edited\n${readFileSync(join(root, 'patches/demo/series'), 'utf8')}`,
    );
    const refused = await cli(root, 'checkout', '1');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('holds work that was not exported');
    expect(refused.err).toContain('1 commit(s) that are not in the exported series');
    expect(existsSync(join(dir, 'packages/alpha/NOTES'))).toBe(true);

    const forced = await cli(root, 'checkout', '1', '--force', '--json');
    expect(forced.code, forced.err).toBe(0);
    expect(JSON.parse(forced.out).reused).toBe(false);
    expect(existsSync(join(dir, 'packages/alpha/NOTES'))).toBe(false);
    expect(readdirSync(join(root, '.lockstep'))).toEqual(['tree']);
  });

  it('refuses to switch steps over uncommitted changes', async () => {
    const root = await makeWorkspace();
    await cli(root, 'checkout', '2');
    const dir = join(root, '.lockstep', 'tree', 'demo');
    write(dir, 'packages/alpha/src/index.ts', 'edited\n');
    const r = await cli(root, 'checkout', '1');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`\nerror: ${dir} has uncommitted changes; not switching to step 1\n`);
    expect(readFileSync(join(dir, 'packages/alpha/src/index.ts'), 'utf8')).toBe('edited\n');
  });

  it('builds in a --dir outside the workspace and refuses one among tracked files', async () => {
    const root = await makeWorkspace();
    const outside = join(tempDir(), 'tree');
    const ok = await cli(root, 'checkout', '1', '--dir', outside, '--json');
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).dir).toBe(outside);
    expect(existsSync(join(root, '.lockstep'))).toBe(false);

    for (const dir of ['packages/tree', 'patches/tree', 'elsewhere/tree', '.']) {
      const r = await cli(root, 'checkout', '1', '--dir', dir);
      expect(r.code, dir).toBe(2);
      expect(r.err).toMatch(/^error: --dir /);
    }
    expect(existsSync(join(root, 'packages/tree'))).toBe(false);
    expect(existsSync(join(root, 'elsewhere'))).toBe(false);
  });

  it('works in a workspace that is not a git repository (only .lockstep/ inside it)', async () => {
    const root = await makeWorkspace({ git: false });
    const r = await cli(root, 'checkout', '2');
    expect(r.code, r.err).toBe(0);
    expect((await cli(root, 'checkout', '1', '--dir', 'packages/tree')).code).toBe(2);
  });
});
