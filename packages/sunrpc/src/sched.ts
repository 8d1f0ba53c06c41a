/**
 * RPC task scheduling, net/sunrpc/sched.c as of Linux 2.6.24: the rpc_task finite state
 * machine (__rpc_execute), RPC wait queues with per-task timers, and rpciod, the workqueue
 * that runs asynchronous tasks. A synchronous task runs in its caller and sleeps
 * interruptibly between steps; an asynchronous one starts in its caller and continues in
 * rpciod once woken. rpciod calls the rpc_call_done and rpc_release callbacks under the big
 * kernel lock, as 2.6.24 did (a86dc496 removed it in 2.6.27-rc1).
 */
import {
  BUG_ON,
  create_workqueue,
  current,
  DECLARE_WAITQUEUE,
  DEFINE_STATIC,
  del_timer,
  ERESTARTSYS,
  ETIMEDOUT,
  finish_wait,
  INIT_WORK,
  jiffies,
  KERN_ERR,
  type Kfn,
  kref_get,
  list_add_tail,
  list_del,
  list_empty,
  list_head,
  lock_kernel,
  mod_timer,
  prepare_to_wait,
  printk,
  queue_work,
  schedule,
  setup_timer,
  signal_pending,
  TASK_INTERRUPTIBLE,
  timer_list,
  unlock_kernel,
  WARN_ON,
  wait_queue_head_t,
  wake_up,
  work_struct,
  type workqueue_struct,
} from '@lockstep/kernel';
import { type rpc_clnt, rpc_release_client } from './clnt.js';
import { type rpc_rqst, xprt_release } from './xprt.js';

/** tk_flags (include/linux/sunrpc/sched.h, 2.6.24). */
export const RPC_TASK_ASYNC = 0x0001;
export const RPC_TASK_SWAPPER = 0x0002;
export const RPC_CALL_MAJORSEEN = 0x0020;
export const RPC_TASK_ROOTCREDS = 0x0040;
export const RPC_TASK_DYNAMIC = 0x0080;
export const RPC_TASK_KILLED = 0x0100;
export const RPC_TASK_SOFT = 0x0200;
export const RPC_TASK_NOINTR = 0x0400;

/** tk_runstate bits. */
const RPC_TASK_RUNNING = 0;
const RPC_TASK_QUEUED = 1;
const RPC_TASK_ACTIVE = 2;
const RPC_TASK_HAS_TIMER = 3;

/** One step of the state machine. It may sleep (a generator) or not. */
export type rpc_action = (task: rpc_task) => Kfn | undefined | void;

/** struct rpc_call_ops. */
export interface rpc_call_ops {
  readonly rpc_call_prepare?:
    | ((task: rpc_task, calldata: unknown) => Kfn | undefined | void)
    | null;
  readonly rpc_call_done?: ((task: rpc_task, calldata: unknown) => Kfn | undefined | void) | null;
  readonly rpc_release?: ((calldata: unknown) => Kfn | undefined | void) | null;
}

/** struct rpc_procinfo: a procedure of the remote program. */
export interface rpc_procinfo {
  readonly p_proc: number;
  readonly p_name: string;
  /** Encode the arguments for the wire (call_encode); without it they go as they are. */
  readonly p_encode?: ((argp: unknown) => unknown) | null;
  /** Decode a reply result into the caller's rpc_resp (null for a void result). */
  readonly p_decode?: ((resp: unknown, res: unknown) => void) | null;
}

/** struct rpc_message. */
export interface rpc_message {
  rpc_proc: rpc_procinfo | null;
  rpc_argp: unknown;
  rpc_resp: unknown;
}

/** struct rpc_wait_queue: tasks sleeping for an event (FIFO, no priorities). */
export class rpc_wait_queue {
  readonly tasks: rpc_task[] = [];
  constructor(readonly name: string) {}
}

/**
 * struct rpc_task. Allocated from a mempool (never fails; not tracked by KASAN). tk_wait
 * stands for the bit wait queue of tk_runstate that synchronous tasks sleep on.
 */
export class rpc_task {
  readonly tk_task: list_head = new list_head(this);
  tk_client: rpc_clnt | null = null;
  tk_rqstp: rpc_rqst | null = null;
  tk_msg: rpc_message = { rpc_proc: null, rpc_argp: null, rpc_resp: null };
  tk_calldata: unknown = null;
  tk_action: rpc_action | null = null;
  tk_callback: rpc_action | null = null;
  tk_timeout_fn: ((task: rpc_task) => void) | null = null;
  readonly tk_timer = new timer_list();
  tk_timeout = 0;
  tk_flags = 0;
  tk_status = 0;
  tk_runstate = 0;
  tk_waitqueue: rpc_wait_queue | null = null;
  tk_count = 1;
  readonly tk_work: work_struct = new work_struct(rpc_async_schedule);
  readonly tk_wait = new wait_queue_head_t('rpc_task->tk_runstate');
  tk_workqueue: workqueue_struct | null = null;
  tk_pid = 0;
  tk_timeouts = 0;
  /** Retransmissions left for a reply call_verify finds garbage (rpc_init_task: 2). */
  tk_garb_retry = 2;
  tk_start = 0;
  constructor(readonly tk_ops: rpc_call_ops) {}
}

/** The statics of net/sunrpc/sched.c, per machine. */
const sched_c = DEFINE_STATIC('net/sunrpc/sched.c', () => ({
  delay_queue: new rpc_wait_queue('delayq'),
  rpciod_users: 0,
  rpciod_workqueue: null as workqueue_struct | null,
  rpc_pid: 0,
  work_task: new WeakMap<work_struct, rpc_task>(),
}));

/** RPC_IS_ASYNC(), v2.6.24:include/linux/sunrpc/sched.h. */
export function RPC_IS_ASYNC(t: rpc_task): boolean {
  return (t.tk_flags & RPC_TASK_ASYNC) !== 0;
}
/** RPC_IS_SOFT(), v2.6.24:include/linux/sunrpc/sched.h. */
export function RPC_IS_SOFT(t: rpc_task): boolean {
  return (t.tk_flags & RPC_TASK_SOFT) !== 0;
}
/** RPC_TASK_UNINTERRUPTIBLE(), v2.6.24:include/linux/sunrpc/sched.h. */
export function RPC_TASK_UNINTERRUPTIBLE(t: rpc_task): boolean {
  return (t.tk_flags & RPC_TASK_NOINTR) !== 0;
}
/** RPC_ASSASSINATED(), v2.6.24:include/linux/sunrpc/sched.h. */
export function RPC_ASSASSINATED(t: rpc_task): boolean {
  return (t.tk_flags & RPC_TASK_KILLED) !== 0;
}
function test_bit(nr: number, t: rpc_task): boolean {
  return (t.tk_runstate & (1 << nr)) !== 0;
}
function set_bit(nr: number, t: rpc_task): void {
  t.tk_runstate |= 1 << nr;
}
function clear_bit(nr: number, t: rpc_task): void {
  t.tk_runstate &= ~(1 << nr);
}
function test_and_set_bit(nr: number, t: rpc_task): boolean {
  const was = test_bit(nr, t);
  set_bit(nr, t);
  return was;
}
/** RPC_IS_QUEUED(), v2.6.24:include/linux/sunrpc/sched.h. */
export function RPC_IS_QUEUED(t: rpc_task): boolean {
  return test_bit(RPC_TASK_QUEUED, t);
}
/** RPC_IS_ACTIVATED(), v2.6.24:include/linux/sunrpc/sched.h. */
export function RPC_IS_ACTIVATED(t: rpc_task): boolean {
  return test_bit(RPC_TASK_ACTIVE, t);
}

/** Run a hook that may or may not sleep. */
function* runHook(g: Kfn | undefined | void): Kfn {
  if (g) yield* g;
}

/** __rpc_disable_timer(). */
function __rpc_disable_timer(task: rpc_task): void {
  task.tk_timeout_fn = null;
  task.tk_timeout = 0;
}

/** rpc_run_timer(), v2.6.24:net/sunrpc/sched.c: the task's timer (softirq) runs its timeout function if still queued. */
function rpc_run_timer(data: unknown): void {
  const task = data as rpc_task;
  const callback = task.tk_timeout_fn;
  task.tk_timeout_fn = null;
  if (callback && RPC_IS_QUEUED(task)) callback(task);
  clear_bit(RPC_TASK_HAS_TIMER, task);
}

/** __rpc_add_timer(). */
function __rpc_add_timer(task: rpc_task, timer: ((task: rpc_task) => void) | null): void {
  if (!task.tk_timeout) return;
  task.tk_timeout_fn = timer ?? __rpc_default_timer;
  set_bit(RPC_TASK_HAS_TIMER, task);
  mod_timer(task.tk_timer, jiffies + task.tk_timeout);
}

/** rpc_delete_timer(). */
function rpc_delete_timer(task: rpc_task): void {
  if (RPC_IS_QUEUED(task)) return;
  if (test_bit(RPC_TASK_HAS_TIMER, task)) {
    clear_bit(RPC_TASK_HAS_TIMER, task);
    del_timer(task.tk_timer);
  }
}

/** rpc_set_active(), v2.6.24:net/sunrpc/sched.c: first run; the task joins its client's cl_tasks. */
function rpc_set_active(task: rpc_task): void {
  if (test_and_set_bit(RPC_TASK_ACTIVE, task)) return;
  task.tk_pid = ++sched_c().rpc_pid;
  const clnt = task.tk_client;
  if (clnt !== null) list_add_tail(task.tk_task, clnt.cl_tasks);
}

/**
 * rpc_make_runnable(), v2.6.24:net/sunrpc/sched.c: an async task is queued on rpciod, a sync one woken where it
 * sleeps in __rpc_execute.
 */
function rpc_make_runnable(task: rpc_task): void {
  BUG_ON(task.tk_timeout_fn !== null);
  clear_bit(RPC_TASK_QUEUED, task);
  if (test_and_set_bit(RPC_TASK_RUNNING, task)) return;
  // We might have raced.
  if (RPC_IS_QUEUED(task)) {
    clear_bit(RPC_TASK_RUNNING, task);
    return;
  }
  if (RPC_IS_ASYNC(task)) {
    INIT_WORK(task.tk_work, rpc_async_schedule);
    sched_c().work_task.set(task.tk_work, task);
    queue_work(task.tk_workqueue!, task.tk_work);
  } else wake_up(task.tk_wait);
}

/**
 * __rpc_sleep_on() / rpc_sleep_on(), v2.6.24:net/sunrpc/sched.c: queue the task, with an action and a timer.
 * Every queue is FIFO: the priority queue of 2.6.24 (xprt->backlog, batches by tk_cookie) and
 * the head insertion of swapper tasks are left out; no model transport ever fills its slots.
 */
export function rpc_sleep_on(
  q: rpc_wait_queue,
  task: rpc_task,
  action: rpc_action | null,
  timer: ((task: rpc_task) => void) | null,
): void {
  rpc_set_active(task);
  if (!RPC_IS_ASYNC(task) && !RPC_IS_ACTIVATED(task)) {
    printk(`${KERN_ERR}RPC: Inactive synchronous task put to sleep!\n`);
    return;
  }
  BUG_ON(RPC_IS_QUEUED(task));
  q.tasks.push(task);
  task.tk_waitqueue = q;
  set_bit(RPC_TASK_QUEUED, task);
  BUG_ON(task.tk_callback !== null);
  task.tk_callback = action;
  __rpc_add_timer(task, timer);
}

/** __rpc_do_wake_up_task(), v2.6.24:net/sunrpc/sched.c. */
function __rpc_do_wake_up_task(task: rpc_task): void {
  // Has the task been executed yet? If not, we cannot wake it up!
  if (!RPC_IS_ACTIVATED(task)) {
    printk(`${KERN_ERR}RPC: Inactive task (${task.tk_pid}) being woken up!\n`);
    return;
  }
  __rpc_disable_timer(task);
  const q = task.tk_waitqueue!;
  const i = q.tasks.indexOf(task);
  if (i >= 0) q.tasks.splice(i, 1);
  task.tk_waitqueue = null;
  rpc_make_runnable(task);
}

/** rpc_wake_up_task(), v2.6.24:net/sunrpc/sched.c: wake a queued task (from any context, never sleeps). */
export function rpc_wake_up_task(task: rpc_task): void {
  if (RPC_IS_QUEUED(task)) __rpc_do_wake_up_task(task);
}

/** __rpc_default_timer(): time out a sleeping task. */
function __rpc_default_timer(task: rpc_task): void {
  task.tk_status = -ETIMEDOUT;
  rpc_wake_up_task(task);
}

/** __rpc_atrun(). */
function __rpc_atrun(task: rpc_task): void {
  rpc_wake_up_task(task);
}

/** rpc_delay(), v2.6.24:net/sunrpc/sched.c: run the task again after `delay` jiffies. */
export function rpc_delay(task: rpc_task, delay: number): void {
  task.tk_timeout = delay;
  rpc_sleep_on(sched_c().delay_queue, task, null, __rpc_atrun);
}

/** rpc_exit(), v2.6.24:include/linux/sunrpc/sched.h (inline): finish the task with `status`. */
export function rpc_exit(task: rpc_task, status: number): void {
  task.tk_status = status;
  task.tk_action = rpc_exit_task;
}

/** rpc_prepare_task(), v2.6.24:net/sunrpc/sched.c: rpc_call_prepare under the BKL. */
function* rpc_prepare_task(task: rpc_task): Kfn {
  yield* lock_kernel();
  yield* runHook(task.tk_ops.rpc_call_prepare?.(task, task.tk_calldata));
  yield* unlock_kernel();
}

/** rpc_exit_task(), v2.6.24:net/sunrpc/sched.c: the last step; calls rpc_call_done under the BKL. */
export function* rpc_exit_task(task: rpc_task): Kfn {
  task.tk_action = null;
  const done = task.tk_ops.rpc_call_done;
  if (done) {
    yield* lock_kernel();
    yield* runHook(done(task, task.tk_calldata));
    yield* unlock_kernel();
    if (task.tk_action !== null) {
      WARN_ON(RPC_ASSASSINATED(task));
      // Always release the RPC slot and buffer memory.
      xprt_release(task);
    }
  }
}

/** rpc_release_calldata(), v2.6.24:net/sunrpc/sched.c: rpc_release under the BKL. */
export function* rpc_release_calldata(ops: rpc_call_ops, calldata: unknown): Kfn {
  const release = ops.rpc_release;
  if (release) {
    yield* lock_kernel();
    yield* runHook(release(calldata));
    yield* unlock_kernel();
  }
}

/** rpc_wait_bit_interruptible(): sleep unless a signal is pending. */
function* rpc_wait_bit_interruptible(): Kfn<number> {
  if (signal_pending(current)) return -ERESTARTSYS;
  current.wchan = 'rpc_wait_bit_interruptible';
  yield* schedule();
  return 0;
}

/** out_of_line_wait_on_bit(RPC_TASK_QUEUED, ..., TASK_INTERRUPTIBLE): spurious wake-ups sleep again. */
function* out_of_line_wait_on_bit(task: rpc_task): Kfn<number> {
  const wait = DECLARE_WAITQUEUE(current);
  let ret = 0;
  do {
    prepare_to_wait(task.tk_wait, wait, TASK_INTERRUPTIBLE);
    if (RPC_IS_QUEUED(task)) ret = yield* rpc_wait_bit_interruptible();
  } while (RPC_IS_QUEUED(task) && !ret);
  finish_wait(task.tk_wait, wait);
  return ret;
}

/**
 * __rpc_execute(), v2.6.24:net/sunrpc/sched.c: run the state machine until the task sleeps (an async task then
 * returns; rpciod continues it when woken) or ends. A sync task sleeps here, interruptibly:
 * a signal the caller allows ends it with -ERESTARTSYS.
 */
function* __rpc_execute(task: rpc_task): Kfn {
  BUG_ON(RPC_IS_QUEUED(task));

  for (;;) {
    // Garbage collection of pending timers...
    rpc_delete_timer(task);

    // Execute any pending callback.
    if (task.tk_callback !== null) {
      const save_callback = task.tk_callback;
      task.tk_callback = null;
      yield* runHook(save_callback(task));
    }

    // Perform the next FSM step. tk_action may be NULL when the task has been killed.
    if (!RPC_IS_QUEUED(task)) {
      if (task.tk_action === null) break;
      yield* runHook(task.tk_action(task));
    }

    // Lockless check for whether task is sleeping or not.
    if (!RPC_IS_QUEUED(task)) continue;
    clear_bit(RPC_TASK_RUNNING, task);
    if (RPC_IS_ASYNC(task)) {
      // Careful! we may have raced...
      if (RPC_IS_QUEUED(task)) return;
      if (test_and_set_bit(RPC_TASK_RUNNING, task)) return;
      continue;
    }

    // Sync task: sleep here.
    const status = yield* out_of_line_wait_on_bit(task);
    if (status === -ERESTARTSYS) {
      // A signal: exit with -ERESTARTSYS, going round once more for the callbacks.
      task.tk_flags |= RPC_TASK_KILLED;
      rpc_exit(task, -ERESTARTSYS);
      rpc_wake_up_task(task);
    }
    set_bit(RPC_TASK_RUNNING, task);
  }

  // Release all resources associated with the task.
  yield* rpc_release_task(task);
}

/** rpc_execute(), v2.6.24:net/sunrpc/sched.c: run a task from its caller (async tasks too, until they sleep). */
export function* rpc_execute(task: rpc_task): Kfn {
  rpc_set_active(task);
  set_bit(RPC_TASK_RUNNING, task);
  yield* __rpc_execute(task);
}

/** rpc_async_schedule(): rpciod's work item for an async task. */
function* rpc_async_schedule(work: work_struct): Kfn {
  const task = sched_c().work_task.get(work)!;
  yield* __rpc_execute(task);
}

/**
 * rpc_init_task() + rpc_new_task(), v2.6.24:net/sunrpc/sched.c: a task for `clnt` (which it pins), taking the
 * client's soft/intr defaults. The task joins cl_tasks when it first runs (rpc_set_active).
 */
export function* rpc_new_task(
  clnt: rpc_clnt | null,
  flags: number,
  tk_ops: rpc_call_ops,
  calldata: unknown,
): Kfn<rpc_task> {
  const task = new rpc_task(tk_ops);
  setup_timer(task.tk_timer, rpc_run_timer, task);
  task.tk_client = clnt;
  task.tk_flags = flags;
  if (tk_ops.rpc_call_prepare) task.tk_action = rpc_prepare_task;
  task.tk_calldata = calldata;
  // Initialize workqueue for async tasks.
  task.tk_workqueue = sched_c().rpciod_workqueue;
  if (clnt) {
    yield* kref_get(clnt.cl_kref);
    if (clnt.cl_softrtry) task.tk_flags |= RPC_TASK_SOFT;
    if (!clnt.cl_intr) task.tk_flags |= RPC_TASK_NOINTR;
  }
  task.tk_start = jiffies;
  task.tk_flags |= RPC_TASK_DYNAMIC;
  return task;
}

/** rpc_put_task(), v2.6.24:net/sunrpc/sched.c: the last reference releases the slot, the client and the calldata. */
export function* rpc_put_task(task: rpc_task): Kfn {
  const tk_ops = task.tk_ops;
  const calldata = task.tk_calldata;
  if (--task.tk_count !== 0) return;
  // Release resources.
  if (task.tk_rqstp) xprt_release(task);
  const clnt = task.tk_client;
  if (clnt !== null) {
    task.tk_client = null;
    yield* rpc_release_client(clnt);
  }
  yield* rpc_release_calldata(tk_ops, calldata);
}

/** rpc_release_task(), v2.6.24:net/sunrpc/sched.c: leave cl_tasks, stop the timer, drop the running reference. */
export function* rpc_release_task(task: rpc_task): Kfn {
  // Remove from client task list.
  if (!list_empty(task.tk_task)) list_del(task.tk_task);
  BUG_ON(RPC_IS_QUEUED(task));
  // Synchronously delete any running timer.
  rpc_delete_timer(task);
  // Wake up anyone who is waiting for task completion (rpc_mark_complete_task).
  clear_bit(RPC_TASK_ACTIVE, task);
  yield* rpc_put_task(task);
}

/**
 * rpciod_up(), v2.6.24:net/sunrpc/sched.c: try_module_get(THIS_MODULE), so never fails and never
 * sleeps (b247bbf1, 2.6.23-rc3, replaced the older rpciod_mutex and user count). 2.6.24 creates
 * the rpciod workqueue when sunrpc loads (rpc_init_mempool, rpciod_start); the model creates it
 * at the first rpciod_up, which only moves the thread's creation (and pid) earlier or later.
 */
export function rpciod_up(): number {
  const s = sched_c();
  s.rpciod_users++;
  if (s.rpciod_workqueue === null) s.rpciod_workqueue = create_workqueue('rpciod/0');
  return 0;
}

/** rpciod_down(), v2.6.24:net/sunrpc/sched.c: module_put(THIS_MODULE); the workqueue stays. */
export function rpciod_down(): void {
  sched_c().rpciod_users--;
}
