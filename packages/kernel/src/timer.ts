/**
 * Timers and sleeping with a timeout (kernel/timer.c). Timer functions run in softirq
 * context when virtual time reaches their expiry, which happens only when no task can run.
 */

import { dump_stack } from './bug.js';
import { KERN_ERR, printk } from './printk.js';
import {
  current,
  HZ,
  jiffies,
  type Kfn,
  MAX_SCHEDULE_TIMEOUT,
  schedule,
  set_current_state,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  type TimerEntry,
  this_machine,
  track_opaque,
  wake_up_process,
} from './sched.js';
import { signal_pending } from './signal.js';
import { title_skip } from './stack.js';

/** struct timer_list. */
export class timer_list {
  expires = 0;
  entry: TimerEntry | null = null;
  constructor(
    public function_: (data: unknown) => void = () => {},
    public data: unknown = null,
  ) {}
}

/** setup_timer(). */
export function setup_timer(t: timer_list, fn: (data: unknown) => void, data: unknown): void {
  track_opaque(); // DPOR: effects the core does not record
  t.function_ = fn;
  t.data = data;
}

/** mod_timer() (kernel/timer.c, 2.6.24): (re)arm; returns 1 if the timer was pending. */
export function mod_timer(t: timer_list, expires: number): number {
  track_opaque(); // DPOR: effects the core does not record
  if (t.expires === expires && timer_pending(t)) return 1;
  const was = del_timer(t);
  t.expires = expires;
  t.entry = this_machine().add_timer(expires, () => {
    t.entry = null;
    t.function_(t.data);
  });
  return was;
}

/** add_timer(). */
export function add_timer(t: timer_list): void {
  track_opaque(); // DPOR: effects the core does not record
  mod_timer(t, t.expires);
}

/** del_timer(): returns 1 if the timer was pending. */
export function del_timer(t: timer_list): number {
  track_opaque(); // DPOR: effects the core does not record
  if (t.entry === null) return 0;
  const was = this_machine().del_timer(t.entry);
  t.entry = null;
  return was ? 1 : 0;
}
export const del_timer_sync = del_timer;

export function timer_pending(t: timer_list): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return t.entry?.pending === true;
}

export function msecs_to_jiffies(ms: number): number {
  track_opaque(); // DPOR: effects the core does not record
  return Math.ceil((ms * HZ) / 1000);
}

export function jiffies_to_msecs(j: number): number {
  track_opaque(); // DPOR: effects the core does not record
  return Math.floor((j * 1000) / HZ);
}

/** time_after(a, b): a is later than b. */
export function time_after(a: number, b: number): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return a > b;
}

/**
 * schedule_timeout() (kernel/timer.c, 2.6.24): sleep in the state the caller set until woken
 * or `timeout` jiffies pass; returns the jiffies left (0 on timeout).
 */
export function* schedule_timeout(timeout: number): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  if (timeout === MAX_SCHEDULE_TIMEOUT) {
    yield* schedule();
    return timeout;
  }
  if (timeout < 0) {
    const lx = BigInt.asUintN(64, BigInt(timeout)).toString(16); // printed with %lx
    // v2.6.24:kernel/timer.c: KERN_ERR "schedule_timeout: wrong timeout value %lx\n", dump_stack().
    printk(`${KERN_ERR}schedule_timeout: wrong timeout value ${lx}\n`);
    dump_stack();
    set_current_state(TASK_RUNNING);
    return 0;
  }
  const t = current;
  const expire = jiffies + timeout;
  const entry = this_machine().add_timer(expire, () => {
    wake_up_process(t);
  });
  yield* schedule();
  this_machine().del_timer(entry);
  const left = expire - jiffies;
  return Math.max(left, 0);
}

export function* schedule_timeout_interruptible(timeout: number): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  set_current_state(TASK_INTERRUPTIBLE);
  return yield* schedule_timeout(timeout);
}

export function* schedule_timeout_uninterruptible(timeout: number): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  set_current_state(TASK_UNINTERRUPTIBLE);
  return yield* schedule_timeout(timeout);
}

/** msleep(): sleep uninterruptibly for at least `ms` milliseconds. */
export function* msleep(ms: number): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  let timeout = msecs_to_jiffies(ms) + 1;
  while (timeout > 0) timeout = yield* schedule_timeout_uninterruptible(timeout);
}

/** msleep_interruptible(): returns the milliseconds left if a signal woke it. */
export function* msleep_interruptible(ms: number): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  let timeout = msecs_to_jiffies(ms) + 1;
  while (timeout > 0 && !signal_pending(current))
    timeout = yield* schedule_timeout_interruptible(timeout);
  return jiffies_to_msecs(timeout);
}

title_skip(
  'schedule_timeout',
  'schedule_timeout_interruptible',
  'schedule_timeout_uninterruptible',
  'msleep',
  'msleep_interruptible',
);
