import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeriesFailure } from './errors.js';
import { runProcess, tail } from './proc.js';

/** Where the reproducers package lives in a tree, and its CLI once built. */
export const REPRO_PACKAGE = join('packages', 'reproducers');
export const REPRO_CLI = join(REPRO_PACKAGE, 'dist', 'cli.js');
/** What its `repro` turbo task writes (cached by turbo with the build). */
export const REPRO_RESULTS = join(REPRO_PACKAGE, 'repro-results.json');

/** What a reproducer says about itself (lockstep-repro --list --json). */
export interface ReproducerMeta {
  id: string;
  title: string;
  /** The crash title it expects while the bug is present. */
  expects: string;
  kind: string;
  doc: string;
}

/**
 * One phase of a reproducer's portfolio, as it ran (mirrors PhaseRun in
 * packages/reproducers/src/types.ts; the CLI reads JSON, so the types are repeated here).
 */
export interface PhaseRun {
  /** 'default', 'pct d=2 seed=3', 'random seed=1', 'exhaustive pb=2'. */
  label: string;
  strategy: 'default' | 'pct' | 'random' | 'exhaustive';
  seed?: number;
  depth?: number;
  preemptionBound?: number;
  schedules: number;
  exhausted?: boolean;
  exhaustedBound?: number;
  budget?: 'schedules' | 'steps' | 'time';
  found?: boolean;
}

/** What a cell may claim (DESIGN.md "Verdicts"); absent on status 'error'. */
export type VerdictKind = 'crash' | 'clean-exhausted' | 'clean-searched';

/** How a reproducer's schedules were explored (mirrors Explored in the reproducers package). */
export interface Explored {
  strategy: string;
  schedules: number;
  exhausted: boolean;
  /** The stated space that was covered, in words. */
  space?: string;
  preemptionBound?: number;
  budget?: 'schedules' | 'steps' | 'time';
  budgetRuns?: number;
  phases?: PhaseRun[];
  /** Crash: the phase that found it, and schedules run up to and including the find. */
  foundBy?: string;
  schedulesToFind?: number;
}

/** One reproducer's outcome at one step, as lockstep-repro --json reports it. */
export interface ReproOutcome {
  id: string;
  status: 'crash' | 'clean' | 'error';
  verdict?: VerdictKind;
  title?: string;
  report?: string;
  schedule?: string;
  error?: string;
  explored?: Explored;
  /** The kernel log of the run that crashed, or of the single run. */
  dmesg?: string;
  warnings?: string[];
  otherReports?: Array<{ title: string; schedule: string; runs: number }>;
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
