import { type ProcResult, runProcess } from './proc.js';

/**
 * turbo's cache for a tree: beside it, not in it, so that a tree rebuilt after a workspace
 * change still finds the tasks whose inputs did not change.
 */
export function turboCacheDir(dir: string): string {
  return `${dir}.turbo-cache`;
}

/**
 * The turbo arguments of a step: every workspace package but the lockstep CLI itself (which
 * no patch touches and the main tree's tests cover).
 */
export function stepTurboArgs(dir: string, tasks: readonly string[]): string[] {
  return [
    'node_modules/turbo/bin/turbo',
    'run',
    ...tasks,
    '--filter=!@lockstep/series',
    '--output-logs=errors-only',
    `--cache-dir=${turboCacheDir(dir)}`,
  ];
}

/** Build the reproducers and everything they depend on at the checked-out step (bisect). */
export function buildForReproducers(dir: string): Promise<ProcResult> {
  return runProcess(
    'node',
    [...stepTurboArgs(dir, ['build']), '--filter=@lockstep/reproducers...'],
    {
      cwd: dir,
    },
  );
}
