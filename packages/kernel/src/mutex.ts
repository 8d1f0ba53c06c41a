/**
 * Mutexes (kernel/mutex.c) with an owner and a FIFO wait list. mutex_unlock wakes the first
 * waiter, which then competes for the lock again, as in 2.6.24.
 */

import { warn } from './bug.js';
import { lock_acquire, lock_release, lockdep_map } from './lockdep.js';
import {
  current,
  type Kfn,
  machine,
  object_seq,
  SP_PREEMPT,
  schedule,
  set_current_state,
  TASK_INTERRUPTIBLE,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
  track_access,
  wake_up_process,
} from './sched.js';
import { EINTR, signal_pending } from './signal.js';
import { title_skip } from './stack.js';

/** struct mutex. */
export class mutex {
  owner: task_struct | null = null;
  readonly wait_list: task_struct[] = [];
  readonly dep_map: lockdep_map;
  constructor(readonly name: string) {
    object_seq(this); // its name to DPOR
    this.dep_map = new lockdep_map(name);
  }
}

/** DEFINE_MUTEX() / mutex_init(). */
export function DEFINE_MUTEX(name: string): mutex {
  return new mutex(name);
}

function* __mutex_lock_common(lock: mutex, state: number): Kfn<number> {
  yield SP_PREEMPT; // might_sleep()
  const t = current;
  const m = machine();
  lock_acquire(lock.dep_map, 0, false, 0);
  track_access(lock, true);
  if (lock.owner === null) {
    lock.owner = t;
    if (m.trace) m.emit(t.pid, 'acquire', lock.name);
    return 0;
  }
  if (m.trace) m.emit(t.pid, 'contend', lock.name);
  lock.wait_list.push(t);
  for (;;) {
    set_current_state(state);
    if (lock.owner === null) break;
    if (state === TASK_INTERRUPTIBLE && signal_pending(t)) {
      lock.wait_list.splice(lock.wait_list.indexOf(t), 1);
      set_current_state(0);
      lock_release(lock.dep_map);
      return -EINTR;
    }
    t.wchan = `mutex ${lock.name}`;
    t.blocked_on = lock;
    yield* schedule();
    t.blocked_on = null;
    track_access(lock, true);
  }
  set_current_state(0);
  lock.wait_list.splice(lock.wait_list.indexOf(t), 1);
  lock.owner = t;
  if (m.trace) m.emit(t.pid, 'acquire', lock.name);
  return 0;
}

export function* mutex_lock(lock: mutex): Kfn {
  yield* __mutex_lock_common(lock, TASK_UNINTERRUPTIBLE);
}

/** mutex_lock_interruptible(): 0, or -EINTR when a signal arrives while waiting. */
export function* mutex_lock_interruptible(lock: mutex): Kfn<number> {
  return yield* __mutex_lock_common(lock, TASK_INTERRUPTIBLE);
}

/** mutex_trylock(): 1 when taken. */
export function* mutex_trylock(lock: mutex): Kfn<number> {
  yield SP_PREEMPT;
  track_access(lock, true);
  if (lock.owner !== null) return 0;
  lock_acquire(lock.dep_map, 0, true, 0);
  lock.owner = current;
  const m = machine();
  if (m.trace) m.emit(current.pid, 'acquire', lock.name);
  return 1;
}

/** mutex_unlock() (kernel/mutex.c, 2.6.24): lockdep first, then the DEBUG_MUTEXES owner check. */
export function* mutex_unlock(lock: mutex): Kfn {
  const m = machine();
  track_access(lock, true);
  lock_release(lock.dep_map);
  // debug_mutex_unlock(): only the owner may unlock.
  warn(lock.owner !== current, 'DEBUG_LOCKS_WARN_ON(lock->owner != current)', {
    file: 'kernel/mutex-debug.c',
    line: 82,
    fn: 'debug_mutex_unlock',
  });
  lock.owner = null;
  if (m.trace) m.emit(current.pid, 'release', lock.name);
  const first = lock.wait_list[0];
  if (first !== undefined) wake_up_process(first);
  yield SP_PREEMPT;
}

export function mutex_is_locked(lock: mutex): boolean {
  track_access(lock, false);
  return lock.owner !== null;
}

title_skip(
  'mutex_lock',
  'mutex_lock_interruptible',
  'mutex_trylock',
  'mutex_unlock',
  '__mutex_lock_common',
);
