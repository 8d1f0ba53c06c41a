/**
 * Kernel threads (usr/src/uts/common/disp/thread.c) on the core's tasks. A kthread_t is the
 * model's handle for a task, with the address a kthread_t would have on x86_64 illumos
 * (thread structures are big and start on a 0x..000 boundary, which is why the blog could
 * read a destroyed mutex's owner word, thread | 6, as a thread address with the low bits set).
 */
import {
  current,
  do_exit,
  type Kfn,
  type Machine,
  type task_struct,
  this_machine,
} from '@lockstep/kernel';

/** x86_64 illumos kernel threads lie in the kernel heap (segkp) at ffffff00...; the model's t0. */
const THREAD_BASE = 0xffff_ff00_0f40_0000n;
const THREAD_STRIDE = 0x1000n;

/** kthread_t: the parts of it the model needs. */
export class kthread_t {
  /** Where the thread structure lies (pointer printed by panic: thread=%p). */
  readonly addr: bigint;
  constructor(readonly task: task_struct) {
    this.addr = THREAD_BASE + BigInt(task.pid) * THREAD_STRIDE;
  }
  toString(): string {
    return this.addr.toString(16);
  }
}

const threads = new WeakMap<task_struct, kthread_t>();

/** Model helper: the kthread_t of a task (illumos 096e63b2^:usr/src/uts/common/sys/thread.h). */
export function ttot(t: task_struct): kthread_t {
  let k = threads.get(t);
  if (k === undefined) {
    k = new kthread_t(t);
    threads.set(t, k);
  }
  return k;
}

/** curthread, illumos 096e63b2^:usr/src/uts/common/sys/thread.h (a per-CPU load on x86). */
export function curthread(): kthread_t {
  return ttot(current);
}

/** The thread states thread_create() takes (usr/src/uts/common/sys/thread.h). */
export const TS_RUN = 0x02;
/** minclsyspri: the model has no priorities; kept so calls read as in illumos. */
export const minclsyspri = 60;

/** A thread's start routine: proc(arg), a kernel function that may block. */
export type thread_proc<A> = (arg: A) => Kfn<unknown>;

/**
 * thread_create(), illumos 096e63b2^:usr/src/uts/common/disp/thread.c: a kernel thread that
 * runs proc(arg) and exits when it returns (thread_start calls thread_exit). Deviation: no
 * stack, process or priority; `len`, `pp` and `pri` are ignored, and TS_RUN makes it
 * runnable at once. Also callable from setup code outside a run, with the machine.
 */
export function thread_create<A>(
  _stk: null,
  _stksize: number,
  proc: thread_proc<A>,
  arg: A,
  _len: number,
  _pp: unknown,
  state: number,
  _pri: number,
  m: Machine = this_machine(),
): kthread_t {
  const name = proc.name || 'thread_start';
  const t = m.create_task(name, 'kthread', () => thread_start(proc, arg), state === TS_RUN);
  return ttot(t);
}

/** thread_start, illumos 096e63b2^:usr/src/uts/intel/ia32/ml/i86_subr.s: calls proc(arg), then thread_exit(). */
function* thread_start<A>(proc: thread_proc<A>, arg: A): Kfn<unknown> {
  yield* proc(arg);
  return thread_exit();
}

/** thread_exit(), illumos 096e63b2^:usr/src/uts/common/disp/thread.c: the running thread ends. */
export function thread_exit(): never {
  return do_exit(0);
}
