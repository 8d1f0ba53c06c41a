/**
 * Splitting one seeded random exploration across processes or machines, the way test
 * runners shard: shard i of n runs the run indices i - 1, i - 1 + n, ... below maxSchedules
 * (each index has its own seed, mixSeed(seed, index)), and mergeShards picks the find with
 * the lowest run index, the one a single process would have stopped at. The verdict, the
 * space covered and the reported schedule are the same for any n; only the count of runs
 * past the first find differs.
 *
 * PCT, exhaustive and DPOR runs depend on the runs before them (PCT's step estimate, the
 * search's work lists), so they are not sharded.
 */
import { LockstepUsageError, type Report } from '../report.js';
import { type ExploreOptions, type ExploreResult, explore } from './explorer.js';
import type { Scenario } from './run.js';

export const SHARD_FORMAT = 'lockstep-explore-shard/1';

/** One shard's result, as JSON. */
export interface ShardResult {
  format: typeof SHARD_FORMAT;
  shard: { index: number; count: number };
  seed: number;
  maxSchedules: number;
  schedules: number;
  steps: number;
  reports: number;
  budgetRuns: number;
  /** Stopped by steps or time before its indices ran out: the merged search is cut too. */
  cut?: 'steps' | 'time';
  found?: {
    schedule: string;
    runIndex: number;
    preemptions: number;
    steps: number;
    report: Report;
  };
  error?: { text: string; schedule: string; runIndex: number };
}

export type ShardOptions = Omit<ExploreOptions, 'strategy' | 'shard' | 'onProgress'> & {
  shard: { index: number; count: number; stop?: Int32Array };
};

/** Run shard `opts.shard` of a seeded random exploration. */
export function exploreShard(scenario: Scenario, opts: ShardOptions): ShardResult {
  const seed = opts.seed ?? 1;
  const maxSchedules = opts.maxSchedules ?? 1000;
  const r = explore(scenario, { ...opts, strategy: 'random', seed, maxSchedules });
  const out: ShardResult = {
    format: SHARD_FORMAT,
    shard: { index: opts.shard.index, count: opts.shard.count },
    seed,
    maxSchedules,
    schedules: r.schedules,
    steps: r.steps,
    reports: r.reports,
    budgetRuns: r.budgetRuns,
  };
  if (r.budget === 'steps' || r.budget === 'time') out.cut = r.budget;
  if (r.found !== undefined) {
    const { schedule, runIndex, preemptions, steps, report } = r.found;
    out.found = { schedule, runIndex, preemptions, steps, report };
  }
  if (r.error !== undefined) out.error = r.error;
  return out;
}

/** Merge the results of shards 1..n of one exploration into one ExploreResult. */
export function mergeShards(shards: readonly ShardResult[]): ExploreResult {
  if (shards.length === 0) throw new LockstepUsageError('mergeShards: no shard results');
  const first = shards[0]!;
  const n = first.shard.count;
  const seen = new Set<number>();
  for (const s of shards) {
    if (s.format !== SHARD_FORMAT)
      throw new LockstepUsageError(
        `not a shard result (format ${JSON.stringify(s.format)}, expected ${SHARD_FORMAT})`,
      );
    if (s.shard.count !== n || s.seed !== first.seed || s.maxSchedules !== first.maxSchedules)
      throw new LockstepUsageError(
        `shard ${s.shard.index}/${s.shard.count} (seed ${s.seed}, ${s.maxSchedules} schedules) is not of the same exploration as shard ${first.shard.index}/${n} (seed ${first.seed}, ${first.maxSchedules} schedules)`,
      );
    if (seen.has(s.shard.index))
      throw new LockstepUsageError(`shard ${s.shard.index}/${n} is given twice`);
    seen.add(s.shard.index);
  }
  const missing: number[] = [];
  for (let i = 1; i <= n; i++) if (!seen.has(i)) missing.push(i);
  if (missing.length > 0)
    throw new LockstepUsageError(
      `missing shard results: ${missing.map((i) => `${i}/${n}`).join(', ')}`,
    );
  // The first find or error by run index: where a single process would have stopped.
  let stop: { at: number; s: ShardResult } | null = null;
  for (const s of shards) {
    const at = Math.min(s.found?.runIndex ?? Infinity, s.error?.runIndex ?? Infinity);
    if (at !== Infinity && (stop === null || at < stop.at)) stop = { at, s };
  }
  const res: ExploreResult = {
    schedules: 0,
    steps: 0,
    exhausted: false,
    reports: 0,
    budgetRuns: 0,
  };
  for (const s of shards) {
    res.schedules += s.schedules;
    res.steps += s.steps;
    res.reports += s.reports;
    res.budgetRuns += s.budgetRuns;
  }
  if (stop !== null) {
    const s = stop.s;
    if (s.error !== undefined && s.error.runIndex === stop.at) res.error = s.error;
    else if (s.found !== undefined) res.found = { ...s.found };
  } else {
    const cut = shards.find((s) => s.cut !== undefined);
    res.budget = cut?.cut ?? 'schedules';
  }
  return res;
}
