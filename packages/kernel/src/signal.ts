/**
 * Signals (kernel/signal.c), reduced to what kernel threads and the syscall boundary use:
 * a pending set, a blocked mask, the set of signals whose handler is SIG_IGN, and waking an
 * interruptible sleeper. A kthreadd child ignores every signal (SIG_IGN: a signal sent to it
 * is dropped); a daemonize()d thread blocks them (a signal sent to it stays pending until
 * allow_signal()).
 */
import {
  current,
  find_task_by_pid,
  TASK_INTERRUPTIBLE,
  type task_struct,
  this_machine,
} from './sched.js';

export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGKILL = 9;
export const SIGTERM = 15;
export const SIGCHLD = 17;
export const SIGSTOP = 19;

export { EINTR, ERESTARTSYS, ESRCH } from './errno.js';

import { EINVAL, ESRCH } from './errno.js';

const ALL_SIGNALS = 0x7fff_ffff;
/** Signals 1..31; the model has no real-time signals. */
const NSIG = 32;

function valid_signal(sig: number): boolean {
  return Number.isInteger(sig) && sig >= 1 && sig < NSIG;
}

function bit(sig: number): number {
  return 1 << (sig - 1);
}

/** Signals whose handler is SIG_IGN, one bit per signal (kept in task_struct.ext). */
const IGNORED = 'signal.ignored';

function ignored_mask(t: task_struct): number {
  return (t.ext[IGNORED] as number | undefined) ?? 0;
}

/** ignore_signals() (kernel/signal.c, 2.6.24): every handler SIG_IGN, nothing pending. */
export function ignore_signals(t: task_struct): void {
  t.ext[IGNORED] = ALL_SIGNALS;
  flush_signals(t);
}

/** signal_pending(): a signal that is not blocked is pending. */
export function signal_pending(t: task_struct = current): boolean {
  // The freezer wakes user processes with a fake signal (TIF_SIGPENDING without a signal).
  return (t.pending & ~t.blocked) !== 0 || (t.freeze_requested && t.kind === 'user');
}

/** signalled(), as net/sunrpc defines it: signal_pending(current). */
export function signalled(): boolean {
  return signal_pending(current);
}

/** fatal_signal_pending(). */
export function fatal_signal_pending(t: task_struct = current): boolean {
  return (t.pending & bit(SIGKILL)) !== 0;
}

/** sigismember() on the pending set. */
export function sigismember_pending(t: task_struct, sig: number): boolean {
  return (t.pending & bit(sig)) !== 0;
}

/** Block every signal (what daemonize() does for a kernel thread). */
export function block_all_signals(t: task_struct = current): void {
  t.blocked = ALL_SIGNALS;
}

/** allow_signal() (kernel/exit.c, 2.6.24): let a kernel thread receive `sig`; 0 or -EINVAL. */
export function allow_signal(sig: number): number {
  if (!valid_signal(sig)) return -EINVAL;
  current.blocked &= ~bit(sig);
  // A handler that is neither SIG_IGN nor SIG_DFL (the kernel stores 2): deliver it to us.
  current.ext[IGNORED] = ignored_mask(current) & ~bit(sig);
  return 0;
}

/** disallow_signal(): ignore `sig` again (the kernel sets SIG_IGN); 0 or -EINVAL. */
export function disallow_signal(sig: number): number {
  if (!valid_signal(sig)) return -EINVAL;
  current.ext[IGNORED] = ignored_mask(current) | bit(sig);
  current.pending &= ~bit(sig);
  return 0;
}

/**
 * send_sig(): queue `sig` and wake the task if it sleeps interruptibly. As sig_ignored()
 * decides, a signal whose handler is SIG_IGN is dropped unless it is blocked (a blocked
 * signal is queued: the handler may change before it is unblocked).
 */
export function send_sig(sig: number, t: task_struct, _priv: number): number {
  if (!valid_signal(sig)) return -EINVAL;
  if ((ignored_mask(t) & bit(sig)) !== 0 && (t.blocked & bit(sig)) === 0) return 0;
  t.pending |= bit(sig);
  this_machine().emit(current.pid, 'signal', `sig${sig}`, { target: t.pid });
  signal_wake_up(t);
  return 0;
}

/** signal_wake_up(): wake an interruptible sleeper so that it sees the signal. */
export function signal_wake_up(t: task_struct): void {
  this_machine().wake(t, TASK_INTERRUPTIBLE);
}

/** kill_proc(): send_sig by pid; -ESRCH when no such task. */
export function kill_proc(pid: number, sig: number, priv: number): number {
  const t = find_task_by_pid(pid);
  if (t === null) return -ESRCH;
  return send_sig(sig, t, priv);
}

/** flush_signals(): forget every pending signal. */
export function flush_signals(t: task_struct): void {
  t.pending = 0;
}

/** recalc_sigpending(): nothing to recompute in the model, kept for faithful call sites. */
export function recalc_sigpending(): void {}

/** clear_thread_flag(TIF_SIGPENDING): drop pending signals of the current task for a while. */
export function clear_sigpending(): void {
  current.pending = 0;
}
