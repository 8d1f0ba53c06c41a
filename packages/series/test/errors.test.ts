import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { treeGit } from '../src/series/tree.js';
import {
  ALPHA_INDEX,
  cleanup,
  cli,
  DEMO_HEADER,
  demoSeries,
  ENTRY1,
  ENTRY2,
  mailPatch,
  makeWorkspace,
  PATCH1,
  PATCH2,
  write,
} from './helpers.js';

afterEach(cleanup);

/** The first `error:` line and the detail lines after it. */
function errorOf(stderr: string): { line: string; details: string[] } {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('error: '));
  const details: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('  ')) break;
    details.push(l.slice(2));
  }
  return { line: lines[at] ?? '', details };
}

/** A workspace whose third patch is `diff`. */
async function withThirdPatch(diff: string, files: Record<string, string> = {}) {
  const root = await makeWorkspace({ files });
  write(root, 'patches/demo/0003-evil.patch', mailPatch('evil', diff));
  writeFileSync(join(root, 'patches/demo/series'), demoSeries(ENTRY1, ENTRY2, '0003-evil.patch'));
  return root;
}

const newFile = (path: string) => `diff --git a/${path} b/${path}
new file mode 100644
index 000000000000..587be6b4c3f9
--- /dev/null
+++ b/${path}
@@ -0,0 +1 @@
+x
`;

describe('a patch that does not apply', () => {
  const broken = ALPHA_INDEX.replace('return greet(who).toLowerCase();', 'return who;');

  it('is reported with the patch, the file and the hunk, and no tree is left', async () => {
    const root = await makeWorkspace({ files: { 'packages/alpha/src/index.ts': broken } });
    const r = await cli(root, 'checkout', '2');
    expect(r.code).toBe(1);
    const e = errorOf(r.err);
    expect(e.line).toBe(
      `error: patch ${PATCH2} does not apply to step 1: packages/alpha/src/index.ts, hunk #2 (@@ -14,5 +14,5 @@ export function shout(who: string): string {)`,
    );
    expect(e.details).toContain('listed on patches/demo/series:8');
    expect(e.details).toContain('error: patch failed: packages/alpha/src/index.ts:14');
    expect(e.details.at(-1)).toMatch(/nothing was applied: .* was not created$/);
    expect(existsSync(join(root, '.lockstep'))).toBe(false);
    // `series` applies the version files only, so it does not see a hunk of index.ts fail.
    expect((await cli(root, 'series')).code).toBe(0);
  });

  it('leaves an existing tree exactly as it was', async () => {
    const root = await makeWorkspace();
    await cli(root, 'checkout', '1');
    const dir = join(root, '.lockstep', 'tree', 'demo');
    const head = (await treeGit(dir, ['rev-parse', 'HEAD'])).stdout;
    const state = readFileSync(join(dir, '.git/lockstep.json'), 'utf8');

    write(root, 'packages/alpha/src/index.ts', broken);
    const r = await cli(root, 'checkout', '2');
    expect(r.code).toBe(1);
    expect(errorOf(r.err).line).toContain('hunk #2');
    expect(errorOf(r.err).details.at(-1)).toBe(`nothing was applied: ${dir} was left as it was`);
    expect((await treeGit(dir, ['rev-parse', 'HEAD'])).stdout).toBe(head);
    expect(readFileSync(join(dir, '.git/lockstep.json'), 'utf8')).toBe(state);
    expect((await treeGit(dir, ['status', '--porcelain'])).stdout).toBe('');
    expect(existsSync(join(dir, '.git/rebase-apply'))).toBe(false);
    expect(readdirSync(join(root, '.lockstep'))).toEqual(['tree']);
  });

  it('names a file that is missing', async () => {
    const root =
      await withThirdPatch(`diff --git a/packages/alpha/missing.ts b/packages/alpha/missing.ts
index 587be6b4c3f9..000000000000 100644
--- a/packages/alpha/missing.ts
+++ b/packages/alpha/missing.ts
@@ -1 +1 @@
-x
+y
`);
    const r = await cli(root, 'checkout', '3');
    expect(r.code).toBe(1);
    expect(errorOf(r.err).line).toBe(
      'error: patch demo/0003-evil.patch does not apply to step 2: packages/alpha/missing.ts does not exist',
    );
  });
});

describe('patches whose paths leave the workspace', () => {
  it.each([
    ['../escape.txt', "path '../escape.txt' contains '..', so it leaves the workspace"],
    ['packages/../../escape.txt', "contains '..', so it leaves the workspace"],
    ['/etc/escape.txt', "path '/etc/escape.txt' is absolute, so it leaves the workspace"],
    ['.git/hooks/post-commit', "path '.git/hooks/post-commit' is inside '.git'"],
  ])('refuses %s before applying anything', async (path, why) => {
    const root = await withThirdPatch(newFile(path));
    for (const cmd of [['checkout', '1'], ['series']]) {
      const r = await cli(root, ...cmd);
      expect(r.code, cmd.join(' ')).toBe(1);
      const e = errorOf(r.err);
      expect(e.line).toContain(`error: refused patch demo/0003-evil.patch: `);
      expect(e.line).toContain(why);
      expect(e.details).toContain('listed on patches/demo/series:6; nothing was applied');
    }
    expect(existsSync(join(root, '.lockstep'))).toBe(false);
  });

  it('refuses a path through a symlink of the tree, and a patch adding a symlink', async () => {
    const root = await withThirdPatch(newFile('packages/alpha/out/escape.txt'));
    symlinkSync('../../..', join(root, 'packages/alpha/out'));
    const r = await cli(root, 'checkout', '2');
    expect(r.code).toBe(1);
    expect(errorOf(r.err).line).toBe(
      "error: refused patch demo/0003-evil.patch: path 'packages/alpha/out/escape.txt' goes through the symlink 'packages/alpha/out' in the tree",
    );

    const root2 = await withThirdPatch(`diff --git a/packages/alpha/link b/packages/alpha/link
new file mode 120000
index 000000000000..8d1b0b3a2b5c
--- /dev/null
+++ b/packages/alpha/link
@@ -0,0 +1 @@
+/etc
\\ No newline at end of file
`);
    const r2 = await cli(root2, 'checkout', '2');
    expect(r2.code).toBe(1);
    expect(errorOf(r2.err).line).toBe(
      "error: refused patch demo/0003-evil.patch: it creates a symlink at 'packages/alpha/link'; patches may not add symlinks",
    );
    expect(existsSync(join(root2, '.lockstep'))).toBe(false);
  });
});

describe('bad series files and usage', () => {
  it('reports a malformed or duplicate series line with its line number', async () => {
    const root = await makeWorkspace();
    writeFileSync(
      join(root, 'patches/demo/series'),
      `${DEMO_HEADER}# c\n${ENTRY1}\n${ENTRY2}\n${ENTRY1}\n`,
    );
    const r = await cli(root, 'checkout', '1');
    expect(r.code).toBe(1);
    expect(errorOf(r.err).line).toBe(
      `error: patches/demo/series:7: duplicate entry '${ENTRY1}' (first listed on line 5)`,
    );
    writeFileSync(join(root, 'patches/demo/series'), `${DEMO_HEADER}${ENTRY1}\n\n${ENTRY2} -p0\n`);
    expect(errorOf((await cli(root, 'series')).err).line).toMatch(
      /^error: patches\/demo\/series:6: malformed entry/,
    );
    writeFileSync(join(root, 'patches/demo/series'), demoSeries(ENTRY1, '0009-gone.patch'));
    expect(errorOf((await cli(root, 'series')).err).line).toBe(
      'error: patches/demo/series:5: patches/demo/0009-gone.patch does not exist',
    );
  });

  it('rejects a file that is not a format-patch mail', async () => {
    const root = await makeWorkspace();
    writeFileSync(join(root, 'patches', PATCH2), newFile('packages/alpha/new.ts'));
    const r = await cli(root, 'series');
    expect(r.code).toBe(1);
    expect(errorOf(r.err).line).toBe(`error: patch ${PATCH2} is not a git format-patch file`);
  });

  it('lists the valid steps for an unknown step (exit 2)', async () => {
    const root = await makeWorkspace();
    for (const step of ['3', 'three', '-1']) {
      const r = await cli(root, 'checkout', '--', step);
      expect(r.code, step).toBe(2);
      const e = errorOf(r.err);
      expect(e.line).toBe(`error: unknown step '${step}': valid steps are 0..2`);
      expect(e.details).toEqual([
        '0  base',
        `1  ${PATCH1}: alpha: punctuate the greeting`,
        `2  ${PATCH2}: alpha: count two and trail off when whispering`,
      ]);
    }
    expect(existsSync(join(root, '.lockstep'))).toBe(false);
  });

  it('exits 2 for unknown commands and options, and 0 with truthful help', async () => {
    const root = await makeWorkspace();
    expect((await cli(root, 'frobnicate')).code).toBe(2);
    expect((await cli(root, 'checkout', '1', '--bogus')).code).toBe(2);
    expect((await cli(root, 'checkout')).code).toBe(2);
    expect((await cli(root)).code).toBe(2);
    const top = await cli(root, '--help');
    expect(top.code).toBe(0);
    expect(top.out).toContain('Exit status: 0 on success, 1 when');
    for (const [cmd, says] of [
      ['series', 'assemble-release-plan'],
      ['checkout', '.lockstep/tree'],
      ['export', 'byte'],
    ] as const) {
      const h = await cli(root, cmd, '--help');
      expect(h.code, cmd).toBe(0);
      expect(h.out).toContain(`Usage: lockstep ${cmd}`);
      expect(h.out.replace(/\s+/g, ' ')).toContain(says);
    }
  });

  it('says where the workspace is missing', async () => {
    const r = await cli('/', 'series');
    expect(r.code).toBe(2);
    expect(errorOf(r.err).line).toMatch(/^error: no lockstep workspace at or above \//);
  });
});
