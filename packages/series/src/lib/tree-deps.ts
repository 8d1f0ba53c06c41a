import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { SeriesFailure } from './errors.js';
import { runProcess, tail } from './proc.js';

const STAMP = join('node_modules', '.lockstep-deps');
/** Caches tools rewrite in place (vitest's results): a linked copy must not share them. */
const WRITTEN_IN_PLACE = [join('node_modules', '.vite'), join('node_modules', '.cache')];

function lockHash(dir: string): string {
  const lock = join(dir, 'package-lock.json');
  if (!existsSync(lock))
    throw new SeriesFailure(`${dir} has no package-lock.json`, [
      'the base must include package-lock.json so the tree installs the same dependencies',
    ]);
  return createHash('sha256').update(readFileSync(lock)).digest('hex');
}

/** The node_modules folders of a workspace: the root's and any package's own. */
function nodeModulesDirs(root: string): string[] {
  const dirs = ['node_modules'];
  const pkgs = join(root, 'packages');
  if (existsSync(pkgs))
    for (const p of readdirSync(pkgs).sort())
      if (existsSync(join(pkgs, p, 'node_modules'))) dirs.push(join('packages', p, 'node_modules'));
  return dirs;
}

/**
 * Link the workspace's installed node_modules into the tree (hard links, `cp -al`; a plain copy
 * across file systems). The workspace links (`@lockstep/x -> ../../packages/x`) are relative,
 * so in the tree they point at the tree's packages. Only when the lockfiles are the same.
 */
async function linkWorkspaceDeps(dir: string, from: string, lock: string): Promise<boolean> {
  if (!existsSync(join(from, 'node_modules', '.package-lock.json'))) return false;
  if (!existsSync(join(from, 'package-lock.json')) || lockHash(from) !== lock) return false;
  for (const nm of nodeModulesDirs(dir)) rmSync(join(dir, nm), { recursive: true, force: true });
  for (const nm of nodeModulesDirs(from)) {
    if (!existsSync(join(dir, nm, '..'))) continue; // a package the tree does not have
    let r = await runProcess('cp', ['-al', join(from, nm), join(dir, nm)], { cwd: dir });
    if (r.code !== 0) {
      rmSync(join(dir, nm), { recursive: true, force: true });
      r = await runProcess('cp', ['-a', join(from, nm), join(dir, nm)], { cwd: dir });
    }
    if (r.code !== 0) {
      for (const d of nodeModulesDirs(dir)) rmSync(join(dir, d), { recursive: true, force: true });
      return false;
    }
    for (const w of WRITTEN_IN_PLACE)
      rmSync(join(dir, nm, '..', w), { recursive: true, force: true });
  }
  // npm rewrites its hidden lockfile in place: the tree gets its own copy.
  const hidden = join('node_modules', '.package-lock.json');
  rmSync(join(dir, hidden));
  copyFileSync(join(from, hidden), join(dir, hidden));
  return true;
}

/**
 * Give the materialised tree its own node_modules (its workspace links must point at the
 * tree's packages, not the main tree's): linked from the workspace's when `from` has the same
 * lockfile installed, else `npm install`. Reused while the lockfile is unchanged; the internal
 * packages' versions change per step, their links do not.
 */
export async function ensureTreeDeps(
  dir: string,
  log: (line: string) => void,
  from?: string,
): Promise<boolean> {
  const want = lockHash(dir);
  const stamp = join(dir, STAMP);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return false;
  const started = performance.now();
  if (from !== undefined && (await linkWorkspaceDeps(dir, from, want))) {
    rmSync(stamp, { force: true }); // linked from a tree: its stamp is the same inode
    writeFileSync(stamp, want);
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    log(`dependencies linked from ${join(from, 'node_modules')} (same lockfile) in ${secs} s`);
    return true;
  }
  log(`installing the tree's dependencies (npm install in ${dir})`);
  // npm install, not npm ci: npm 11.19 writes lockfiles without other platforms' optional
  // packages, which npm ci then rejects; npm install follows the lockfile as it is.
  const r = await runProcess(
    'npm',
    [
      'install',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
    ],
    { cwd: dir },
  );
  if (r.code !== 0)
    throw new SeriesFailure(
      `npm install failed in ${dir} (exit ${r.code})`,
      tail(r.stderr + r.stdout),
    );
  mkdirSync(dirname(stamp), { recursive: true }); // npm makes none for a project without deps
  writeFileSync(stamp, want);
  log(`dependencies installed in ${(r.ms / 1000).toFixed(1)} s`);
  return true;
}
