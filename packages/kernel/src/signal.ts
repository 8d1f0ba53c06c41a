/**
 * Signals (kernel/signal.c, v2.6.24), reduced to what kernel threads and the syscall boundary
 * use: a pending set, a blocked mask, the set of signals whose handler is SIG_IGN, and the
 * thread flag TIF_SIGPENDING, kept apart from the pending set as 2.6.24 keeps it:
 * signal_pending() reads only the flag, signal_wake_up() sets it, recalc_sigpending()
 * recomputes it from pending & ~blocked, and clear_thread_flag(TIF_SIGPENDING) clears it
 * while the signals stay queued (svc_register and lockd_down rely on that). A kthreadd child
 * ignores every signal (SIG_IGN: a signal sent to it is dropped); a daemonize()d thread blocks
 * them (a signal sent to it stays pending until allow_signal()). One thread per process: the
 * shared pending set and group stop are left out.
 */
import {
  current,
  find_task_by_pid,
  TASK_INTERRUPTIBLE,
  type task_struct,
  this_machine,
  track_access,
  track_opaque,
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
/** The TIF_SIGPENDING bit of the task's thread_info (kept in task_struct.ext). */
const TIF_SIGPENDING = 'signal.TIF_SIGPENDING';

function ignored_mask(t: task_struct): number {
  return (t.ext[IGNORED] as number | undefined) ?? 0;
}

/** set_tsk_thread_flag(t, TIF_SIGPENDING). */
function set_tsk_sigpending(t: task_struct): void {
  t.ext[TIF_SIGPENDING] = true;
}

/** clear_tsk_thread_flag(t, TIF_SIGPENDING). */
function clear_tsk_sigpending(t: task_struct): void {
  t.ext[TIF_SIGPENDING] = false;
}

/** test_tsk_thread_flag(t, TIF_SIGPENDING). */
export function test_tsk_sigpending(t: task_struct): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return t.ext[TIF_SIGPENDING] === true;
}

/** ignore_signals(), v2.6.24:kernel/signal.c: every handler SIG_IGN, then flush_signals(). */
export function ignore_signals(t: task_struct): void {
  track_opaque(); // DPOR: effects the core does not record
  t.ext[IGNORED] = ALL_SIGNALS;
  flush_signals(t);
}

/**
 * signal_pending(), v2.6.24:include/linux/sched.h: the TIF_SIGPENDING flag, not the pending
 * set. The freezer's fake signal (freeze_task() on a user process) is read here from the
 * freeze request instead of being stored in the flag; so clear_thread_flag cannot clear it.
 */
export function signal_pending(t: task_struct = current): boolean {
  track_access(t, false); // senders are opaque to DPOR
  return test_tsk_sigpending(t) || (t.freeze_requested && t.kind === 'user');
}

/** signalled(), as net/sunrpc and fs/lockd define it: signal_pending(current). */
export function signalled(): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return signal_pending(current);
}

/**
 * fatal_signal_pending(), v2.6.25:include/linux/sched.h (not in 2.6.24; kept for tests):
 * the flag is set and SIGKILL is queued.
 */
export function fatal_signal_pending(t: task_struct = current): boolean {
  track_access(t, false); // senders are opaque to DPOR
  return signal_pending(t) && (t.pending & bit(SIGKILL)) !== 0;
}

/** sigismember() on the pending set. */
export function sigismember_pending(t: task_struct, sig: number): boolean {
  track_access(t, false); // senders are opaque to DPOR
  return (t.pending & bit(sig)) !== 0;
}

/** recalc_sigpending_tsk(), v2.6.24:kernel/signal.c: set the flag if an unblocked signal is queued; never clears it. */
function recalc_sigpending_tsk(t: task_struct): boolean {
  if ((t.pending & ~t.blocked) !== 0) {
    set_tsk_sigpending(t);
    return true;
  }
  return false;
}

/**
 * recalc_sigpending(), v2.6.24:kernel/signal.c: recompute current's TIF_SIGPENDING from its
 * pending set and blocked mask; left set while the task is asked to freeze. The siglock the
 * caller holds is left out (one CPU runs at a time between scheduling points).
 */
export function recalc_sigpending(): void {
  track_opaque(); // DPOR: effects the core does not record
  if (!recalc_sigpending_tsk(current) && !current.freeze_requested) clear_tsk_sigpending(current);
}

/** sigprocmask() how values. */
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;

/** sigset_t, one bit per signal (the model has 31 signals). */
export interface sigset_t {
  sig: number;
}

/**
 * sigprocmask(), v2.6.24:kernel/signal.c: change current's blocked mask, old mask into
 * `oldset`, then recalc_sigpending(); 0 or -EINVAL.
 */
export function sigprocmask(how: number, set: sigset_t, oldset: sigset_t | null): number {
  track_opaque(); // DPOR: effects the core does not record
  if (oldset) oldset.sig = current.blocked;
  let error = 0;
  if (how === SIG_BLOCK) current.blocked |= set.sig & ALL_SIGNALS;
  else if (how === SIG_UNBLOCK) current.blocked &= ~set.sig;
  else if (how === SIG_SETMASK) current.blocked = set.sig & ALL_SIGNALS;
  else error = -EINVAL;
  recalc_sigpending();
  return error;
}

/**
 * daemonize()'s "block and flush all signals", v2.6.24:kernel/exit.c: sigfillset +
 * sigprocmask(SIG_BLOCK) + flush_signals(current).
 */
export function block_all_signals(t: task_struct = current): void {
  track_opaque(); // DPOR: effects the core does not record
  t.blocked = ALL_SIGNALS;
  if (t === current) recalc_sigpending();
  flush_signals(t);
}

/** allow_signal(), v2.6.24:kernel/exit.c: unblock `sig`, handle it ourselves, recalc_sigpending(); 0 or -EINVAL. */
export function allow_signal(sig: number): number {
  track_opaque(); // DPOR: effects the core does not record
  if (!valid_signal(sig)) return -EINVAL;
  current.blocked &= ~bit(sig);
  // A handler that is neither SIG_IGN nor SIG_DFL (the kernel stores 2): deliver it to us.
  current.ext[IGNORED] = ignored_mask(current) & ~bit(sig);
  recalc_sigpending();
  return 0;
}

/**
 * disallow_signal(), v2.6.24:kernel/exit.c: set the handler to SIG_IGN and recalc_sigpending();
 * 0 or -EINVAL. Like the kernel it leaves an already queued `sig` queued.
 */
export function disallow_signal(sig: number): number {
  track_opaque(); // DPOR: effects the core does not record
  if (!valid_signal(sig)) return -EINVAL;
  current.ext[IGNORED] = ignored_mask(current) | bit(sig);
  recalc_sigpending();
  return 0;
}

/**
 * send_sig(), v2.6.24:kernel/signal.c (specific_send_sig_info): drop a signal sig_ignored()
 * ignores (SIG_IGN and not blocked: a blocked one is queued, the handler may change before it
 * is unblocked); queue it once (LEGACY_QUEUE: a non-rt signal already queued is not queued
 * again); signal_wake_up() unless it is blocked. Leaves out siginfo and ptrace.
 */
export function send_sig(sig: number, t: task_struct, _priv: number): number {
  track_opaque(); // DPOR: effects the core does not record
  if (!valid_signal(sig)) return -EINVAL;
  if ((ignored_mask(t) & bit(sig)) !== 0 && (t.blocked & bit(sig)) === 0) return 0;
  if ((t.pending & bit(sig)) !== 0) return 0;
  t.pending |= bit(sig);
  this_machine().emit(current.pid, 'signal', `sig${sig}`, { target: t.pid });
  if ((t.blocked & bit(sig)) === 0) signal_wake_up(t);
  return 0;
}

/** signal_wake_up(), v2.6.24:kernel/signal.c: set TIF_SIGPENDING and wake an interruptible sleeper. */
export function signal_wake_up(t: task_struct): void {
  track_opaque(); // DPOR: effects the core does not record
  set_tsk_sigpending(t);
  this_machine().wake(t, TASK_INTERRUPTIBLE);
}

/**
 * kill_proc(), v2.6.24:kernel/signal.c: send_sig by pid; -ESRCH when no such task. The group
 * path (__group_send_sig_info) comes to the same for a one-thread process.
 */
export function kill_proc(pid: number, sig: number, priv: number): number {
  track_opaque(); // DPOR: effects the core does not record
  const t = find_task_by_pid(pid);
  if (t === null) return -ESRCH;
  return send_sig(sig, t, priv);
}

/** flush_signals(), v2.6.24:kernel/signal.c: clear TIF_SIGPENDING and empty the pending set. */
export function flush_signals(t: task_struct): void {
  track_opaque(); // DPOR: effects the core does not record
  clear_tsk_sigpending(t);
  t.pending = 0;
}

/**
 * clear_thread_flag(TIF_SIGPENDING) on current, v2.6.24:include/linux/thread_info.h: only
 * the flag; queued signals stay queued and the next recalc_sigpending() sets it again.
 */
export function clear_sigpending(): void {
  track_opaque(); // DPOR: effects the core does not record
  clear_tsk_sigpending(current);
}
