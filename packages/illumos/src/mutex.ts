/**
 * Adaptive mutexes (usr/src/uts/common/os/mutex.c, usr/src/uts/intel/sys/mutex_impl.h) on
 * the core's scheduler. The lock word is modelled as illumos x86_64 stores it: m_owner is the
 * owner's kthread_t address | MUTEX_WAITERS (0x1); 0 when free; curthread | MUTEX_DEAD (0x6)
 * after mutex_destroy(). mutex_enter()'s fast path is a compare-and-swap of 0 with curthread,
 * so it fails on a destroyed mutex and mutex_vector_enter() panics: the type check
 * MUTEX_TYPE_ADAPTIVE, `(m_owner & MUTEX_DEAD) == 0`, is false.
 *
 * Spin mutexes are not modelled (klmmod uses adaptive ones only). Blocking is a turnstile
 * sleep; mutex_exit() with waiters wakes them all (option (3) of the Big Theory Statement).
 */
import {
  current,
  type Kfn,
  machine,
  object_seq,
  SP_PREEMPT,
  schedule,
  set_current_state,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  type task_struct,
  title_skip,
  track_access,
  wake_up_process,
} from '@lockstep/kernel';
import { addr_of, fmt_ptr } from './kmem.js';
import { panic } from './panic.js';
import { curthread, ttot } from './thread.js';

/** MUTEX_WAITERS, illumos 096e63b2^:usr/src/uts/intel/sys/mutex_impl.h. */
export const MUTEX_WAITERS = 0x1n;
/** MUTEX_DEAD, illumos 096e63b2^:usr/src/uts/intel/sys/mutex_impl.h: the type bits of a destroyed mutex. */
export const MUTEX_DEAD = 0x6n;
/** MUTEX_THREAD, illumos 096e63b2^:usr/src/uts/intel/sys/mutex_impl.h: the owner bits, -0x8. */
export const MUTEX_THREAD = ~0x7n;

/** kmutex_t types for mutex_init (usr/src/uts/common/sys/mutex.h). */
export const MUTEX_ADAPTIVE = 0;
export const MUTEX_SPIN = 1;
export const MUTEX_DRIVER = 4;
export const MUTEX_DEFAULT = 6;

/** kmutex_t: one word on x86_64 (mutex_impl_t's _m_owner). */
export class kmutex_t {
  /** The lock word: owner | waiters, or curthread | MUTEX_DEAD once destroyed. */
  m_owner = 0n;
  /** The model's turnstile: threads blocked on this mutex, in arrival order. */
  readonly ts_waiters: task_struct[] = [];
  constructor(readonly name = 'kmutex') {
    object_seq(this); // its name to DPOR
  }
  /** The owning task, for the core's lock-cycle view (blocked_on.owner). */
  get owner(): task_struct | null {
    return ownerTask(this);
  }
}

const tasksByThread = new Map<bigint, WeakRef<task_struct>>();

function ownerTask(lp: kmutex_t): task_struct | null {
  if ((lp.m_owner & MUTEX_DEAD) !== 0n) return null;
  const o = lp.m_owner & MUTEX_THREAD;
  if (o === 0n) return null;
  return tasksByThread.get(o)?.deref() ?? null;
}

/** Model helper: curthread's address, remembered with its task for the owner view. */
function me(): bigint {
  const k = curthread();
  tasksByThread.set(k.addr, new WeakRef(current));
  return k.addr;
}

/** MUTEX_OWNER(), illumos 096e63b2^:usr/src/uts/intel/sys/mutex_impl.h: `m_owner & MUTEX_THREAD`. */
export function MUTEX_OWNER(lp: kmutex_t): bigint {
  return lp.m_owner & MUTEX_THREAD;
}

/** MUTEX_TYPE_ADAPTIVE(), illumos 096e63b2^:usr/src/uts/intel/sys/mutex_impl.h: `(m_owner & MUTEX_DEAD) == 0`. */
export function MUTEX_TYPE_ADAPTIVE(lp: kmutex_t): boolean {
  return (lp.m_owner & MUTEX_DEAD) === 0n;
}

/**
 * mutex_panic(), illumos 096e63b2^:usr/src/uts/common/os/mutex.c: panic("%s, lp=%p owner=%p
 * thread=%p", msg, lp, MUTEX_OWNER(&panic_mutex), curthread). The owner printed is the lock
 * word with the low three bits masked off: for a destroyed mutex, the thread that destroyed it.
 */
export function mutex_panic(msg: string, lp: kmutex_t): never {
  const owner = fmt_ptr(MUTEX_OWNER(lp));
  return panic(
    `${msg}, lp=${fmt_ptr(addr_of(lp))} owner=${owner} thread=${fmt_ptr(curthread().addr)}`,
    msg,
  );
}

/** mutex_init(), illumos 096e63b2^:usr/src/uts/common/os/mutex.c: an adaptive mutex, free (MUTEX_CLEAR_LOCK_AND_WAITERS). Deviation: spin mutexes are not modelled. */
export function mutex_init(mp: kmutex_t, _name: string | null, _type: number, _ibc: unknown): void {
  track_access(mp, true);
  mp.m_owner = 0n;
  mp.ts_waiters.length = 0;
}

/**
 * mutex_enter(), illumos 096e63b2^:usr/src/uts/intel/ia32/ml/lock_prim.s: cmpxchg of 0 with
 * curthread; on failure, mutex_vector_enter(). A scheduling point first (preemption).
 */
export function* mutex_enter(mp: kmutex_t): Kfn {
  yield SP_PREEMPT;
  track_access(mp, true);
  if (mp.m_owner === 0n) {
    mp.m_owner = me();
    const m = machine();
    if (m.trace) m.emit(current.pid, 'acquire', mp.name);
    return;
  }
  yield* mutex_vector_enter(mp);
}

/**
 * mutex_vector_enter(), illumos 096e63b2^:usr/src/uts/common/os/mutex.c: "mutex_enter: bad
 * mutex" unless adaptive, "recursive mutex_enter" if the caller owns it; else block on the
 * turnstile (MUTEX_SET_WAITERS) until the owner drops it, and retry. Deviation: no spinning
 * while the owner runs (one CPU runs at a time in the model).
 */
export function* mutex_vector_enter(lp: kmutex_t): Kfn {
  const t = current;
  const m = machine();
  if (!MUTEX_TYPE_ADAPTIVE(lp)) mutex_panic('mutex_enter: bad mutex', lp);
  const self = me();
  if (m.trace) m.emit(t.pid, 'contend', lp.name);
  for (;;) {
    track_access(lp, true);
    if (!MUTEX_TYPE_ADAPTIVE(lp)) mutex_panic('mutex_enter: bad mutex', lp);
    if (lp.m_owner === 0n) {
      lp.m_owner = self;
      break;
    }
    if (MUTEX_OWNER(lp) === self) mutex_panic('recursive mutex_enter', lp);
    lp.m_owner |= MUTEX_WAITERS;
    lp.ts_waiters.push(t);
    set_current_state(TASK_UNINTERRUPTIBLE);
    t.wchan = `mutex ${lp.name}`;
    t.blocked_on = lp;
    yield* schedule();
    t.blocked_on = null;
    set_current_state(TASK_RUNNING);
  }
  if (m.trace) m.emit(t.pid, 'acquire', lp.name);
}

/**
 * Model helper: mutex_exit() without its scheduling point, for cv_wait() (illumos 096e63b2^:usr/src/uts/common/os/mutex.c mutex_vector_exit): "mutex_exit: not owner" unless
 * the caller owns it; clear the lock word and wake every waiter.
 */
export function mutex_vector_exit(lp: kmutex_t): void {
  track_access(lp, true);
  if (!MUTEX_TYPE_ADAPTIVE(lp) || MUTEX_OWNER(lp) !== curthread().addr)
    mutex_panic('mutex_exit: not owner', lp);
  lp.m_owner = 0n;
  const m = machine();
  if (m.trace) m.emit(current.pid, 'release', lp.name);
  const waiters = lp.ts_waiters.splice(0);
  for (const w of waiters) wake_up_process(w);
}

/** mutex_exit(), illumos 096e63b2^:usr/src/uts/intel/ia32/ml/lock_prim.s (mutex_vector_exit when not the plain owner); then a preemption point. */
export function* mutex_exit(mp: kmutex_t): Kfn {
  mutex_vector_exit(mp);
  yield SP_PREEMPT;
}

/** mutex_tryenter(), illumos 096e63b2^:usr/src/uts/intel/ia32/ml/lock_prim.s: 1 when taken, else 0; a dead mutex panics "mutex_tryenter: bad mutex" (mutex_vector_tryenter, os/mutex.c). */
export function* mutex_tryenter(mp: kmutex_t): Kfn<number> {
  yield SP_PREEMPT;
  track_access(mp, true);
  if (!MUTEX_TYPE_ADAPTIVE(mp) && mp.m_owner !== 0n) mutex_panic('mutex_tryenter: bad mutex', mp);
  if (mp.m_owner !== 0n) return 0;
  mp.m_owner = me();
  return 1;
}

/** mutex_owned(), illumos 096e63b2^:usr/src/uts/common/os/mutex.c: the caller owns the (adaptive) mutex. MUTEX_HELD() is this. */
export function mutex_owned(mp: kmutex_t): boolean {
  track_access(mp, false);
  return MUTEX_TYPE_ADAPTIVE(mp) && MUTEX_OWNER(mp) === curthread().addr;
}

/** mutex_owner(), illumos 096e63b2^:usr/src/uts/common/os/mutex.c: the owner's thread address, or 0 (NULL) when free or not adaptive. */
export function mutex_owner(mp: kmutex_t): bigint {
  track_access(mp, false);
  return MUTEX_TYPE_ADAPTIVE(mp) ? MUTEX_OWNER(mp) : 0n;
}

/**
 * mutex_destroy(), illumos 096e63b2^:usr/src/uts/common/os/mutex.c: a free mutex, or one the
 * caller holds without waiters, becomes MUTEX_DESTROY'd: m_owner = curthread | MUTEX_DEAD.
 * Held by another thread: "mutex_destroy: not owner"; with waiters: "mutex_destroy: has
 * waiters"; already destroyed: "mutex_destroy: bad mutex".
 */
export function mutex_destroy(mp: kmutex_t): void {
  track_access(mp, true);
  const self = me();
  if (mp.m_owner === 0n) {
    mp.m_owner = self | MUTEX_DEAD;
    return;
  }
  if (!MUTEX_TYPE_ADAPTIVE(mp)) mutex_panic('mutex_destroy: bad mutex', mp);
  if (MUTEX_OWNER(mp) !== self) mutex_panic('mutex_destroy: not owner', mp);
  if (mp.ts_waiters.length > 0) mutex_panic('mutex_destroy: has waiters', mp);
  mp.m_owner = self | MUTEX_DEAD;
}

/** Model helper: the thread a task runs as, for checks on owners (illumos 096e63b2^:usr/src/uts/common/sys/thread.h). */
export function thread_of(t: task_struct): bigint {
  return ttot(t).addr;
}

title_skip(
  'mutex_enter',
  'mutex_vector_enter',
  'mutex_exit',
  'mutex_vector_exit',
  'mutex_tryenter',
  'mutex_destroy',
  'mutex_init',
  'mutex_owned',
  'mutex_owner',
);
