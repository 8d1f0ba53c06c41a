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

type Pkgs = Map<string, { json: unknown }>;

/**
 * The series' packages and every workspace package that depends on one of them, directly or
 * not (dependencies, peer and optional dependencies): the packages whose tests a step of the
 * series can change. Another series' model (an illumos package beside the lockd series) is left
 * out: its tests give the same result at every step.
 */
export function dependentClosure(pkgs: Pkgs, roots: readonly string[]): Set<string> {
  const deps = (json: unknown): string[] => {
    const j = json as Record<string, Record<string, string> | undefined>;
    return ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) =>
      Object.keys(j[k] ?? {}),
    );
  };
  const out = new Set(roots.filter((r) => pkgs.has(r)));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, p] of pkgs)
      if (!out.has(name) && deps(p.json).some((d) => out.has(d))) {
        out.add(name);
        grew = true;
      }
  }
  return out;
}

/**
 * The turbo tasks of every step, as `package#task` ids (turbo adds the builds they need): the
 * tests of each package a series can change (its header's packages and their dependents, or
 * every package when the header is not given), and every package's `repro` task.
 */
export async function stepTaskIds(
  tree: string,
  last: number,
  seriesPackages?: readonly string[],
): Promise<string[]> {
  const patched = await patchedDirs(tree, last);
  const read = readPackages(tree, 'in the tree');
  const reach = seriesPackages === undefined ? null : dependentClosure(read, seriesPackages);
  const pkgs = [...read.entries()].map(([name, p]) => ({
    name,
    dir: basename(p.dir),
    scripts: (p.json as { scripts?: Record<string, string> }).scripts ?? {},
  }));
  const tests = pkgs.filter(
    (p) =>
      p.scripts.test !== undefined &&
      (patched.has(p.dir) ||
        (!TOOL_PACKAGES.includes(p.name) && (reach === null || reach.has(p.name)))),
  );
  const repro = pkgs.filter((p) => p.scripts.repro !== undefined);
  return [...tests.map((p) => `${p.name}#test`), ...repro.map((p) => `${p.name}#repro`)];
}
