import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeriesFailure } from './errors.js';
import { runProcess, tail } from './proc.js';

const STAMP = join('node_modules', '.lockstep-deps');

function lockHash(dir: string): string {
  const lock = join(dir, 'package-lock.json');
  if (!existsSync(lock))
    throw new SeriesFailure(`${dir} has no package-lock.json`, [
      'the base must include package-lock.json so the tree installs the same dependencies',
    ]);
  return createHash('sha256').update(readFileSync(lock)).digest('hex');
}

/**
 * Give the materialised tree its own node_modules (its workspace links must point at the
 * tree's packages, not the main tree's). Installed once with `npm install` and reused while the
 * lockfile is unchanged; the internal packages' versions change per step, their links do not.
 */
export async function ensureTreeDeps(dir: string, log: (line: string) => void): Promise<boolean> {
  const want = lockHash(dir);
  const stamp = join(dir, STAMP);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return false;
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
  writeFileSync(stamp, want);
  log(`dependencies installed in ${(r.ms / 1000).toFixed(1)} s`);
  return true;
}
