/**
 * Workqueues (kernel/workqueue.c): a worker kthread per queue runs queued work items in
 * order. schedule_work() uses the shared "events" queue (keventd).
 */

import { dump_stack } from './bug.js';
import { kthread_should_stop, kthread_spawn, kthread_stop } from './kthread.js';
import { debug_show_held_locks, held_locks } from './lockdep.js';
import { KERN_ERR, printk } from './printk.js';
import {
  current,
  type Kfn,
  type Machine,
  schedule,
  set_current_state,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  type task_struct,
  this_machine,
  track_opaque,
  wake_up_process,
} from './sched.js';
import { title_skip } from './stack.js';
import { del_timer, mod_timer, timer_list } from './timer.js';
import { wait_event, wait_queue_head_t, wake_up_all } from './wait.js';

/** A work function; may sleep. */
export type work_func_t = (work: work_struct) => undefined | void | Kfn;

/** struct work_struct. */
export class work_struct {
  pending = false;
  constructor(public func: work_func_t) {}
}

/** INIT_WORK(). */
export function INIT_WORK(work: work_struct, func: work_func_t): void {
  track_opaque(); // DPOR: effects the core does not record
  work.func = func;
  work.pending = false;
}

/** struct delayed_work. */
export class delayed_work {
  readonly work: work_struct;
  readonly timer = new timer_list();
  constructor(func: work_func_t) {
    this.work = new work_struct(func);
  }
}

/** struct workqueue_struct (one worker thread: a single-threaded workqueue). */
export class workqueue_struct {
  readonly worklist: work_struct[] = [];
  readonly more_work: wait_queue_head_t;
  readonly work_done: wait_queue_head_t;
  /** Work items taken off the list but not finished yet. */
  running = 0;
  /** Number of items ever inserted / finished, for flush_workqueue. */
  inserted = 0;
  finished = 0;
  /** Nesting of run_workqueue() (a work item that flushes its own queue). */
  run_depth = 0;
  thread: task_struct | null = null;
  constructor(readonly name: string) {
    this.more_work = new wait_queue_head_t(`${name}.more_work`);
    this.work_done = new wait_queue_head_t(`${name}.work_done`);
  }
}

/**
 * run_workqueue() (kernel/workqueue.c, 2.6.24): run the queued items in order; omits the
 * lockdep annotations of the queue and of each work item.
 */
function* run_workqueue(wq: workqueue_struct): Kfn {
  // v2.6.24:kernel/workqueue.c: "%s: recursion depth exceeded: %d\n" (__FUNCTION__), dump_stack().
  if (++wq.run_depth > 3) {
    printk(`run_workqueue: recursion depth exceeded: ${wq.run_depth}\n`);
    dump_stack();
  }
  while (wq.worklist.length > 0) {
    const work = wq.worklist.shift()!;
    work.pending = false;
    wq.running++;
    const g = work.func(work);
    if (g) yield* g;
    wq.running--;
    wq.finished++;
    if (current.preempt_count > 0 || held_locks(current).length > 0) {
      printk(
        `${KERN_ERR}BUG: workqueue leaked lock or atomic: ${current.comm}/` +
          `0x${current.preempt_count.toString(16).padStart(8, '0')}/${current.pid}\n`,
      );
      // v2.6.24:kernel/workqueue.c: KERN_ERR "    last function: ", print_symbol("%s\n"), which
      // prints name+offset/size; then debug_show_held_locks(current) and dump_stack().
      printk(`${KERN_ERR}    last function: ${work.func.name || '?'}+0x0/0x0\n`);
      for (const line of debug_show_held_locks(current)) printk(`${line}\n`);
      dump_stack();
    }
    wake_up_all(wq.work_done);
  }
  wq.run_depth--;
}

/** worker_thread(): run work items until asked to stop. */
function* worker_thread(wq: workqueue_struct): Kfn<number> {
  for (;;) {
    set_current_state(TASK_INTERRUPTIBLE);
    if (wq.worklist.length === 0 && !kthread_should_stop()) {
      current.wchan = wq.name;
      yield* schedule();
    }
    set_current_state(TASK_RUNNING);
    if (wq.worklist.length === 0 && kthread_should_stop()) break;
    yield* run_workqueue(wq);
  }
  return 0;
}

/**
 * create_singlethread_workqueue() / create_workqueue(): start its worker thread. Setup code
 * outside any run passes the machine.
 */
export function create_workqueue(name: string, m: Machine = this_machine()): workqueue_struct {
  track_opaque(); // DPOR: effects the core does not record
  const wq = new workqueue_struct(name);
  wq.thread = kthread_spawn(worker_thread, wq, name, m);
  return wq;
}
export const create_singlethread_workqueue = create_workqueue;

/** queue_work(): 1 if queued, 0 if it was already pending. */
export function queue_work(wq: workqueue_struct, work: work_struct): number {
  track_opaque(); // DPOR: effects the core does not record
  if (work.pending) return 0;
  work.pending = true;
  wq.worklist.push(work);
  wq.inserted++;
  if (wq.thread) wake_up_process(wq.thread);
  return 1;
}

/** queue_delayed_work(): queue after `delay` jiffies. */
export function queue_delayed_work(
  wq: workqueue_struct,
  dwork: delayed_work,
  delay: number,
): number {
  if (dwork.work.pending) return 0;
  if (delay === 0) return queue_work(wq, dwork.work);
  dwork.work.pending = true;
  dwork.timer.function_ = () => {
    dwork.work.pending = false;
    queue_work(wq, dwork.work);
  };
  mod_timer(dwork.timer, this_machine().jiffies + delay);
  return 1;
}

/** cancel_delayed_work(): 1 if it was pending on its timer. */
export function cancel_delayed_work(dwork: delayed_work): number {
  track_opaque(); // DPOR: effects the core does not record
  const r = del_timer(dwork.timer);
  if (r) dwork.work.pending = false;
  return r;
}

/**
 * flush_workqueue(): wait until everything queued before the call has run. Called from the
 * queue's own worker (a work item flushing its queue), 2.6.24 runs the queue right there.
 */
export function* flush_workqueue(wq: workqueue_struct): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  if (wq.thread === current) {
    yield* run_workqueue(wq);
    return;
  }
  const target = wq.inserted;
  yield* wait_event(wq.work_done, () => wq.finished >= target);
}

/** destroy_workqueue(): run what is queued, then stop the worker. */
export function* destroy_workqueue(wq: workqueue_struct): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  yield* flush_workqueue(wq);
  if (wq.thread) yield* kthread_stop(wq.thread);
  wq.thread = null;
}

const KEVENTD = Symbol('keventd_wq');

function keventd_wq(): workqueue_struct {
  return this_machine().slot(KEVENTD, () => create_workqueue('events/0'));
}

/** schedule_work(): queue on the kernel-global workqueue. */
export function schedule_work(work: work_struct): number {
  track_opaque(); // DPOR: effects the core does not record
  return queue_work(keventd_wq(), work);
}

export function schedule_delayed_work(dwork: delayed_work, delay: number): number {
  track_opaque(); // DPOR: effects the core does not record
  return queue_delayed_work(keventd_wq(), dwork, delay);
}

export function* flush_scheduled_work(): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  yield* flush_workqueue(keventd_wq());
}

title_skip('flush_workqueue', 'flush_scheduled_work', 'worker_thread', 'run_workqueue');
