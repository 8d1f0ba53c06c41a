/**
 * Running a reproducer's scenario: once under the default schedule, or under the explorer,
 * and turning what happened into an Outcome. Also the reproducers' own invariant checks,
 * which stop a run the way a kernel report does, so the explorer, replay and shrink treat
 * them like any other finding.
 */
import {
  current,
  type ExploreOptions,
  type ExploreResult,
  explore,
  formatSchedule,
  LockstepUsageError,
  type MachineOptions,
  type Replayed,
  type Report,
  replay,
  type Scenario,
  shrink,
  this_machine,
  to_dmesg,
} from '@lockstep/kernel';
import { type Phase, phaseLabel, spaceText } from './portfolio.js';
import type { Explored, OtherReport, Outcome, PhaseRun, ReproOptions } from './types.js';

/**
 * Replays a finding's shrink may spend searching below its preemption count before the greedy
 * pass. A lockd run costs milliseconds, so the explorer's default (all of 10,000) added about
 * 25 s to every verify step whose reproducers crash; the cap keeps a step's cost where it was,
 * and the shrunk schedule is then the fewest preemptions found, not proven the fewest.
 */
export const SHRINK_BELOW_RUNS = 200;

/** A run of the default schedule: no preemption, the longest-waiting task runs next. */
export const DEFAULT_SCHEDULE = 'v1:';

/**
 * Stop the run with a finding of the reproducer's own check (not a kernel report). The
 * report says so in its text; the kernel itself prints only what dmesg shows.
 */
export function reproFinding(title: string, lines: readonly string[]): never {
  const report: Report = {
    kind: 'bug',
    title,
    headline: `lockstep-repro: ${title}`,
    text: [
      `lockstep-repro: ${title}`,
      ...lines,
      "(raised by the reproducer's invariant check, not by the kernel: see dmesg for what the kernel printed)",
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: [],
  };
  return this_machine().raise(report);
}

function warningsOf(r: { warnings?: readonly Report[] }): string[] | undefined {
  const w = r.warnings ?? [];
  return w.length > 0 ? w.map((x) => x.title) : undefined;
}

/** The Outcome of one replayed run. */
export function outcomeOf(id: string, r: Replayed, schedule: string): Outcome {
  const out: Outcome = { id, status: 'clean', schedule };
  const warnings = warningsOf(r);
  if (warnings !== undefined) out.warnings = warnings;
  if (r.outcome === 'crash' && r.report !== undefined) {
    out.status = 'crash';
    out.title = r.report.title;
    out.report = r.report.text;
    out.dmesg = to_dmesg(r.machine, { report: false });
  } else if (r.outcome === 'error') {
    out.status = 'error';
    out.error = r.error ?? 'scenario error';
  } else if (r.outcome === 'budget') {
    out.status = 'error';
    out.error = `the run did not finish within its ${r.budget ?? 'step'} budget`;
    out.dmesg = to_dmesg(r.machine, { report: false });
  } else {
    out.dmesg = to_dmesg(r.machine, { report: false });
  }
  return out;
}

/** Run the scenario once under the default schedule (no verdict: one run shows little). */
export function runOnce(
  id: string,
  scenario: Scenario,
  machine: MachineOptions | undefined,
): Outcome {
  const opts = machine === undefined ? {} : { machine };
  return outcomeOf(id, replay(scenario, DEFAULT_SCHEDULE, opts), DEFAULT_SCHEDULE);
}

function timeLeft(deadline: number | undefined): number | undefined {
  if (deadline === undefined) return undefined;
  return Math.max(1, deadline - Date.now());
}

/**
 * Explore the scenario phase after phase (a portfolio, see portfolio.ts) until a run ends in
 * a report that `accepts`. A finding is shrunk to fewest preemptions and replayed with
 * backtraces: verdict 'crash', with the phase that found it. Without one the verdict says
 * what was shown: 'clean-exhausted' when the exhaustive phase covered its whole bound,
 * else 'clean-searched'. An exploration that the wall-clock budget stopped without a
 * finding proves nothing: its outcome is an error.
 *
 * When the default run makes no scheduling decision (one runnable task at every point),
 * that run is the only schedule there is: the random phases are skipped and the exhaustive
 * phase confirms it with its one schedule.
 *
 * `accepts` says which report titles are this reproducer's bug. Reports of other bugs do not
 * stop the search (so a bug another patch introduces cannot mask this one, or flip this
 * reproducer at the wrong step); they are listed in the outcome's otherReports.
 */
export function explorePhases(
  id: string,
  scenario: Scenario,
  machine: MachineOptions | undefined,
  phases: readonly Phase[],
  accepts: (title: string) => boolean,
  opts: ReproOptions = {},
): Outcome {
  if (opts.budgetMs !== undefined && !(opts.budgetMs > 0))
    throw new LockstepUsageError(
      `budgetMs must be a positive number, got ${String(opts.budgetMs)}`,
    );
  const deadline = opts.budgetMs === undefined ? undefined : Date.now() + opts.budgetMs;
  const runs: PhaseRun[] = [];
  const explored: Explored = { strategy: '', schedules: 0, exhausted: false, phases: runs };
  let budgetRuns = 0;
  let onlySchedule = false;
  const others = new Map<string, OtherReport>();
  const seen = (title: string, decisions: readonly number[]): void => {
    const o = others.get(title);
    if (o !== undefined) o.runs++;
    else others.set(title, { title, schedule: formatSchedule(decisions), runs: 1 });
  };
  const finish = (o: Outcome): Outcome => {
    explored.strategy = [...new Set(runs.map((r) => r.strategy))].join('+');
    if (budgetRuns > 0) explored.budgetRuns = budgetRuns;
    o.explored = explored;
    if (others.size > 0) o.otherReports = [...others.values()];
    return o;
  };
  const mo = machine === undefined ? {} : { machine };
  /** The finding, shrunk to fewest preemptions and replayed with backtraces. */
  const found = (label: string, schedule: string, title: string, again?: Replayed): Outcome => {
    explored.foundBy = label;
    explored.schedulesToFind = explored.schedules;
    let out: Outcome;
    if (again !== undefined) out = outcomeOf(id, again, schedule);
    else {
      const small = shrink(scenario, schedule, title, { ...mo, maxRunsBelow: SHRINK_BELOW_RUNS });
      out = outcomeOf(id, replay(scenario, small.schedule, mo), small.schedule);
    }
    if (out.status === 'crash') out.verdict = 'crash';
    return finish(out);
  };

  for (const p of phases) {
    const label = phaseLabel(p);
    if (onlySchedule && (p.strategy === 'pct' || p.strategy === 'random')) continue;
    if (deadline !== undefined && Date.now() >= deadline)
      return finish(inconclusive(id, opts, explored));
    if (p.strategy === 'default') {
      const r = replay(scenario, DEFAULT_SCHEDULE, mo);
      const run: PhaseRun = { label, strategy: 'default', schedules: 1 };
      runs.push(run);
      explored.schedules++;
      if (r.outcome === 'error')
        return finish({
          id,
          status: 'error',
          error: r.error ?? 'scenario error',
          schedule: DEFAULT_SCHEDULE,
        });
      if (r.report !== undefined) {
        if (accepts(r.report.title)) {
          run.found = true;
          return found(label, DEFAULT_SCHEDULE, r.report.title, r);
        }
        seen(r.report.title, r.decisions);
      } else if (r.outcome === 'budget') budgetRuns++;
      onlySchedule = r.decisions.length === 0 && r.outcome !== 'budget';
      continue;
    }
    const eo: ExploreOptions = {
      strategy: p.strategy,
      maxSchedules: p.maxSchedules,
      seed: p.seed ?? 1,
      until: (report, run) => {
        if (accepts(report.title)) return true;
        seen(report.title, run.decisions);
        return false;
      },
    };
    if (machine !== undefined) eo.machine = machine;
    if (p.preemptionBound !== undefined) eo.preemptionBound = p.preemptionBound;
    if (p.depth !== undefined) eo.depth = p.depth;
    const limit = timeLeft(deadline);
    if (limit !== undefined) eo.timeLimitMs = limit;
    const res: ExploreResult = explore(scenario, eo);
    const run: PhaseRun = { label, strategy: p.strategy, schedules: res.schedules };
    if (p.seed !== undefined && p.strategy !== 'exhaustive') run.seed = p.seed;
    if (p.strategy === 'pct') run.depth = p.depth ?? 3;
    if (p.strategy === 'dpor') run.exhausted = res.exhausted;
    if (p.strategy === 'exhaustive') {
      const bound = p.preemptionBound ?? 2;
      run.preemptionBound = bound;
      run.exhausted = res.exhausted;
      run.exhaustedBound = res.exhaustedBound ?? -1;
      explored.preemptionBound = bound;
      if (res.exhausted) {
        explored.exhausted = true;
        explored.space = spaceText(bound, res.schedules, onlySchedule);
      }
      if (res.found?.bound !== undefined) run.foundAtBound = res.found.bound;
    }
    if (res.budget !== undefined) run.budget = res.budget;
    runs.push(run);
    explored.schedules += res.schedules;
    if (res.budget !== undefined) explored.budget = res.budget;
    else delete explored.budget;
    budgetRuns += res.budgetRuns;
    if (res.error !== undefined)
      return finish({
        id,
        status: 'error',
        error: res.error.text,
        schedule: res.error.schedule,
      });
    if (res.found !== undefined) {
      run.found = true;
      return found(label, res.found.schedule, res.found.report.title);
    }
    if (res.budget === 'time') return finish(inconclusive(id, opts, explored));
  }
  return finish({
    id,
    status: 'clean',
    verdict: explored.exhausted ? 'clean-exhausted' : 'clean-searched',
  });
}

/** A wall-clock budget (--budget-ms) stopped the portfolio before it found anything. */
function inconclusive(id: string, opts: ReproOptions, explored: Explored): Outcome {
  explored.budget = 'time';
  return {
    id,
    status: 'error',
    error:
      `inconclusive: the time budget (${opts.budgetMs} ms) ran out after ${explored.schedules} ` +
      'schedules without a finding; run without a time budget for a deterministic outcome',
  };
}
