/**
 * BUG(), BUG_ON(), WARN_ON() and the NULL pointer dereference oops. A NULL dereference in
 * model code is a JavaScript TypeError on `null`; the scheduler turns it into an oops here.
 */
import type { Report } from './report.js';
import { current, set_oops_hook, this_machine } from './sched.js';
import {
  type Backtrace,
  backtrace_of_error,
  capture_backtrace,
  title_function,
  title_skip,
} from './stack.js';

function taskLine(): string {
  return `Pid: ${current.pid}, comm: ${current.comm} Not tainted 2.6.24 #1`;
}

function callTrace(bt: Backtrace): string[] {
  return ['Call Trace:', ...bt.map((f) => ` [<ffffffff00000000>] ${f}+0x0/0x0`)];
}

/** BUG(): "kernel BUG at file:line!", an invalid opcode oops. */
export function BUG(why = ''): never {
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const headline = `kernel BUG at ${fn}!`;
  return this_machine().raise({
    kind: 'bug',
    title: `kernel BUG in ${fn}`,
    headline,
    text: [
      '------------[ cut here ]------------',
      headline,
      ...(why ? [`(${why})`] : []),
      'invalid opcode: 0000 [1] SMP',
      taskLine(),
      ...callTrace(bt),
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  });
}

/** BUG_ON(cond). */
export function BUG_ON(cond: boolean, why = ''): void {
  if (cond) BUG(why);
}
export const bug_on = BUG_ON;

/** WARN_ON(cond): a warning is a finding too; the run stops at it. */
export function WARN_ON(cond: boolean, what = 'WARN_ON'): boolean {
  if (cond) warn(true, what);
  return cond;
}

/** A WARNING report with a message ("DEBUG_LOCKS_WARN_ON(...)"). */
export function warn(cond: boolean, what: string): void {
  if (!cond) return;
  const bt = capture_backtrace();
  const fn = title_function(bt);
  const headline = `WARNING: at ${fn}() [${what}]`;
  this_machine().warn({
    kind: 'warning',
    title: `WARNING in ${fn}`,
    headline,
    text: [
      '------------[ cut here ]------------',
      headline,
      taskLine(),
      ...callTrace(bt),
      '---[ end trace ]---',
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  });
}

const NULL_ACCESS = /Cannot (read|set) properties of null \((?:reading|setting) '([^']*)'\)/;

/** The oops for a TypeError that is a NULL dereference in model code, or null if it is not one. */
export function null_deref_report(e: unknown): Report | null {
  if (!(e instanceof TypeError)) return null;
  const m = NULL_ACCESS.exec(e.message);
  if (m === null) return null;
  const bt = backtrace_of_error(e);
  const fn = bt[0] ?? 'unknown';
  const headline = 'BUG: unable to handle kernel NULL pointer dereference at 0000000000000000';
  return {
    kind: 'null-deref',
    title: `BUG: unable to handle kernel NULL pointer dereference in ${fn}`,
    headline,
    text: [
      headline,
      `IP: [<ffffffff00000000>] ${fn}+0x0/0x0`,
      `(lockstep: ${m[1] === 'read' ? 'reading' : 'writing'} field '${m[2]}' through a NULL pointer)`,
      'Oops: 0000 [1] SMP',
      taskLine(),
      ...callTrace(bt),
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: bt,
  };
}

title_skip('BUG', 'BUG_ON', 'bug_on', 'WARN_ON', 'warn');

set_oops_hook(null_deref_report);
