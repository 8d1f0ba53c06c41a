/**
 * The syscall boundary of user processes: entry, the call, and the exit path that runs
 * task_work, freezes the task if the freezer asked, and checks that no lock is held on the
 * return to user space (lockdep_sys_exit).
 */
import { try_to_freeze } from './freezer.js';
import { lockdep_sys_exit } from './lockdep.js';
import { current, type Kfn, SP_PREEMPT, this_machine } from './sched.js';
import { task_work_run } from './task_work.js';

/** Make a system call from a user process: `yield* syscall('flock', function* () { ... })`. */
export function* syscall<T>(name: string, body: () => Kfn<T>): Kfn<T> {
  const m = this_machine();
  if (m.trace) m.emit(current.pid, 'syscall', name);
  yield SP_PREEMPT;
  const ret = yield* body();
  yield* syscall_exit_to_user_mode(name);
  return ret;
}

/** The return to user space (prepare_exit_to_usermode / do_notify_resume). */
export function* syscall_exit_to_user_mode(name: string): Kfn {
  yield* task_work_run();
  yield* try_to_freeze();
  lockdep_sys_exit(name);
  const m = this_machine();
  if (m.trace) m.emit(current.pid, 'sysret', name);
}
