/** What a reproducer is, and what one run of it reports. */
import type { MachineOptions, Scenario } from '@lockstep/kernel';

export type ReproKind = 'single' | 'race';
export type ReproStatus = 'crash' | 'clean' | 'error';

/**
 * One phase of a reproducer's portfolio, as it ran. Labels are stable and human-readable:
 * 'default' (the one default schedule), 'pct d=2 seed=3', 'random seed=1', 'exhaustive pb=2'.
 */
export interface PhaseRun {
  label: string;
  strategy: 'default' | 'pct' | 'random' | 'exhaustive' | 'dpor';
  seed?: number;
  depth?: number;
  /** Exhaustive: the preemption bound it set out to cover. */
  preemptionBound?: number;
  /** Schedules this phase ran (including the one that found something). */
  schedules: number;
  /**
   * Exhaustive: every schedule within preemptionBound ran (strict: never claimed otherwise).
   * DPOR: the whole reduced space ran.
   */
  exhausted?: boolean;
  /** Exhaustive: the highest bound whose every schedule ran (-1: not even bound 0). */
  exhaustedBound?: number;
  /** The budget that stopped this phase, if one did. */
  budget?: 'schedules' | 'steps' | 'time';
  /** This phase found the reproducer's bug. */
  found?: boolean;
  /**
   * Exhaustive, when it found the bug: the preemption bound it was searching. Bounds are
   * strict, so every schedule with fewer preemptions ran first (exhaustedBound is one less).
   */
  foundAtBound?: number;
}

/**
 * What a cell may claim (DESIGN.md "Verdicts"):
 * - crash: a run ended in the expected report; `foundBy` names the phase, `schedulesToFind`
 *   counts schedules over the whole portfolio up to and including the find.
 * - clean-exhausted: every schedule of a stated space ran (`space`), none failed: a proof
 *   within that space only.
 * - clean-searched: budgets ran out with no failure: evidence, not proof.
 */
export type VerdictKind = 'crash' | 'clean-exhausted' | 'clean-searched';

/** How a reproducer's schedules were explored (every reproducer runs a portfolio). */
export interface Explored {
  /** The strategies of the phases that ran, in order, joined with '+' ('default+pct+random'). */
  strategy: string;
  /** Schedules run, over all phases. */
  schedules: number;
  /** The exhaustive phase covered every schedule of its stated space (`space`). */
  exhausted: boolean;
  /** The stated space that was covered, in words ('every schedule with at most 2 preemptions (1,234 schedules)'). */
  space?: string;
  preemptionBound?: number;
  /** The budget that stopped the last phase, if one did ('time' only under --budget-ms). */
  budget?: 'schedules' | 'steps' | 'time';
  /** Runs cut short by their own step or virtual-time budget (not failures). */
  budgetRuns?: number;
  /** Every phase as it ran, in portfolio order. */
  phases?: PhaseRun[];
  /** Crash: the label of the phase that found it, and schedules run up to the find. */
  foundBy?: string;
  schedulesToFind?: number;
}

export interface OtherReport {
  title: string;
  schedule: string;
  runs: number;
}

export interface Outcome {
  id: string;
  status: ReproStatus;
  /** crash / clean-exhausted / clean-searched; absent for status 'error'. */
  verdict?: VerdictKind;
  /** The report's one-line title (crash). */
  title?: string;
  /** The report as the kernel prints it (crash). */
  report?: string;
  /** The kernel log of the run that crashed, or of the single run. */
  dmesg?: string;
  /** A schedule string that replays the run (see replayReproducer). */
  schedule?: string;
  explored?: Explored;
  /** Titles of warnings printed on the way (panic_on_warn off). */
  warnings?: string[];
  /**
   * Explored reproducers: reports of other bugs met on the way (not what this reproducer
   * looks for), each with the first schedule that hit it and how many runs did. The
   * exploration went on past them; they are listed so that nothing seen is hidden.
   */
  otherReports?: OtherReport[];
  /** For status 'error': what went wrong (a scenario error, not a kernel report). */
  error?: string;
  /** Wall-clock time of the run in milliseconds (set by the runner; not deterministic). */
  ms?: number;
}

export interface ReproOptions {
  /**
   * Wall-clock budget for this reproducer's explorations, in milliseconds. Without it runs
   * are bounded by schedule counts only, so they are deterministic.
   */
  budgetMs?: number;
}

export interface Reproducer {
  /** Stable id; patch trailers (Fixes-reproducer:, Not-observable:) refer to it. */
  readonly id: string;
  readonly title: string;
  /** The crash title it reports while the bug is present. */
  readonly expects: string;
  /** The bug, its kernel cause, the upstream fix; for clean ones why the model shows none. */
  readonly doc: string;
  readonly kind: ReproKind;
  /** The scenario its runs use, and the machine options they run with (for replay). */
  readonly scenario: Scenario;
  readonly machine: MachineOptions;
  /** Which report titles are this reproducer's bug (others are listed, not findings). */
  readonly accepts: (title: string) => boolean;
  run(opts?: ReproOptions): Outcome;
}
