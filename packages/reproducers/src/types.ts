/** What a reproducer is, and what one run of it reports. */
import type { MachineOptions, Scenario } from '@lockstep/kernel';

export type ReproKind = 'single' | 'race';
export type ReproStatus = 'crash' | 'clean' | 'error';

/** How a reproducer's schedules were explored (race reproducers and explored variants). */
export interface Explored {
  /** 'exhaustive', 'pct', 'random', or phases joined with '+' ('random+exhaustive'). */
  strategy: string;
  /** Schedules run, over all phases. */
  schedules: number;
  /** The bounded exhaustive phase covered every schedule within its preemption bound. */
  exhausted: boolean;
  preemptionBound?: number;
  /** The budget that stopped the last phase, if one did ('time' only under --budget-ms). */
  budget?: 'schedules' | 'steps' | 'time';
  /** Runs cut short by their own step or virtual-time budget (not failures). */
  budgetRuns?: number;
}

export interface OtherReport {
  title: string;
  schedule: string;
  runs: number;
}

export interface Outcome {
  id: string;
  status: ReproStatus;
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
  run(opts?: ReproOptions): Outcome;
}
