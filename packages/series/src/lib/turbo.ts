import { dirname, join } from 'node:path';
import { type ProcResult, runProcess } from './proc.js';

/**
 * turbo's cache for a tree: beside it, not in it, so that a tree rebuilt after a workspace
 * change still finds the tasks whose inputs did not change; and shared by the trees of every
 * series (.lockstep/tree/.turbo-cache), since their steps 0 and unpatched packages are the same.
 */
export function turboCacheDir(dir: string): string {
  return join(dirname(dir), '.turbo-cache');
}

/** The turbo arguments of a step's tasks (names, or `package#task` ids) in a tree. */
export function stepTurboArgs(dir: string, tasks: readonly string[]): string[] {
  return [
    'node_modules/turbo/bin/turbo',
    'run',
    ...tasks,
    '--output-logs=errors-only',
    `--cache-dir=${turboCacheDir(dir)}`,
  ];
}

/**
 * The environment of a step's turbo run in verify and bisect: builds without declaration
 * files (tsup.shared.ts), which only typechecking and publishing need. Release builds keep them.
 */
export const STEP_ENV: Readonly<Record<string, string>> = { LOCKSTEP_NO_DTS: '1' };

/** Build the reproducers and everything they depend on at the checked-out step (bisect). */
export function buildForReproducers(dir: string): Promise<ProcResult> {
  return runProcess(
    'node',
    [...stepTurboArgs(dir, ['build']), '--filter=@lockstep/reproducers...'],
    { cwd: dir, env: STEP_ENV },
  );
}
