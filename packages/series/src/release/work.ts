import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { SeriesFailure } from '../lib/errors.js';
import { git, LOCKSTEP_IDENT } from '../lib/git.js';
import { runProcess, tail } from '../lib/proc.js';
import { ensureTreeDeps } from '../lib/tree-deps.js';
import { turboCacheDir } from '../lib/turbo.js';
import { stepTag, treeGit } from '../series/tree.js';

/** The branch of the release work tree: the series with each step's `changeset version`. */
export const RELEASE_BRANCH = 'release';

/** A workspace package as the release work tree has it at the current step. */
export interface WorkPackage {
  name: string;
  version: string;
  dir: string;
  private: boolean;
  json: Record<string, unknown>;
}

/**
 * Make `work` a clone of the materialised tree at step 0 on branch `release`, with its own
 * node_modules (installed once, reused while the lockfile is the same). The clone is reset on
 * every run: a release always walks the series from the base.
 */
export async function prepareWork(tree: string, work: string, log: (l: string) => void) {
  if (!existsSync(join(work, '.git'))) {
    mkdirSync(dirname(work), { recursive: true });
    log(`cloning the series tree into ${work}`);
    await git(['clone', '--quiet', '--no-checkout', tree, work], {
      cwd: dirname(work),
      outsideRepo: true,
    });
    for (const [k, v] of [
      ['core.autocrlf', 'false'],
      ['gc.auto', '0'],
      ['advice.detachedHead', 'false'],
      ['commit.gpgSign', 'false'],
    ] as const)
      await treeGit(work, ['config', k, v]);
  }
  // The tree may have been rebuilt since: take its step tags as they are now.
  await treeGit(work, ['fetch', '--quiet', '--force', tree, '+refs/tags/*:refs/tags/*']);
  copyFileSync(join(tree, '.git', 'info', 'exclude'), join(work, '.git', 'info', 'exclude'));
  await treeGit(work, ['checkout', '--quiet', '--force', '-B', RELEASE_BRANCH, stepTag(0)]);
  await treeGit(work, ['clean', '--quiet', '-fdx', '-e', 'node_modules']);
  await ensureTreeDeps(work, log, tree);
}

/** The author date of a step's commit, used as the release commits' dates (reproducible). */
async function stepDate(work: string, step: number): Promise<string> {
  return (await treeGit(work, ['log', '-1', '--format=%aI', stepTag(step)])).stdout.trim();
}

/** Apply step `step`'s patch on the release branch (a cherry-pick of its commit). */
export async function applyStep(work: string, step: number, patch: string): Promise<void> {
  const date = await stepDate(work, step);
  const r = await treeGit(work, ['cherry-pick', '--allow-empty', stepTag(step)], {
    env: { ...LOCKSTEP_IDENT, GIT_COMMITTER_DATE: date },
    check: false,
  });
  if (r.code !== 0) {
    await treeGit(work, ['cherry-pick', '--abort'], { check: false });
    throw new SeriesFailure(
      `patch ${patch} (step ${step}) does not apply on top of the versions of step ${step - 1}`,
      tail(`${r.stdout}\n${r.stderr}`, 10),
    );
  }
}

/** The changeset files waiting in .changeset/ (not README.md). */
export function pendingChangesets(work: string): string[] {
  const dir = join(work, '.changeset');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
    .sort();
}

/** Run `changeset version` (the tree's own @changesets/cli) to consume the pending changesets. */
export async function changesetVersion(work: string): Promise<void> {
  const bin = join(work, 'node_modules', '@changesets', 'cli', 'bin.js');
  if (!existsSync(bin))
    throw new SeriesFailure(`${bin} is missing`, [
      'the workspace must have @changesets/cli as a dev dependency',
    ]);
  const r = await runProcess(process.execPath, [bin, 'version'], { cwd: work });
  if (r.code !== 0)
    throw new SeriesFailure(`changeset version failed (exit ${r.code})`, tail(r.stdout + r.stderr));
}

/** packages/NAME/package.json of the work tree, by name. */
export function readWorkPackages(work: string): Map<string, WorkPackage> {
  const out = new Map<string, WorkPackage>();
  const root = join(work, 'packages');
  for (const d of readdirSync(root).sort()) {
    const file = join(root, d, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    out.set(String(json.name), {
      name: String(json.name),
      version: String(json.version),
      dir: join(root, d),
      private: json.private === true,
      json,
    });
  }
  return out;
}

/** Record in package.json where a version comes from (read back by `lockstep bisect --package`). */
export function stampStep(
  pkg: WorkPackage,
  meta: { step: number; patch: string | null; subject: string | null },
): void {
  pkg.json.lockstep = meta;
  writeFileSync(join(pkg.dir, 'package.json'), `${JSON.stringify(pkg.json, null, 2)}\n`);
}

/** Commit the step's version changes on the release branch. */
export async function commitStep(work: string, step: number): Promise<void> {
  const date = await stepDate(work, step);
  await treeGit(work, ['add', '--all', '.']);
  await treeGit(
    work,
    [
      'commit',
      '--quiet',
      '--no-verify',
      '--allow-empty',
      '-m',
      `lockstep release: versions of step ${step}`,
    ],
    { env: { ...LOCKSTEP_IDENT, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } },
  );
  await treeGit(work, ['tag', '--force', `release-step-${step}`]);
}

/** Build the step's packages (turbo, cached beside the work tree), leaving out `exclude`. */
export async function buildStep(work: string, exclude: readonly string[]): Promise<number> {
  const args = [
    join('node_modules', 'turbo', 'bin', 'turbo'),
    'run',
    'build',
    ...exclude.map((n) => `--filter=!${n}`),
    '--output-logs=errors-only',
    `--cache-dir=${turboCacheDir(work)}`,
  ];
  const r = await runProcess('node', args, { cwd: work });
  if (r.code !== 0)
    throw new SeriesFailure('the step does not build', tail(r.stdout + r.stderr, 20));
  return r.ms;
}

/** Internal packages in dependency order (dependencies first), then by name. */
export function dependencyOrder(pkgs: readonly WorkPackage[]): WorkPackage[] {
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const out: WorkPackage[] = [];
  const seen = new Set<string>();
  const visit = (p: WorkPackage, stack: string[]) => {
    if (seen.has(p.name) || stack.includes(p.name)) return;
    const deps = {
      ...(p.json.dependencies as Record<string, string> | undefined),
      ...(p.json.peerDependencies as Record<string, string> | undefined),
    };
    for (const d of Object.keys(deps).sort()) {
      const q = byName.get(d);
      if (q) visit(q, [...stack, p.name]);
    }
    seen.add(p.name);
    out.push(p);
  };
  for (const p of [...pkgs].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(p, []);
  return out;
}
