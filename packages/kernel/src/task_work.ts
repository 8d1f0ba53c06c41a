/** task_work (kernel/task_work.c): callbacks a task runs on its way back to user space. */
import { current, type Kfn, type task_struct } from './sched.js';

/** A task_work callback; may sleep. */
export type task_work_func = () => undefined | void | Kfn;

/** task_work_add(): queue `fn` on `task`; -ESRCH (as -3) if the task is a kernel thread. */
export function task_work_add(task: task_struct, fn: task_work_func): number {
  if (task.kind !== 'user') return -3;
  task.task_works.push(fn as () => void);
  return 0;
}

/** task_work_run(): run (and drain) the current task's queued callbacks, oldest first. */
export function* task_work_run(): Kfn {
  const t = current;
  while (t.task_works.length > 0) {
    const fn = t.task_works.shift() as task_work_func;
    const g = fn();
    if (g) yield* g;
  }
}
