/**
 * The portfolio every reproducer explores with (DESIGN.md "Verdicts"): the default schedule,
 * PCT at several depths and seeds, seeded random, and strict bounded exhaustive search, each
 * with a schedule budget. Budgets are schedule counts, never wall-clock, so an outcome is the
 * same on every machine. One strategy's blind spot is another's first find: PCT reaches
 * bugs that need many preemptions but few ordering constraints, exhaustive search proves
 * absence within its bound.
 *
 * A 'dpor' phase is accepted but is in no default portfolio: the lockd model's tasks are
 * kthreads and user tasks whose code reads and writes plain JavaScript state (nlmsvc_users,
 * nlmsvc_serv, block fields) and calls this_machine(), so none can honestly be spawned
 * { tracked: true }. DPOR then counts every step as dependent on every other and prunes
 * nothing (only sleep sets help), while covering the whole space instead of a bound.
 */
import type { Strategy } from '@lockstep/kernel';
import type { Outcome, PhaseRun } from './types.js';

/** One exploration phase of a reproducer. */
export interface Phase {
  /** 'default' runs the one default schedule (no preemption). */
  strategy: Strategy | 'default';
  /** Most schedules (the deterministic budget); 'default' always runs 1. */
  maxSchedules: number;
  seed?: number;
  preemptionBound?: number;
  depth?: number;
}

export interface Portfolio {
  pctDepths: readonly number[];
  pctSeeds: readonly number[];
  /** Schedules of each PCT (depth, seed) phase. */
  pctSchedules: number;
  randomSeeds: readonly number[];
  randomSchedules: number;
  /** The exhaustive phase's preemption bound. */
  preemptionBound: number;
  exhaustiveSchedules: number;
}

/**
 * 321 schedules when nothing is found: about 2 to 3 s per reproducer and step on the
 * project's 2-core machine (6 to 10 ms a schedule for the lockd scenarios). A reproducer
 * whose bounded space is small raises exhaustiveSchedules so that it is covered
 * (clean-exhausted says more than clean-searched).
 */
export const DEFAULT_PORTFOLIO: Portfolio = {
  pctDepths: [1, 2, 3],
  pctSeeds: [1, 2, 3],
  pctSchedules: 20,
  randomSeeds: [1],
  randomSchedules: 40,
  preemptionBound: 2,
  exhaustiveSchedules: 100,
};

/** The phases of a portfolio, in the order they run. */
export function portfolioPhases(overrides: Partial<Portfolio> = {}): Phase[] {
  const p: Portfolio = { ...DEFAULT_PORTFOLIO, ...overrides };
  const phases: Phase[] = [{ strategy: 'default', maxSchedules: 1 }];
  for (const depth of p.pctDepths)
    for (const seed of p.pctSeeds)
      phases.push({ strategy: 'pct', depth, seed, maxSchedules: p.pctSchedules });
  for (const seed of p.randomSeeds)
    phases.push({ strategy: 'random', seed, maxSchedules: p.randomSchedules });
  phases.push({
    strategy: 'exhaustive',
    preemptionBound: p.preemptionBound,
    maxSchedules: p.exhaustiveSchedules,
  });
  return phases;
}

/** A phase's stable label: 'default', 'pct d=2 seed=3', 'random seed=1', 'exhaustive pb=2'. */
export function phaseLabel(p: Phase): string {
  switch (p.strategy) {
    case 'default':
      return 'default';
    case 'pct':
      return `pct d=${p.depth ?? 3} seed=${p.seed ?? 1}`;
    case 'random':
      return `random seed=${p.seed ?? 1}`;
    case 'exhaustive':
      return `exhaustive pb=${p.preemptionBound ?? 2}`;
    case 'dpor':
      return 'dpor';
  }
}

/** The space a completed exhaustive phase covered, in words. */
export function spaceText(bound: number, schedules: number, onlySchedule: boolean): string {
  if (onlySchedule) return 'the only schedule';
  const n = `${schedules.toLocaleString('en-US')} schedule${schedules === 1 ? '' : 's'}`;
  return `every schedule with at most ${bound} preemption${bound === 1 ? '' : 's'} (${n})`;
}

/** Schedules per strategy, e.g. 'pct 225, random 50, exhaustive pb=2 150 (bound 1 covered)'. */
export function phasesText(phases: readonly PhaseRun[]): string {
  const per = new Map<string, number>();
  const parts: string[] = [];
  for (const p of phases) {
    if (p.strategy === 'exhaustive') continue;
    per.set(p.strategy, (per.get(p.strategy) ?? 0) + p.schedules);
  }
  for (const [s, n] of per) parts.push(`${s} ${n.toLocaleString('en-US')}`);
  for (const p of phases) {
    if (p.strategy !== 'exhaustive') continue;
    const eb = p.exhaustedBound ?? -1;
    const covered = p.exhausted
      ? 'covered'
      : eb >= 0
        ? `bound ${eb} covered`
        : 'not even bound 0 covered';
    parts.push(`${p.label} ${p.schedules.toLocaleString('en-US')} (${covered})`);
  }
  return parts.join(', ');
}

/**
 * The verdict in words: 'crash (pct d=3 seed=2, 17 schedules)', 'clean, exhausted: every
 * schedule with at most 2 preemptions (731 schedules)', 'clean, searched: 1,840 schedules, no
 * failure (...)'. A searched cell never claims more than that.
 */
export function verdictText(o: Outcome): string {
  const e = o.explored;
  switch (o.verdict) {
    case 'crash': {
      if (e?.foundBy === undefined) return 'crash';
      const n = e.schedulesToFind ?? e.schedules;
      return `crash (${e.foundBy}, ${n.toLocaleString('en-US')} schedule${n === 1 ? '' : 's'})`;
    }
    case 'clean-exhausted':
      return `clean, exhausted: ${e?.space ?? 'the stated space'}`;
    case 'clean-searched': {
      const n = (e?.schedules ?? 0).toLocaleString('en-US');
      const per = e?.phases !== undefined ? ` (${phasesText(e.phases)})` : '';
      return `clean, searched: ${n} schedules, no failure${per}`;
    }
    default:
      return o.status;
  }
}
