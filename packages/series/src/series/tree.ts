import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { SeriesUsageError } from '../lib/errors.js';
import { type GitOptions, type GitResult, git } from '../lib/git.js';
import { isGitWorkTree, isInside } from './workspace.js';

/**
 * The materialised tree: a git repository outside the workspace's tracked files, with one
 * commit per step, tags step-0..step-N and the branch `series` at the last step. lockstep
 * records what it was built from in .git/lockstep.json.
 */
export const SERIES_BRANCH = 'series';
export const stepTag = (n: number) => `step-${n}`;

export interface TreeState {
  format: 1;
  /** sha256 of the base files the tree was built from (Workspace.baseHash). */
  baseHash: string;
  /** sha256 of the series file and its patches when built or last exported. */
  seriesHash: string;
  /** The series entries, in order: commit k after step-0 is patch k. */
  patches: string[];
  /** The commit the series branch pointed at when built or last exported. */
  head: string;
}

/** The tree of a series when --dir is not given: git-ignored, under the workspace root. */
export function defaultTreeDir(root: string, series: string): string {
  return join(root, '.lockstep', 'tree', series);
}

/** Where verify keeps a series' crash traces (step-N/ folders), read by review. */
export function defaultTracesDir(root: string, series: string): string {
  return join(root, '.lockstep', 'traces', series);
}

/** Run git in the tree, never in an enclosing repository. */
export function treeGit(
  dir: string,
  args: readonly string[],
  opts: Omit<GitOptions, 'cwd' | 'gitDir'> = {},
): Promise<GitResult> {
  return git(args, { ...opts, cwd: dir, gitDir: join(dir, '.git') });
}

function stateFile(dir: string): string {
  return join(dir, '.git', 'lockstep.json');
}

/** The recorded state, or null when `dir` is not a tree lockstep built. */
export function readState(dir: string): TreeState | null {
  try {
    const s = JSON.parse(readFileSync(stateFile(dir), 'utf8')) as TreeState;
    return s.format === 1 ? s : null;
  } catch {
    return null;
  }
}

export function writeState(dir: string, state: TreeState): void {
  writeFileSync(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
}

/** realpath of the longest existing prefix of `abs`, with the rest appended. */
function realpathLoose(abs: string): string {
  const rest: string[] = [];
  let p = abs;
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    rest.unshift(p.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
    p = up;
  }
  return join(realpathSync(p), ...rest);
}

/**
 * Where the tree goes: --dir (relative to `cwd`) or the default. A directory inside the
 * workspace is accepted only where the main repository tracks nothing and git ignores it
 * (like .lockstep/), so a build can never overwrite or be mistaken for workspace files;
 * without a git repository only .lockstep/ qualifies.
 */
export async function resolveTreeDir(
  root: string,
  series: string,
  dirOpt: string | undefined,
  cwd: string,
): Promise<string> {
  const abs = realpathLoose(
    dirOpt === undefined ? defaultTreeDir(root, series) : resolve(cwd, dirOpt),
  );
  const rootReal = realpathSync(root);
  const shown = dirOpt ?? abs;
  if (isInside(abs, rootReal)) {
    throw new SeriesUsageError(`--dir ${shown} would contain the workspace itself`);
  }
  if (existsSync(abs) && !statSync(abs).isDirectory()) {
    throw new SeriesUsageError(`--dir ${shown} exists and is not a directory`);
  }
  if (!isInside(rootReal, abs)) return abs;
  const rel = relative(rootReal, abs).split(sep).join('/');
  const first = rel.split('/')[0]!;
  const refuse = (why: string) =>
    new SeriesUsageError(`--dir ${shown} is inside the workspace ${why}`, [
      'use a directory outside the workspace, or leave --dir out for .lockstep/tree/<series>',
    ]);
  if (!(await isGitWorkTree(rootReal))) {
    if (first !== '.lockstep') throw refuse('(only .lockstep/ may hold a tree there)');
    return abs;
  }
  const tracked = await git(['ls-files', '-z', '--', first], { cwd: rootReal });
  if (tracked.stdout !== '') throw refuse(`in ${first}/, which holds tracked files`);
  const ignored = await git(['check-ignore', '-q', '--', rel], { cwd: rootReal, check: false });
  if (ignored.code !== 0) throw refuse('in a place git does not ignore');
  return abs;
}

/**
 * Why rebuilding or exporting could lose work in the tree: uncommitted changes, and commits
 * on a branch or HEAD that `head` (the series as built or last exported) does not contain.
 */
export async function unsavedWork(dir: string, head: string): Promise<string[]> {
  const out: string[] = [];
  const status = await treeGit(dir, ['status', '--porcelain']);
  const changed = status.stdout.split('\n').filter((l) => l !== '');
  if (changed.length > 0) {
    out.push(`${changed.length} uncommitted change(s), e.g. '${changed[0]!.slice(3)}'`);
  }
  const commits = await treeGit(dir, ['rev-list', 'HEAD', '--branches', '--not', head]);
  const n = commits.stdout.split('\n').filter((l) => l !== '').length;
  if (n > 0) out.push(`${n} commit(s) that are not in the exported series`);
  return out;
}

/** The commit a ref names in the tree, or null. */
export async function revParse(dir: string, ref: string): Promise<string | null> {
  const r = await treeGit(dir, ['rev-parse', '-q', '--verify', `${ref}^{commit}`], {
    check: false,
  });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Fail unless `dir` is a tree lockstep built. */
export function requireTree(dir: string): TreeState {
  const state = readState(dir);
  if (state === null) {
    throw new SeriesUsageError(`${dir} is not a tree built by lockstep`, [
      'run `lockstep checkout <step>` first (with the same --dir)',
    ]);
  }
  return state;
}
