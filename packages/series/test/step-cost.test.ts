import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureTreeDeps } from '../src/lib/tree-deps.js';
import { stepTaskIds } from '../src/verify/step-tasks.js';
import { cleanup, cli, makeWorkspace, SERIES_TEXT, tempDir, write } from './helpers.js';

afterEach(cleanup);

const pkg = (
  name: string,
  scripts: Record<string, string>,
  more: Record<string, Record<string, string>> = {},
) => `${JSON.stringify({ name, version: '0.1.0', scripts, ...more }, null, 2)}\n`;

describe('the tasks of a verify step', () => {
  it('tests the packages a series can change, skips the tool packages it leaves alone, runs repro', async () => {
    const root = await makeWorkspace({
      files: {
        'packages/alpha/package.json': pkg('@demo/alpha', { test: 'vitest run' }),
        'packages/kernel/package.json': pkg('@lockstep/kernel', { test: 'vitest run' }),
        'packages/reproducers/package.json': pkg('@lockstep/reproducers', {
          test: 'vitest run',
          repro: 'node dist/cli.js',
        }),
        'packages/quiet/package.json': pkg('@demo/quiet', { build: 'tsup' }),
      },
    });
    expect((await cli(root, 'checkout', '2')).code).toBe(0);
    expect(await stepTaskIds(join(root, '.lockstep', 'tree', 'demo'), 2)).toEqual([
      '@demo/alpha#test',
      '@lockstep/reproducers#repro',
    ]);
  });

  it("tests the series' packages and their dependents, not another series' model", async () => {
    const root = await makeWorkspace({
      files: {
        'packages/alpha/package.json': pkg('@demo/alpha', { test: 'vitest run' }),
        'packages/user/package.json': pkg(
          '@demo/user',
          { test: 'vitest run' },
          { peerDependencies: { '@demo/alpha': '*' } },
        ),
        'packages/top/package.json': pkg(
          '@demo/top',
          { test: 'vitest run' },
          { dependencies: { '@demo/user': '*' } },
        ),
        'packages/other/package.json': pkg('@demo/other', { test: 'vitest run' }),
      },
    });
    expect((await cli(root, 'checkout', '2')).code).toBe(0);
    const tree = join(root, '.lockstep', 'tree', 'demo');
    expect(await stepTaskIds(tree, 2, ['@demo/alpha'])).toEqual([
      '@demo/alpha#test',
      '@demo/top#test',
      '@demo/user#test',
    ]);
    // Without the header's packages, every package's tests run (the behaviour before headers).
    expect(await stepTaskIds(tree, 2)).toContain('@demo/other#test');
  });

  it('tests a tool package at every step when a patch of the series changes it', async () => {
    // The demo patches change packages/alpha: name that package as the kernel core.
    const root = await makeWorkspace({
      files: {
        'packages/alpha/package.json': pkg('@lockstep/kernel', { test: 'vitest run' }),
        'patches/demo/series': SERIES_TEXT.replace('@demo/alpha', '@lockstep/kernel'),
      },
    });
    expect((await cli(root, 'checkout', '2')).code).toBe(0);
    expect(await stepTaskIds(join(root, '.lockstep', 'tree', 'demo'), 2)).toEqual([
      '@lockstep/kernel#test',
    ]);
  });
});

describe("the tree's node_modules", () => {
  const LOCK = '{ "name": "demo", "lockfileVersion": 3, "packages": {} }\n';

  function installed(root: string, lock: string): void {
    write(root, 'package-lock.json', lock);
    write(root, 'node_modules/.package-lock.json', lock);
    write(root, 'node_modules/dep/index.js', 'module.exports = 1;\n');
    write(root, 'node_modules/.vite/vitest/results.json', '{}\n');
    write(root, 'packages/alpha/package.json', '{ "name": "@demo/alpha" }\n');
  }

  it('links the workspace install when the lockfiles agree; workspace links point into the tree', async () => {
    const ws = tempDir();
    installed(ws, LOCK);
    mkdirSync(join(ws, 'node_modules', '@demo'));
    symlinkSync('../../packages/alpha', join(ws, 'node_modules', '@demo', 'alpha'));
    const tree = tempDir();
    write(tree, 'package-lock.json', LOCK);
    write(tree, 'packages/alpha/package.json', '{ "name": "@demo/alpha" }\n');
    const lines: string[] = [];
    expect(await ensureTreeDeps(tree, (l) => lines.push(l), ws)).toBe(true);
    expect(lines.join('\n')).toMatch(/dependencies linked from .* \(same lockfile\)/);
    expect(realpathSync(join(tree, 'node_modules', '@demo', 'alpha'))).toBe(
      realpathSync(join(tree, 'packages', 'alpha')),
    );
    const a = statSync(join(ws, 'node_modules', 'dep', 'index.js'));
    const b = statSync(join(tree, 'node_modules', 'dep', 'index.js'));
    expect(b.ino).toBe(a.ino); // hard links on one file system: no copy
    expect(existsSync(join(tree, 'node_modules', '.vite'))).toBe(false);
    const hidden = join('node_modules', '.package-lock.json');
    expect(statSync(join(tree, hidden)).ino).not.toBe(statSync(join(ws, hidden)).ino);
    // The stamp is the tree's own file, not the workspace's.
    expect(existsSync(join(ws, 'node_modules', '.lockstep-deps'))).toBe(false);
    expect(readFileSync(join(tree, 'node_modules', '.lockstep-deps'), 'utf8')).toMatch(
      /^[0-9a-f]{64}$/,
    );
    // Reused while the lockfile is unchanged.
    expect(await ensureTreeDeps(tree, (l) => lines.push(l), ws)).toBe(false);
  });

  it('does not link an install of another lockfile', async () => {
    const ws = tempDir();
    installed(ws, LOCK.replace('"demo"', '"other"'));
    const tree = tempDir();
    write(tree, 'package.json', '{ "name": "demo", "private": true }\n');
    write(tree, 'package-lock.json', LOCK);
    const lines: string[] = [];
    await ensureTreeDeps(tree, (l) => lines.push(l), ws);
    expect(lines[0]).toMatch(/^installing the tree's dependencies/);
    expect(existsSync(join(tree, 'node_modules', 'dep'))).toBe(false);
  });
});
