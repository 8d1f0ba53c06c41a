/**
 * Shrinking a failing schedule to fewer preemptions, so the interleaving a reader has to
 * follow is as short as it can be. First a strict bounded exhaustive search below the found
 * count (bounds 0..k-1, within the run budget) for the same title: its first find has the
 * fewest preemptions any schedule needs, and if it covers the bounds without a find, k is
 * the minimum (ShrinkResult.minimal says which was proven). Then the schedule string is
 * simplified without adding preemptions. Two moves, both checked by re-running: cut the decision
 * list to the shortest prefix that still reproduces (binary search; after the prefix the run
 * never preempts), and drop one preemption at a time (let the running task continue there,
 * replaying the rest leniently). A change is kept only if the same title comes back.
 */
import { LockstepUsageError, type Report } from '../report.js';
import type { MachineOptions, RunResult } from '../sched.js';
import { explore } from './explorer.js';
import { checkScenario, DEFAULT_MAX_STEPS, positive, runScenario, type Scenario } from './run.js';
import { formatSchedule, parseSchedule } from './schedule.js';
import { ReplayChooser } from './strategies.js';

export interface ShrinkOptions {
  machine?: MachineOptions;
  maxSteps?: number;
  maxJiffies?: number;
  /** Most replays to spend. Default 10000. */
  maxRuns?: number;
  /**
   * Most of those to spend on the strict search below the found count (the part that can
   * prove the result minimal). Default: all of maxRuns. Scenarios whose runs are expensive
   * (a lockd reproducer) cap it; `minimal` then says whether the cap still covered the bounds.
   */
  maxRunsBelow?: number;
}

export interface ShrinkResult {
  schedule: string;
  preemptionsBefore: number;
  preemptionsAfter: number;
  decisionsBefore: number;
  decisionsAfter: number;
  /** The report of the shrunk schedule (same title). */
  report: Report;
  /** Replays spent (the search below the found count included). */
  runs: number;
  /**
   * True when no schedule with fewer preemptions reproduces the title: the search below
   * the found count covered its bounds. False when the run budget ended it first.
   */
  minimal: boolean;
}

/** Shrink `schedule` to fewer (or equal) preemptions that still reproduce `title`. */
export function shrink(
  scenario: Scenario,
  schedule: string,
  title: string,
  opts: ShrinkOptions = {},
): ShrinkResult {
  checkScenario(scenario);
  const start = parseSchedule(schedule);
  if (typeof title !== 'string' || title === '')
    throw new LockstepUsageError('shrink needs the title of the report to keep reproducing');
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  positive('maxSteps', maxSteps);
  if (opts.maxJiffies !== undefined) positive('maxJiffies', opts.maxJiffies);
  const maxRuns = opts.maxRuns ?? 10_000;
  positive('maxRuns', maxRuns);
  const maxRunsBelow = Math.min(opts.maxRunsBelow ?? maxRuns, maxRuns);
  positive('maxRunsBelow', maxRunsBelow);

  let runs = 0;
  const replayOnce = (d: readonly number[]): { r: RunResult; prevs: number[] } => {
    runs++;
    const c = new ReplayChooser(d, false, true);
    const { r } = runScenario(scenario, c, opts.machine, maxSteps, opts.maxJiffies);
    return { r, prevs: c.prevs };
  };
  const reproduces = (r: RunResult): boolean => r.report?.title === title;

  /**
   * One run with fewer preemptions that still fails, or null. First try deleting a whole
   * block of equal decisions (that task's steps move to its next block, and the others keep
   * their step counts); then try continuing the preempted task at a single decision.
   */
  const dropOnePreemption = (
    d: readonly number[],
    prevs: readonly number[],
    preemptions: number,
  ): { r: RunResult; prevs: number[] } | null => {
    const isPreemption = (i: number): boolean => prevs[i] !== 0 && d[i] !== prevs[i];
    const better = (cand: readonly number[]) => {
      const a = replayOnce(cand);
      return reproduces(a.r) && a.r.preemptions < preemptions ? a : null;
    };
    // Latest first: changing the end disturbs the least of what led up to it.
    for (let end = d.length; end > 0 && runs < maxRuns; ) {
      let start = end - 1;
      while (start > 0 && d[start - 1] === d[end - 1]) start--;
      const a = better([...d.slice(0, start), ...d.slice(end)]);
      if (a !== null) return a;
      end = start;
    }
    for (let i = d.length - 1; i >= 0 && runs < maxRuns; i--) {
      if (!isPreemption(i)) continue;
      const cand = d.slice();
      cand[i] = prevs[i]!;
      const a = better(cand);
      if (a !== null) return a;
    }
    return null;
  };

  const first = replayOnce(start);
  if (!reproduces(first.r))
    throw new LockstepUsageError(
      `schedule does not reproduce ${JSON.stringify(title)}: replaying it ended ${describeEnd(first.r)}`,
    );
  const before = first.r.preemptions;

  // The fewest preemptions: strict bounded search of bounds 0..before-1 for the same title.
  let minimal = before === 0;
  let seedDecisions = first.r.decisions;
  if (!minimal && runs < maxRuns) {
    const below = explore(scenario, {
      strategy: 'exhaustive',
      preemptionBound: before - 1,
      maxSchedules: Math.min(maxRunsBelow, maxRuns - runs),
      maxSteps,
      ...(opts.maxJiffies !== undefined ? { maxJiffies: opts.maxJiffies } : {}),
      ...(opts.machine !== undefined ? { machine: opts.machine } : {}),
      until: (rep) => rep.title === title,
    });
    runs += below.schedules;
    if (below.found !== undefined) {
      seedDecisions = parseSchedule(below.found.schedule);
      minimal = (below.exhaustedBound ?? -1) >= below.found.preemptions - 1;
    } else minimal = below.exhausted;
  }

  // Shortest failing prefix of `d` (which reproduces as a whole).
  const shortestPrefix = (d: readonly number[]): number[] => {
    let lo = 0;
    let hi = d.length;
    while (lo < hi && runs < maxRuns) {
      const mid = (lo + hi) >>> 1;
      if (reproduces(replayOnce(d.slice(0, mid)).r)) hi = mid;
      else lo = mid + 1;
    }
    return d.slice(0, hi);
  };

  let cur = shortestPrefix(seedDecisions);
  let best = replayOnce(cur);
  while (runs < maxRuns) {
    const next = dropOnePreemption(best.r.decisions, best.prevs, best.r.preemptions);
    if (next === null) break;
    best = next;
  }
  cur = shortestPrefix(best.r.decisions);
  const final = replayOnce(cur);
  if (!reproduces(final.r) || final.r.preemptions > before)
    throw new Error('lockstep internal error: the shrunk schedule does not reproduce');
  return {
    schedule: formatSchedule(cur),
    preemptionsBefore: before,
    preemptionsAfter: final.r.preemptions,
    decisionsBefore: start.length,
    decisionsAfter: cur.length,
    report: final.r.report!,
    runs,
    minimal: minimal && final.r.preemptions <= before,
  };
}

function describeEnd(r: RunResult): string {
  if (r.report !== undefined) return `with ${JSON.stringify(r.report.title)}`;
  if (r.outcome === 'budget') return `at its ${r.budget ?? 'step'} budget, without a report`;
  if (r.outcome === 'error') return `in a scenario error: ${(r.error ?? '').split('\n')[0]}`;
  return 'cleanly';
}
