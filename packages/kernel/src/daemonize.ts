/**
 * The pre-kthread way to run a kernel thread (2.6.24): kernel_thread() forks the caller
 * (arch/x86/kernel/process_64.c, kernel/fork.c) and the child turns itself into a daemon with
 * daemonize() (kernel/exit.c). A module that starts such a thread pins itself with
 * __module_get() and leaves through module_put_and_exit() (kernel/module.c).
 */
import { ENOMEM } from './errno.js';
import { current, do_exit, type Kfn, PF_NOFREEZE, this_machine, track_opaque } from './sched.js';
import { block_all_signals } from './signal.js';
import { kzalloc } from './slab.js';
import { title_skip } from './stack.js';

/** The ext key kthread.ts frees the task_struct allocation under when a task exits. */
const TASK_STRUCT = 'kthread.task_struct';

/**
 * kernel_thread(), 2.6.24: fork a kernel thread running fn(arg); its pid, or -ENOMEM when
 * dup_task_struct() fails. The child starts as a copy of the caller (name, blocked signals,
 * freezable) until it calls daemonize(). Leaves out the clone flags and the mm handling.
 */
export function* kernel_thread<A>(
  fn: (arg: A) => Kfn<unknown>,
  arg: A,
  _flags: number,
): Kfn<number> {
  const parent = current;
  const ts = yield* kzalloc('task_struct', () => ({ comm: parent.comm }));
  if (ts === null) return -ENOMEM;
  const t = this_machine().create_task(parent.comm, 'kthread', () => fn(arg), true);
  // A forked child is freezable and keeps its parent's signal mask until daemonize().
  t.flags &= ~PF_NOFREEZE;
  t.blocked = parent.blocked;
  t.ext[TASK_STRUCT] = ts;
  return t.pid;
}

/**
 * daemonize(), 2.6.24: detach from the parent's user context, block every signal (SIG_IGN
 * handlers), become non-freezable (2.6.23+) and take the new name. Leaves out reparenting
 * to init and dropping the mm, files and fs.
 */
export function daemonize(name: string): void {
  track_opaque(); // DPOR: effects the core does not record
  const t = current;
  t.comm = name;
  block_all_signals(t);
  t.flags |= PF_NOFREEZE;
  this_machine().emit(t.pid, 'rename', name);
}

/** struct module, reduced to its name and reference count. */
export class module {
  refcnt = 0;
  constructor(readonly name: string) {}
}

/** __module_get(): take a reference the caller knows cannot be the first. */
export function __module_get(mod: module): void {
  track_opaque(); // DPOR: effects the core does not record
  mod.refcnt++;
}

/** module_put(). */
export function module_put(mod: module): void {
  track_opaque(); // DPOR: effects the core does not record
  mod.refcnt--;
}

/** module_put_and_exit(): drop the module reference and do_exit(code), never returning. */
export function module_put_and_exit(mod: module, code: number): never {
  track_opaque(); // DPOR: effects the core does not record
  module_put(mod);
  return do_exit(code);
}

title_skip('kernel_thread', 'daemonize', 'module_put_and_exit');
