/**
 * Completions (kernel/sched.c, 2.6.24): a `done` counter and a wait queue. complete()
 * counts up and wakes one waiter; each wait consumes one count. Reusing a completion that
 * was completed once without init_completion() makes the next wait return at once.
 */
import {
  current,
  type Kfn,
  MAX_SCHEDULE_TIMEOUT,
  set_current_state,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  this_machine,
  track_opaque,
} from './sched.js';
import { ERESTARTSYS, signal_pending } from './signal.js';
import { title_skip } from './stack.js';
import { schedule_timeout } from './timer.js';
import {
  __wake_up,
  add_wait_queue_exclusive,
  DECLARE_WAITQUEUE,
  remove_wait_queue,
  wait_queue_head_t,
} from './wait.js';

const UINT_MAX = 0xffff_ffff;

/** struct completion. */
export class completion {
  done = 0;
  readonly wait: wait_queue_head_t;
  constructor(readonly name = 'completion') {
    this.wait = new wait_queue_head_t(name);
  }
}

/** DECLARE_COMPLETION(). */
export function DECLARE_COMPLETION(name: string): completion {
  track_opaque(); // DPOR: effects the core does not record
  return new completion(name);
}

/** init_completion(): done = 0. */
export function init_completion(x: completion): void {
  track_opaque(); // DPOR: effects the core does not record
  x.done = 0;
  x.wait.task_list.length = 0;
}

/** complete(): one more `done`, wake one waiter. */
export function complete(x: completion): void {
  track_opaque(); // DPOR: effects the core does not record
  if (x.done !== UINT_MAX) x.done++;
  this_machine().emit(current.pid, 'complete', x.name, { done: x.done });
  __wake_up(x.wait, TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE, 1);
}

/** complete_all(): done += UINT_MAX/2, wake every waiter. */
export function complete_all(x: completion): void {
  track_opaque(); // DPOR: effects the core does not record
  x.done += Math.floor(UINT_MAX / 2);
  this_machine().emit(current.pid, 'complete', x.name, { done: x.done });
  __wake_up(x.wait, TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE, 0);
}

/**
 * do_wait_for_common() (kernel/sched.c): the jiffies left (>= 1) when done, 0 on timeout,
 * -ERESTARTSYS. When `done` and the timeout race it takes the completion, as later kernels
 * do; 2.6.24 reported the timeout and left `done` counted.
 */
function* do_wait_for_common(x: completion, timeout: number, state: number): Kfn<number> {
  if (x.done === 0) {
    const w = DECLARE_WAITQUEUE();
    add_wait_queue_exclusive(x.wait, w);
    do {
      if (state === TASK_INTERRUPTIBLE && signal_pending(current)) {
        remove_wait_queue(x.wait, w);
        return -ERESTARTSYS;
      }
      set_current_state(state);
      current.wchan = `completion ${x.name}`;
      timeout = yield* schedule_timeout(timeout);
    } while (x.done === 0 && timeout !== 0);
    set_current_state(TASK_RUNNING);
    remove_wait_queue(x.wait, w);
    if (x.done === 0) return timeout;
  }
  x.done--;
  return timeout === 0 ? 1 : timeout;
}

export function* wait_for_completion(x: completion): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  yield* do_wait_for_common(x, MAX_SCHEDULE_TIMEOUT, TASK_UNINTERRUPTIBLE);
}

/** wait_for_completion_timeout(): 0 on timeout, else the jiffies left. */
export function* wait_for_completion_timeout(x: completion, timeout: number): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  return yield* do_wait_for_common(x, timeout, TASK_UNINTERRUPTIBLE);
}

export function* wait_for_completion_interruptible(x: completion): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  const t = yield* do_wait_for_common(x, MAX_SCHEDULE_TIMEOUT, TASK_INTERRUPTIBLE);
  return Math.min(t, 0);
}

/** completion_done(): a wait would not block. */
export function completion_done(x: completion): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return x.done !== 0;
}

title_skip(
  'wait_for_completion',
  'wait_for_completion_timeout',
  'wait_for_completion_interruptible',
  'do_wait_for_common',
);
