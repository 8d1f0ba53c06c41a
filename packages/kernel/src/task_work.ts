/**
 * task_work (kernel/task_work.c, 3.7): callbacks a task runs on its way back to user space,
 * oldest first. Not in 2.6.24; the later series (deferred fput) use it.
 */
import { ESRCH } from './errno.js';
import {
  current,
  type Kfn,
  PF_EXITING,
  SP_PREEMPT,
  type task_struct,
  track_opaque,
} from './sched.js';

/** A task_work callback; may sleep. */
export type task_work_func = () => undefined | void | Kfn;

/**
 * task_work_add(): queue `fn` on `task`; -ESRCH if the task is exiting. Kernel threads never
 * return to user space, so the model refuses them too (-ESRCH) instead of queueing work that
 * would never run.
 */
export function task_work_add(task: task_struct, fn: task_work_func): number {
  track_opaque(); // DPOR: effects the core does not record
  if (task.kind !== 'user' || (task.flags & PF_EXITING) !== 0) return -ESRCH;
  task.task_works.push(fn as () => void);
  return 0;
}

/** task_work_run(): run (and drain) the current task's queued callbacks, oldest first. */
export function* task_work_run(): Kfn {
  track_opaque(); // DPOR: effects the core does not record
  const t = current;
  while (t.task_works.length > 0) {
    const fn = t.task_works.shift() as task_work_func;
    const g = fn();
    if (g) yield* g;
    yield SP_PREEMPT; // cond_resched()
  }
}
