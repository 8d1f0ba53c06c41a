/**
 * Running a reproducer's scenario: once under the default schedule, or under the explorer,
 * and turning what happened into an Outcome. Also the reproducers' own invariant checks,
 * which stop a run the way a kernel report does, so the explorer, replay and shrink treat
 * them like any other finding.
 */
import {
  current,
  type ExploreResult,
  explore,
  formatSchedule,
  LockstepUsageError,
  type MachineOptions,
  type Replayed,
  type Report,
  replay,
  type Scenario,
  type Strategy,
  shrink,
  this_machine,
  to_dmesg,
} from '@lockstep/kernel';
import type { Explored, OtherReport, Outcome, ReproOptions } from './types.js';

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

/** Run the scenario once under the default schedule. */
export function runOnce(id: string, scenario: Scenario, machine: MachineOptions): Outcome {
  return outcomeOf(id, replay(scenario, DEFAULT_SCHEDULE, { machine }), DEFAULT_SCHEDULE);
}

/** One exploration phase of a reproducer. */
export interface Phase {
  strategy: Strategy;
  /** Most schedules (the deterministic budget). */
  maxSchedules: number;
  seed?: number;
  preemptionBound?: number;
  depth?: number;
}

function timeLeft(deadline: number | undefined): number | undefined {
  if (deadline === undefined) return undefined;
  return Math.max(1, deadline - Date.now());
}

/**
 * Explore the scenario phase after phase until one finds a report. A finding is shrunk to
 * fewest preemptions and replayed with backtraces; without one the outcome is clean, with
 * how much was covered. An exploration that the wall-clock budget stopped before its
 * schedule budget, without a finding, proves nothing: its outcome is an error.
 *
 * `accepts` says which report titles are this reproducer's bug. Reports of other bugs do not
 * stop the search (so a bug another patch introduces cannot mask this one, or flip this
 * reproducer at the wrong step); they are listed in the outcome's otherReports.
 */
export function explorePhases(
  id: string,
  scenario: Scenario,
  machine: MachineOptions,
  phases: readonly Phase[],
  accepts: (title: string) => boolean,
  opts: ReproOptions = {},
): Outcome {
  if (opts.budgetMs !== undefined && !(opts.budgetMs > 0))
    throw new LockstepUsageError(
      `budgetMs must be a positive number, got ${String(opts.budgetMs)}`,
    );
  const deadline = opts.budgetMs === undefined ? undefined : Date.now() + opts.budgetMs;
  const explored: Explored = {
    strategy: phases.map((p) => p.strategy).join('+'),
    schedules: 0,
    exhausted: false,
  };
  let budgetRuns = 0;
  const others = new Map<string, OtherReport>();
  const withOthers = (o: Outcome): Outcome => {
    if (others.size > 0) o.otherReports = [...others.values()];
    return o;
  };
  for (const p of phases) {
    const eo: Parameters<typeof explore>[1] = {
      strategy: p.strategy,
      maxSchedules: p.maxSchedules,
      seed: p.seed ?? 1,
      machine,
      until: (report, run) => {
        if (accepts(report.title)) return true;
        const seen = others.get(report.title);
        if (seen !== undefined) seen.runs++;
        else
          others.set(report.title, {
            title: report.title,
            schedule: formatSchedule(run.decisions),
            runs: 1,
          });
        return false;
      },
    };
    if (p.preemptionBound !== undefined) {
      eo.preemptionBound = p.preemptionBound;
      explored.preemptionBound = p.preemptionBound;
    }
    if (p.depth !== undefined) eo.depth = p.depth;
    const limit = timeLeft(deadline);
    if (limit !== undefined) eo.timeLimitMs = limit;
    const res: ExploreResult = explore(scenario, eo);
    explored.schedules += res.schedules;
    if (p.strategy === 'exhaustive') explored.exhausted = res.exhausted;
    if (res.budget !== undefined) explored.budget = res.budget;
    else delete explored.budget;
    budgetRuns += res.budgetRuns;
    if (budgetRuns > 0) explored.budgetRuns = budgetRuns;
    if (res.error !== undefined)
      return withOthers({
        id,
        status: 'error',
        error: res.error.text,
        schedule: res.error.schedule,
        explored,
      });
    if (res.found === undefined && res.budget === 'time')
      return withOthers({
        id,
        status: 'error',
        error:
          `inconclusive: the time budget (${opts.budgetMs} ms) ran out after ${explored.schedules} ` +
          'schedules without a finding; run without a time budget for a deterministic outcome',
        explored,
      });
    if (res.found !== undefined) {
      const f = res.found;
      const small = shrink(scenario, f.schedule, f.report.title, { machine });
      const out = outcomeOf(id, replay(scenario, small.schedule, { machine }), small.schedule);
      out.explored = explored;
      return withOthers(out);
    }
  }
  return withOthers({ id, status: 'clean', explored });
}
