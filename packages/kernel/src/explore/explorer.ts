/**
 * The explorer: runs a scenario under many schedules, each on a fresh Machine, until a run
 * ends in a report (or one that `until` accepts), the space is covered, or a budget runs
 * out. Every finding comes with a schedule string that replays it exactly.
 */
import { LockstepUsageError, type Report } from '../report.js';
import {
  type Chooser,
  type Machine,
  type MachineOptions,
  RunAbort,
  type RunResult,
  type TraceEvent,
} from '../sched.js';
import { type DporRun, DporSearch } from './dpor.js';
import { BoundedSearch } from './exhaustive.js';
import { mixSeed } from './prng.js';
import { checkScenario, DEFAULT_MAX_STEPS, positive, runScenario, type Scenario } from './run.js';
import { formatSchedule, parseSchedule } from './schedule.js';
import { pctChooser, ReplayChooser, randomChooser } from './strategies.js';

export type Strategy = 'random' | 'pct' | 'exhaustive' | 'dpor';

export interface ExploreProgress {
  schedules: number;
  steps: number;
  /** Runs so far that ended in a report that `until` did not accept. */
  reports: number;
}

export interface ExploreOptions {
  strategy?: Strategy;
  /** Seed for random and pct (a safe integer >= 0). Default 1. */
  seed?: number;
  /** PCT bug depth d >= 1: d - 1 priority change points. Default 3. */
  depth?: number;
  /** Exhaustive: most preemptions per schedule (>= 0). Default 2. */
  preemptionBound?: number;
  /**
   * Exhaustive: bound delays instead of preemptions (IDB, >= 0): the search's bounds,
   * exhaustedBound and Finding.bound then count delays. Not with preemptionBound.
   */
  delayBound?: number;
  /** Most schedules to run. Default 1000 (random, pct) or 100000 (exhaustive, dpor). */
  maxSchedules?: number;
  /** Scheduling-step budget of each run. Default 1000000. */
  maxSteps?: number;
  /** Virtual-time budget of each run, in jiffies. */
  maxJiffies?: number;
  /** Scheduling-step budget of the whole exploration. */
  maxTotalSteps?: number;
  /** Wall-clock budget of the whole exploration, in milliseconds. */
  timeLimitMs?: number;
  /** Which reports count as a finding. Default: any report. */
  until?: (report: Report, run: RunResult) => boolean;
  /** Options of every run's Machine (trace, stacks, livelockSteps). */
  machine?: MachineOptions;
  /**
   * Capturing backtraces costs more than the rest of a run together, and only reports show
   * them. So by default runs capture none (stacks: false), and a run that ends in a report
   * is run again under the same schedule, with `machine` as given, for the report with its
   * backtraces (the same run: stacks never change what the model does). Set false to
   * capture stacks in every run instead. Default true.
   */
  reportStacksOnly?: boolean;
  /** Called every `progressEvery` schedules (default 1000), for command-line tools. */
  onProgress?: (p: ExploreProgress) => void;
  progressEvery?: number;
  /**
   * Random only: run only the run indices i (0-based, below maxSchedules) with
   * i % count === index - 1. See exploreShard and mergeShards.
   */
  shard?: {
    index: number;
    count: number;
    /**
     * Shared by shards running at once (exploreParallel): stop[0] is the lowest run index
     * any of them found (or errored) at, 0x7fffffff before. A shard stops before an index
     * above it: that run cannot be the first find. Only the count of runs changes.
     */
    stop?: Int32Array;
  };
}

export interface Finding {
  schedule: string;
  report: Report;
  preemptions: number;
  /** 0-based index of the run that found it. */
  runIndex: number;
  steps: number;
  /**
   * Exhaustive: the bound being searched when it was found. Bounds are strict, so every
   * schedule with fewer preemptions ran first (the result's exhaustedBound is bound - 1).
   */
  bound?: number;
}

export interface ExploreResult {
  found?: Finding;
  /** Schedules run, including the one that found something. */
  schedules: number;
  /** Scheduling steps over all runs. */
  steps: number;
  /**
   * Exhaustive: every schedule within the preemption bound was run. DPOR: every class of
   * equivalent schedules (the whole reduced space, no bound) was run. Else false; never true
   * when a budget or a find stopped the search or work was dropped to stay within it.
   */
  exhausted: boolean;
  /**
   * Exhaustive: the highest preemption bound whose every schedule ran (-1: not even bound
   * 0's). Equals preemptionBound exactly when `exhausted`.
   */
  exhaustedBound?: number;
  /** The exploration budget that stopped it, if one did. */
  budget?: 'schedules' | 'steps' | 'time';
  /** Runs that ended in a report that `until` did not accept. */
  reports: number;
  /** Runs cut short by their own step or time budget (maxSteps, maxJiffies). */
  budgetRuns: number;
  /** The first such run. */
  firstBudgetRun?: { schedule: string; runIndex: number; budget: 'steps' | 'time' };
  /** DPOR: runs stopped early because every task that could run was asleep (redundant). */
  sleepBlocked?: number;
  /** A scenario error (a JavaScript error, not an oops) stopped the exploration. */
  error?: { text: string; schedule: string; runIndex: number };
}

export interface ReplayOptions {
  /** Machine options: pass {trace: true} to get the trace. */
  machine?: MachineOptions;
  maxSteps?: number;
  maxJiffies?: number;
  /** Fall back to the default where the schedule names a task that cannot run. */
  lenient?: boolean;
}

export interface Replayed extends RunResult {
  /** The machine after the run: its log, trace and tasks. */
  machine: Machine;
  trace?: TraceEvent[];
}

/** Explore schedules of `scenario` with a strategy until a finding or a budget. */
export function explore(scenario: Scenario, opts: ExploreOptions = {}): ExploreResult {
  checkScenario(scenario);
  const strategy = opts.strategy ?? 'random';
  if (
    strategy !== 'random' &&
    strategy !== 'pct' &&
    strategy !== 'exhaustive' &&
    strategy !== 'dpor'
  )
    throw new LockstepUsageError(
      `unknown strategy ${JSON.stringify(strategy)}: use 'random', 'pct', 'exhaustive' or 'dpor'`,
    );
  const seed = opts.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new LockstepUsageError(`seed must be an integer >= 0, got ${String(seed)}`);
  const depth = opts.depth ?? 3;
  positive('depth', depth, ' (the PCT bug depth d, >= 1)');
  if (opts.delayBound !== undefined && opts.preemptionBound !== undefined)
    throw new LockstepUsageError('give preemptionBound or delayBound, not both');
  const byDelay = opts.delayBound !== undefined;
  const bound = opts.delayBound ?? opts.preemptionBound ?? 2;
  if (!Number.isSafeInteger(bound) || bound < 0)
    throw new LockstepUsageError(
      `${byDelay ? 'delayBound' : 'preemptionBound'} must be an integer >= 0, got ${String(bound)}`,
    );
  const maxSchedules =
    opts.maxSchedules ?? (strategy === 'exhaustive' || strategy === 'dpor' ? 100_000 : 1000);
  positive('maxSchedules', maxSchedules);
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  positive('maxSteps', maxSteps);
  if (opts.maxJiffies !== undefined) positive('maxJiffies', opts.maxJiffies);
  const maxTotalSteps = opts.maxTotalSteps ?? Number.POSITIVE_INFINITY;
  if (opts.maxTotalSteps !== undefined) positive('maxTotalSteps', maxTotalSteps);
  const timeLimit = opts.timeLimitMs ?? Number.POSITIVE_INFINITY;
  if (opts.timeLimitMs !== undefined && !(timeLimit > 0))
    throw new LockstepUsageError(
      `timeLimitMs must be a positive number of milliseconds, got ${String(opts.timeLimitMs)}`,
    );
  const every = opts.progressEvery ?? 1000;
  positive('progressEvery', every);
  const until = opts.until ?? (() => true);
  const fullStacks = opts.machine?.stacks ?? true;
  const lazyStacks = opts.reportStacksOnly !== false && fullStacks;
  const searchMachine: MachineOptions | undefined = lazyStacks
    ? { ...opts.machine, stacks: false }
    : opts.machine;

  let shardStart = 0;
  let shardStride = 1;
  if (opts.shard !== undefined) {
    const { index, count } = opts.shard;
    if (strategy !== 'random')
      throw new LockstepUsageError(
        `sharding needs strategy 'random': a ${strategy} run depends on the runs before it`,
      );
    if (
      !Number.isSafeInteger(count) ||
      count < 1 ||
      !Number.isSafeInteger(index) ||
      index < 1 ||
      index > count
    )
      throw new LockstepUsageError(`bad shard ${String(index)}/${String(count)}: need 1 <= i <= n`);
    shardStart = index - 1;
    shardStride = count;
  }
  const stop = opts.shard?.stop;
  const stopAt = (i: number): void => {
    if (stop === undefined) return;
    for (let cur = Atomics.load(stop, 0); i < cur; cur = Atomics.load(stop, 0))
      if (Atomics.compareExchange(stop, 0, cur, i) === cur) return;
  };
  const search =
    strategy === 'exhaustive'
      ? new BoundedSearch(bound, maxSchedules, byDelay ? 'delay' : 'preemption')
      : null;
  const dpor = strategy === 'dpor' ? new DporSearch() : null;
  const started = opts.timeLimitMs !== undefined ? Date.now() : 0;
  const res: ExploreResult = {
    schedules: 0,
    steps: 0,
    exhausted: false,
    reports: 0,
    budgetRuns: 0,
  };
  let pctSteps = 0; // PCT's estimate of decision points per run: the most seen so far

  for (;;) {
    if (search?.done) {
      res.exhausted = search.exhausted;
      // Work that would not fit in the schedule budget was dropped along the way.
      if (!res.exhausted) res.budget = 'schedules';
      break;
    }
    if (shardStart + shardStride * res.schedules >= maxSchedules) {
      res.budget = 'schedules';
      break;
    }
    if (res.steps >= maxTotalSteps) {
      res.budget = 'steps';
      break;
    }
    if (started !== 0 && Date.now() - started >= timeLimit) {
      res.budget = 'time';
      break;
    }
    const runIndex = shardStart + shardStride * res.schedules;
    if (stop !== undefined && runIndex > Atomics.load(stop, 0)) break;
    let chooser: Chooser;
    let run: DporRun | null = null;
    if (dpor !== null) {
      run = dpor.next();
      if (run === null) {
        res.exhausted = true;
        break;
      }
      chooser = run;
    } else if (search !== null) {
      chooser = search.next()!;
    } else if (strategy === 'random') {
      chooser = randomChooser(mixSeed(seed, runIndex));
    } else {
      // The first run measures how many decision points a run has.
      chooser =
        pctSteps === 0
          ? pctChooser(mixSeed(seed, runIndex), 1, 1)
          : pctChooser(mixSeed(seed, runIndex), depth, pctSteps);
    }
    let r: RunResult;
    try {
      r = runScenario(scenario, chooser, searchMachine, maxSteps, opts.maxJiffies, run).r;
    } catch (e) {
      if (!(e instanceof RunAbort) || dpor === null || run === null) throw e;
      // Sleep-set blocked: every continuation is equivalent to a schedule already run.
      dpor.analyse(run);
      res.schedules++;
      res.sleepBlocked = (res.sleepBlocked ?? 0) + 1;
      continue;
    }
    if (dpor !== null && run !== null) dpor.analyse(run);
    if (lazyStacks && r.report !== undefined) r = withStacks(scenario, r, opts, maxSteps);
    res.schedules++;
    res.steps += r.steps;
    if (r.decisions.length > pctSteps) pctSteps = r.decisions.length;
    if (r.outcome === 'error') {
      res.error = { text: r.error ?? '', schedule: formatSchedule(r.decisions), runIndex };
      stopAt(runIndex);
      break;
    }
    if (r.report !== undefined) {
      if (until(r.report, r)) {
        res.found = {
          schedule: formatSchedule(r.decisions),
          report: r.report,
          preemptions: r.preemptions,
          runIndex,
          steps: r.steps,
        };
        if (search !== null) res.found.bound = search.currentBound;
        stopAt(runIndex);
        break;
      }
      res.reports++;
    } else if (r.outcome === 'budget') {
      res.budgetRuns++;
      res.firstBudgetRun ??= {
        schedule: formatSchedule(r.decisions),
        runIndex,
        budget: r.budget ?? 'steps',
      };
    }
    if (opts.onProgress !== undefined && res.schedules % every === 0)
      opts.onProgress({ schedules: res.schedules, steps: res.steps, reports: res.reports });
  }
  // A find stops the search inside its bound: only the bounds below it were covered.
  if (search !== null)
    res.exhaustedBound =
      res.found?.bound !== undefined ? res.found.bound - 1 : search.exhaustedBound;
  return res;
}

/** The same run again, with the caller's machine options, for a report with backtraces. */
function withStacks(
  scenario: Scenario,
  fast: RunResult,
  opts: ExploreOptions,
  maxSteps: number,
): RunResult {
  const again = new ReplayChooser(fast.decisions, true);
  const { r } = runScenario(scenario, again, opts.machine, maxSteps, opts.maxJiffies);
  if (r.outcome !== fast.outcome || r.steps !== fast.steps || r.report?.kind !== fast.report?.kind)
    throw new Error(
      `lockstep internal error: a run with stacks took another path than without (${fast.outcome}/${fast.report?.kind} -> ${r.outcome}/${r.report?.kind}); ` +
        'the model must not depend on captured backtraces',
    );
  return r;
}

/** Run `scenario` once under a recorded schedule. */
export function replay(scenario: Scenario, schedule: string, opts: ReplayOptions = {}): Replayed {
  checkScenario(scenario);
  const decisions = parseSchedule(schedule);
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  positive('maxSteps', maxSteps);
  if (opts.maxJiffies !== undefined) positive('maxJiffies', opts.maxJiffies);
  const chooser = new ReplayChooser(decisions, opts.lenient !== true);
  const { r, m } = runScenario(scenario, chooser, opts.machine, maxSteps, opts.maxJiffies);
  const out: Replayed = { ...r, machine: m };
  if (m.trace !== null) out.trace = m.trace;
  return out;
}
