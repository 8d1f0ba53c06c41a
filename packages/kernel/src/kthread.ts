/**
 * Kernel threads (kernel/kthread.c, 2.6.24). kthread_stop() sets the global
 * kthread_stop_info to the thread, wakes it and waits for it to exit; a thread stopped
 * before its first run returns -EINTR without ever calling its function.
 */

import { complete, completion, init_completion, wait_for_completion } from './completion.js';
import { EINTR, ENOMEM, ERR_PTR, type ErrPtr, IS_ERR } from './errno.js';
import { DEFINE_MUTEX, type mutex, mutex_lock, mutex_unlock } from './mutex.js';
import {
  current,
  type Kfn,
  type Machine,
  on_task_exit,
  PF_KTHREAD,
  type task_struct,
  this_machine,
  track_opaque,
  wake_up_process,
} from './sched.js';
import { ignore_signals } from './signal.js';
import { kfree, kzalloc } from './slab.js';
import { title_skip } from './stack.js';

/** A kernel thread's function: `int (*threadfn)(void *data)`. */
export type threadfn<D> = (data: D) => Kfn<number>;

interface kthread_stop_info_t {
  k: task_struct | null;
  err: number;
  done: completion;
}

interface KthreadState {
  kthread_stop_lock: mutex;
  kthread_stop_info: kthread_stop_info_t;
}

const KTHREAD = Symbol('kthread');
const TASK_STRUCT = 'kthread.task_struct';

function kstate(): KthreadState {
  return this_machine().slot(KTHREAD, () => ({
    kthread_stop_lock: DEFINE_MUTEX('kthread_stop_lock'),
    kthread_stop_info: { k: null, err: 0, done: new completion('kthread_stop_info.done') },
  }));
}

/** The body of every kernel thread: kthread() in kernel/kthread.c. */
function* kthread<D>(fn: threadfn<D>, data: D): Kfn<number> {
  const info = kstate().kthread_stop_info;
  let ret = -EINTR;
  // The thread starts parked in kthread()'s schedule(); it gets here once woken.
  if (!kthread_should_stop()) ret = yield* fn(data);
  // It might have exited on its own, without kthread_stop(). Check.
  if (kthread_should_stop()) {
    info.err = ret;
    complete(info.done);
  }
  return 0;
}

/** kthread_create(): a new thread, parked until woken; ERR_PTR(-ENOMEM) when allocation fails. */
export function* kthread_create<D>(
  fn: threadfn<D>,
  data: D,
  name: string,
): Kfn<task_struct | ErrPtr> {
  const ts = yield* kzalloc('task_struct', () => ({ comm: name }));
  if (ts === null) return ERR_PTR(-ENOMEM);
  const t = this_machine().create_task(name, 'kthread', () => kthread(fn, data), false);
  ignore_signals(t); // inherited from kthreadd
  t.ext[TASK_STRUCT] = ts;
  return t;
}

/**
 * Start a kernel thread without sleeping: from non-sleeping kernel code, or from setup code
 * outside any run, which passes the machine.
 */
export function kthread_spawn<D>(
  fn: threadfn<D>,
  data: D,
  name: string,
  m: Machine = this_machine(),
): task_struct {
  const t = m.create_task(name, 'kthread', () => kthread(fn, data), true);
  ignore_signals(t); // inherited from kthreadd
  return t;
}

/** kthread_run(): kthread_create() and wake it. */
export function* kthread_run<D>(fn: threadfn<D>, data: D, name: string): Kfn<task_struct | ErrPtr> {
  track_opaque(); // DPOR: effects the core does not record
  const t = yield* kthread_create(fn, data, name);
  if (IS_ERR(t)) return t;
  wake_up_process(t);
  return t;
}

/** kthread_should_stop(): kthread_stop() was called for the current thread. */
export function kthread_should_stop(): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return kstate().kthread_stop_info.k === current;
}

/** kthread_stop(): ask `k` to stop, wait until it exits, return what its function returned. */
export function* kthread_stop(k: task_struct): Kfn<number> {
  track_opaque(); // DPOR: effects the core does not record
  const st = kstate();
  const info = st.kthread_stop_info;
  yield* mutex_lock(st.kthread_stop_lock);
  init_completion(info.done);
  info.k = k;
  wake_up_process(k);
  yield* wait_for_completion(info.done);
  info.k = null;
  const ret = info.err;
  yield* mutex_unlock(st.kthread_stop_lock);
  return ret;
}

/** Is this a kernel thread? */
export function is_kthread(t: task_struct): boolean {
  track_opaque(); // DPOR: effects the core does not record
  return (t.flags & PF_KTHREAD) !== 0;
}

// release_task(): the allocation that stood for the task_struct goes with the task.
on_task_exit((t) => {
  const ts = t.ext[TASK_STRUCT];
  if (ts !== undefined) {
    delete t.ext[TASK_STRUCT];
    kfree(ts as object);
  }
});

title_skip('kthread_stop', 'kthread_create', 'kthread_run', 'kthread');
