/**
 * Condition variables (usr/src/uts/common/os/condvar.c) on the core's scheduler. Waiters sit
 * on the cv's sleep queue in arrival order; cv_signal wakes the first, cv_broadcast all. A
 * waiter gives up the mutex only after it is on the queue, so no wake-up is lost. cv_wait is
 * not interruptible. cv_timedwait's deadline is an absolute lbolt value, in ticks.
 */
import {
  current,
  jiffies,
  type Kfn,
  machine,
  object_seq,
  schedule,
  set_current_state,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
  title_skip,
  track_access,
  wake_up_process,
} from '@lockstep/kernel';
import { type kmutex_t, mutex_enter, mutex_vector_exit } from './mutex.js';

/** kcondvar_t: cv_waiters and the model's sleep queue (usr/src/uts/common/sys/condvar_impl.h). */
export class kcondvar_t {
  readonly sleepq: task_struct[] = [];
  constructor(readonly name = 'kcondvar') {
    object_seq(this); // its name to DPOR
  }
  /** cv_waiters (condvar_impl_t): how many threads are blocked on it. */
  get cv_waiters(): number {
    return this.sleepq.length;
  }
}

/** cv_init(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c: cv_waiters = 0. */
export function cv_init(cvp: kcondvar_t, _name: string | null, _type: number, _arg: unknown): void {
  track_access(cvp, true);
  cvp.sleepq.length = 0;
}

/** cv_destroy(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c: nothing (an ASSERT that nobody waits, on DEBUG). */
export function cv_destroy(_cvp: kcondvar_t): void {}

/** cv_block(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c: onto the sleep queue, asleep. */
function cv_block(cvp: kcondvar_t): void {
  track_access(cvp, true);
  cvp.sleepq.push(current);
  set_current_state(TASK_UNINTERRUPTIBLE);
  current.wchan = `cv ${cvp.name}`;
}

/** cv_unsleep(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c: off the sleep queue, runnable. */
function cv_unsleep(cvp: kcondvar_t, t: task_struct): boolean {
  track_access(cvp, true);
  const i = cvp.sleepq.indexOf(t);
  if (i < 0) return false;
  cvp.sleepq.splice(i, 1);
  wake_up_process(t);
  return true;
}

/**
 * cv_wait(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c: cv_block, mutex_exit(mp),
 * swtch(), mutex_enter(mp). No scheduling point between blocking and dropping the mutex.
 */
export function* cv_wait(cvp: kcondvar_t, mp: kmutex_t): Kfn {
  cv_block(cvp);
  mutex_vector_exit(mp);
  yield* schedule();
  set_current_state(TASK_RUNNING);
  yield* mutex_enter(mp);
}

/**
 * cv_timedwait(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c: wait until woken or until
 * lbolt reaches `tim` (absolute ticks). Returns -1 at once if `tim <= ddi_get_lbolt()`, -1
 * after a timeout, else the ticks left. Deviation: cv_timedwait_hires's callout is a timer at
 * tick `tim`; "time left" is `tim - lbolt` when woken (untimeout_default), and 0 counts as a
 * timeout as in illumos.
 */
export function* cv_timedwait(cvp: kcondvar_t, mp: kmutex_t, tim: number): Kfn<number> {
  const now = jiffies;
  if (tim <= now) return -1;
  const t = current;
  const m = machine();
  cv_block(cvp);
  // timeout_generic(cv_wakeup, t, ...): the callout takes the thread off the sleep queue.
  const callout = m.add_timer(tim, () => {
    cv_unsleep(cvp, t);
  });
  mutex_vector_exit(mp);
  yield* schedule();
  set_current_state(TASK_RUNNING);
  // untimeout_default(): -1 if the callout has fired, else the time left.
  let timeleft = callout.pending ? tim - jiffies : -1;
  if (callout.pending) m.del_timer(callout);
  yield* mutex_enter(mp);
  if (timeleft <= 0) timeleft = -1;
  return timeleft;
}

/** cv_signal(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c: wake the first waiter, if any. */
export function cv_signal(cvp: kcondvar_t): void {
  track_access(cvp, true);
  const t = cvp.sleepq[0];
  if (t !== undefined) cv_unsleep(cvp, t);
}

/** cv_broadcast(), illumos 096e63b2^:usr/src/uts/common/os/condvar.c: wake every waiter. */
export function cv_broadcast(cvp: kcondvar_t): void {
  track_access(cvp, true);
  for (const t of cvp.sleepq.slice()) cv_unsleep(cvp, t);
}

title_skip('cv_wait', 'cv_timedwait', 'cv_block', 'cv_unsleep', 'cv_signal', 'cv_broadcast');
