import { basename } from 'node:path';
import { stepTag, treeGit } from '../series/tree.js';
import { readPackages } from '../series/versions.js';

/**
 * Packages whose tests are the tool's own, not a step's: the kernel core, the reproducers and
 * the CLI are the same at every step (`npm test` covers them), and the reproducers' step check
 * is their `repro` task, which runs each of them once. A series that patches one of them gets
 * its tests back at every step.
 */
export const TOOL_PACKAGES: readonly string[] = [
  '@lockstep/kernel',
  '@lockstep/reproducers',
  '@lockstep/series',
];

/** The package folders any patch of the series changes (step 0 to the last step). */
async function patchedDirs(tree: string, last: number): Promise<Set<string>> {
  if (last === 0) return new Set();
  const r = await treeGit(tree, [
    'diff',
    '--name-only',
    stepTag(0),
    stepTag(last),
    '--',
    'packages',
  ]);
  return new Set(
    r.stdout
      .split('\n')
      .filter(Boolean)
      .map((p) => p.split('/')[1]!),
  );
}

/**
 * The turbo tasks of every step, as `package#task` ids (turbo adds the builds they need): the
 * tests of each package a series can change, and every package's `repro` task.
 */
export async function stepTaskIds(tree: string, last: number): Promise<string[]> {
  const patched = await patchedDirs(tree, last);
  const pkgs = [...readPackages(tree, 'in the tree').entries()].map(([name, p]) => ({
    name,
    dir: basename(p.dir),
    scripts: (p.json as { scripts?: Record<string, string> }).scripts ?? {},
  }));
  const tests = pkgs.filter(
    (p) => p.scripts.test !== undefined && (!TOOL_PACKAGES.includes(p.name) || patched.has(p.dir)),
  );
  const repro = pkgs.filter((p) => p.scripts.repro !== undefined);
  return [...tests.map((p) => `${p.name}#test`), ...repro.map((p) => `${p.name}#repro`)];
}
