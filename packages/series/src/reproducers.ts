import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeriesFailure } from './errors.js';
import type { ReproducerMeta } from './expect.js';
import { runProcess, tail } from './proc.js';

/** Where the reproducers package lives in a tree, and its CLI once built. */
export const REPRO_PACKAGE = join('packages', 'reproducers');
export const REPRO_CLI = join(REPRO_PACKAGE, 'dist', 'cli.js');
/** What its `repro` turbo task writes (cached by turbo with the build). */
export const REPRO_RESULTS = join(REPRO_PACKAGE, 'repro-results.json');

/** One reproducer's outcome at one step, as lockstep-repro --json reports it. */
export interface ReproOutcome {
  id: string;
  status: 'crash' | 'clean' | 'error';
  title?: string;
  report?: string;
  schedule?: string;
  error?: string;
  explored?: { strategy: string; schedules: number; exhausted: boolean; preemptionBound?: number };
  ms?: number;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SeriesFailure(`${what} did not print JSON`, tail(text));
  }
}

/** The reproducers of a built tree (lockstep-repro --list --json). */
export async function listReproducers(dir: string): Promise<ReproducerMeta[]> {
  if (!existsSync(join(dir, REPRO_CLI)))
    throw new SeriesFailure(`${join(dir, REPRO_CLI)} is missing`, [
      'the reproducers package did not build',
    ]);
  const r = await runProcess('node', [REPRO_CLI, '--list', '--json'], { cwd: dir });
  if (r.code !== 0)
    throw new SeriesFailure('lockstep-repro --list failed', tail(r.stderr + r.stdout));
  return parseJson<{ reproducers: ReproducerMeta[] }>(r.stdout, 'lockstep-repro --list')
    .reproducers;
}

/** The outcomes the `repro` task wrote in a tree. */
export function readReproResults(dir: string): ReproOutcome[] {
  const file = join(dir, REPRO_RESULTS);
  if (!existsSync(file))
    throw new SeriesFailure(`${file} was not written`, ['the repro task did not run']);
  return parseJson<{ outcomes: ReproOutcome[] }>(readFileSync(file, 'utf8'), file).outcomes;
}

/** Run some reproducers in a built tree now (bisect runs one at a time). */
export async function runReproducers(dir: string, ids: readonly string[]): Promise<ReproOutcome[]> {
  const r = await runProcess('node', [REPRO_CLI, ...ids, '--json'], { cwd: dir });
  if (r.code !== 0)
    throw new SeriesFailure(
      `lockstep-repro ${ids.join(' ')} failed (exit ${r.code})`,
      tail(r.stderr + r.stdout),
    );
  return parseJson<{ outcomes: ReproOutcome[] }>(r.stdout, 'lockstep-repro').outcomes;
}
