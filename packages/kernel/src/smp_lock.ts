/**
 * The big kernel lock (lib/kernel_lock.c, 2.6.24): recursive through current->lock_depth,
 * dropped by schedule() when its holder sleeps and taken back before the holder runs again.
 */

import { bug_on } from './bug.js';
import {
  current,
  type Kfn,
  SP_PREEMPT,
  sleepHooks,
  type task_struct,
  this_machine,
  track_opaque,
} from './sched.js';
import { __raw_spin_lock, __raw_spin_unlock, spinlock_t } from './spinlock.js';
import { title_skip } from './stack.js';

const KERNEL_FLAG = Symbol('kernel_flag');

function kernel_flag(): spinlock_t {
  return this_machine().slot(KERNEL_FLAG, () => new spinlock_t('kernel_flag'));
}

/** lock_kernel(). */
export function* lock_kernel(): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  yield SP_PREEMPT;
  const t = current;
  const depth = t.lock_depth + 1;
  if (depth === 0) yield* __raw_spin_lock(kernel_flag(), 'BKL');
  t.lock_depth = depth;
}

/** unlock_kernel(). */
export function* unlock_kernel(): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  const t = current;
  // PREEMPT_BKL=y in the base's defconfig: the BUG_ON of v2.6.24:lib/kernel_lock.c:83.
  bug_on(t.lock_depth < 0, 'unlock_kernel without lock_kernel', {
    file: 'lib/kernel_lock.c',
    line: 83,
  });
  if (--t.lock_depth < 0) __raw_spin_unlock(kernel_flag(), 'BKL');
  yield SP_PREEMPT;
}

/** kernel_locked(): the current task holds the BKL. */
export function kernel_locked(): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return current.lock_depth >= 0;
}

/** release_kernel_lock(), called by schedule() when the task sleeps. */
function release_kernel_lock(t: task_struct): void {
  if (t.lock_depth >= 0) __raw_spin_unlock(kernel_flag(), 'BKL');
}

/** reacquire_kernel_lock(), before a woken task returns from schedule(). */
function reacquire_kernel_lock(t: task_struct): Kfn | null {
  if (t.lock_depth < 0) return null;
  const flag = kernel_flag();
  if (flag.owner === t) return null;
  return __raw_spin_lock(flag, 'BKL');
}

sleepHooks.before.push(release_kernel_lock);
sleepHooks.after.push(reacquire_kernel_lock);

title_skip('lock_kernel', 'unlock_kernel');
