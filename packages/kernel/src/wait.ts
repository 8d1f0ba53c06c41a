/**
 * Wait queues (kernel/wait.c, include/linux/wait.h): wake_up wakes every non-exclusive
 * waiter and one exclusive waiter; wait_event re-checks its condition after every wake-up.
 */
import {
  current,
  type Kfn,
  MAX_SCHEDULE_TIMEOUT,
  schedule,
  set_current_state,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
  this_machine,
  track_opaque,
} from './sched.js';
import { ERESTARTSYS, signal_pending } from './signal.js';
import { title_skip } from './stack.js';
import { schedule_timeout } from './timer.js';

export interface wait_queue_t {
  task: task_struct;
  exclusive: boolean;
  /** Set while queued on a wait_queue_head. */
  queued: boolean;
  /** autoremove_wake_function (DEFINE_WAIT): a successful wake-up dequeues the entry. */
  autoremove?: boolean;
}

/** wait_queue_head_t. */
export class wait_queue_head_t {
  readonly task_list: wait_queue_t[] = [];
  constructor(readonly name = 'wait_queue') {}
}

export function init_waitqueue_head(q: wait_queue_head_t): void {
  track_opaque(); // DPOR: effects the core does not record
  q.task_list.length = 0;
}

export function DECLARE_WAITQUEUE(task: task_struct = current): wait_queue_t {
  track_opaque(); // DPOR: effects the core does not record
  return { task, exclusive: false, queued: false };
}

/** DEFINE_WAIT(): a wait entry for the current task that a wake-up dequeues. */
export function DEFINE_WAIT(): wait_queue_t {
  track_opaque(); // DPOR: effects the core does not record
  return { task: current, exclusive: false, queued: false, autoremove: true };
}

export function add_wait_queue(q: wait_queue_head_t, w: wait_queue_t): void {
  track_opaque(); // DPOR: effects the core does not record
  w.exclusive = false;
  if (!w.queued) {
    q.task_list.unshift(w);
    w.queued = true;
  }
}

export function add_wait_queue_exclusive(q: wait_queue_head_t, w: wait_queue_t): void {
  track_opaque(); // DPOR: effects the core does not record
  w.exclusive = true;
  if (!w.queued) {
    q.task_list.push(w);
    w.queued = true;
  }
}

export function remove_wait_queue(q: wait_queue_head_t, w: wait_queue_t): void {
  track_opaque(); // DPOR: effects the core does not record
  const i = q.task_list.indexOf(w);
  if (i >= 0) q.task_list.splice(i, 1);
  w.queued = false;
}

/** prepare_to_wait(): queue (once, at the head) and set the task state, in that order. */
export function prepare_to_wait(q: wait_queue_head_t, w: wait_queue_t, state: number): void {
  track_opaque(); // DPOR: effects the core does not record
  w.exclusive = false;
  if (!w.queued) add_wait_queue(q, w);
  set_current_state(state);
}

export function prepare_to_wait_exclusive(
  q: wait_queue_head_t,
  w: wait_queue_t,
  state: number,
): void {
  track_opaque(); // DPOR: effects the core does not record
  w.exclusive = true;
  if (!w.queued) add_wait_queue_exclusive(q, w);
  set_current_state(state);
}

/** finish_wait(). */
export function finish_wait(q: wait_queue_head_t, w: wait_queue_t): void {
  track_opaque(); // DPOR: effects the core does not record
  current.state = TASK_RUNNING;
  if (w.queued) remove_wait_queue(q, w);
}

/** __wake_up(): wake non-exclusive waiters and up to `nr_exclusive` exclusive ones. */
export function __wake_up(q: wait_queue_head_t, mode: number, nr_exclusive: number): void {
  track_opaque(); // DPOR: effects the core does not record
  const m = this_machine();
  for (const w of q.task_list.slice()) {
    if (!m.wake(w.task, mode)) continue;
    if (w.autoremove) remove_wait_queue(q, w);
    if (w.exclusive && --nr_exclusive === 0) break;
  }
}

export function wake_up(q: wait_queue_head_t): void {
  track_opaque(); // DPOR: effects the core does not record
  __wake_up(q, TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE, 1);
}
export function wake_up_all(q: wait_queue_head_t): void {
  track_opaque(); // DPOR: effects the core does not record
  __wake_up(q, TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE, 0);
}
export function wake_up_interruptible(q: wait_queue_head_t): void {
  track_opaque(); // DPOR: effects the core does not record
  __wake_up(q, TASK_INTERRUPTIBLE, 1);
}
export function wake_up_interruptible_all(q: wait_queue_head_t): void {
  track_opaque(); // DPOR: effects the core does not record
  __wake_up(q, TASK_INTERRUPTIBLE, 0);
}

export function waitqueue_active(q: wait_queue_head_t): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return q.task_list.length > 0;
}

/** wait_event(): sleep uninterruptibly until `cond()` holds. */
export function* wait_event(q: wait_queue_head_t, cond: () => boolean): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  if (cond()) return;
  const w = DEFINE_WAIT();
  for (;;) {
    prepare_to_wait(q, w, TASK_UNINTERRUPTIBLE);
    if (cond()) break;
    current.wchan = q.name;
    yield* schedule();
  }
  finish_wait(q, w);
}

/** wait_event_interruptible(): 0 when `cond()` holds, -ERESTARTSYS on a signal. */
export function* wait_event_interruptible(q: wait_queue_head_t, cond: () => boolean): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  if (cond()) return 0;
  const w = DEFINE_WAIT();
  let ret = 0;
  for (;;) {
    prepare_to_wait(q, w, TASK_INTERRUPTIBLE);
    if (cond()) break;
    if (signal_pending(current)) {
      ret = -ERESTARTSYS;
      break;
    }
    current.wchan = q.name;
    yield* schedule();
  }
  finish_wait(q, w);
  return ret;
}

/**
 * wait_event_timeout() / wait_event_interruptible_timeout(): the jiffies left when `cond()`
 * became true (at least 1), 0 on timeout, -ERESTARTSYS on a signal when interruptible.
 * Returns 1, as kernels since 3.11 do, when the condition turned true just as the time ran
 * out; 2.6.24 returned 0 then (a false timeout).
 */
export function* wait_event_timeout(
  q: wait_queue_head_t,
  cond: () => boolean,
  timeout: number,
  state: number = TASK_UNINTERRUPTIBLE,
): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  if (cond()) return Math.max(timeout, 1);
  const w = DEFINE_WAIT();
  let ret = timeout;
  for (;;) {
    prepare_to_wait(q, w, state);
    if (cond()) break;
    if (state === TASK_INTERRUPTIBLE && signal_pending(current)) {
      ret = -ERESTARTSYS;
      break;
    }
    current.wchan = q.name;
    ret = yield* schedule_timeout(ret);
    if (ret === 0) break;
  }
  finish_wait(q, w);
  if (ret === 0 && cond()) ret = 1;
  return ret;
}

export function* wait_event_interruptible_timeout(
  q: wait_queue_head_t,
  cond: () => boolean,
  timeout: number,
): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  return yield* wait_event_timeout(q, cond, timeout, TASK_INTERRUPTIBLE);
}

/** interruptible_sleep_on_timeout(): the racy old primitive 2.6.24's lockd_down uses. */
export function* interruptible_sleep_on_timeout(
  q: wait_queue_head_t,
  timeout: number,
): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  const w = DECLARE_WAITQUEUE();
  set_current_state(TASK_INTERRUPTIBLE);
  add_wait_queue(q, w);
  current.wchan = q.name;
  const left = yield* schedule_timeout(timeout);
  remove_wait_queue(q, w);
  return left;
}

/** sleep_on(): uninterruptible and just as racy. */
export function* sleep_on(q: wait_queue_head_t): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  const w = DECLARE_WAITQUEUE();
  set_current_state(TASK_UNINTERRUPTIBLE);
  add_wait_queue(q, w);
  current.wchan = q.name;
  yield* schedule_timeout(MAX_SCHEDULE_TIMEOUT);
  remove_wait_queue(q, w);
}

title_skip(
  'wait_event',
  'wait_event_interruptible',
  'wait_event_timeout',
  'wait_event_interruptible_timeout',
  'interruptible_sleep_on_timeout',
  'sleep_on',
);
