/**
 * Crash reports: what a detector found, in the kernel's own words, with a syzbot-style
 * one-line title ("KASAN: use-after-free Read in svc_wake_up").
 */
import type { Backtrace } from './stack.js';

export type ReportKind =
  | 'null-deref'
  | 'bug'
  | 'warning'
  | 'kasan-use-after-free'
  | 'kasan-double-free'
  | 'list-corruption'
  | 'lockdep-circular'
  | 'lockdep-recursive'
  | 'lockdep-sys-exit'
  | 'lockdep-bad-unlock'
  | 'lockdep-exit'
  | 'sleep-in-atomic'
  | 'hung-task'
  | 'deadlock'
  | 'soft-lockup'
  | 'freezer'
  | 'leak'
  | 'unknown-symbol'
  /** A non-Linux kernel's panic (illumos panic(), assfail, BAD TRAP). */
  | 'panic'
  | 'scenario-error';

export interface Report {
  readonly kind: ReportKind;
  /** syzbot-style one-line title. */
  readonly title: string;
  /** The report's first line as the kernel prints it. */
  readonly headline: string;
  /** The whole report, as dmesg shows it (without timestamps). */
  readonly text: string;
  /** The task that hit it, when there is one. */
  readonly task?: { readonly pid: number; readonly comm: string };
  readonly backtrace: Backtrace;
}

/** Thrown through model code to stop the run at the first report, like panic_on_oops. */
export class KernelReportAbort extends Error {
  constructor(readonly report: Report) {
    super(report.title);
    this.name = 'KernelReportAbort';
  }
}

/** Thrown for bad input to the simulator (not a model finding): invalid schedule, budget, ... */
export class LockstepUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockstepUsageError';
  }
}

/** The separator lines KASAN and lockdep draw around a report. */
export const RULE = '==================================================================';
