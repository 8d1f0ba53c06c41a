/**
 * Spinlocks (include/linux/spinlock.h). A contended spinlock spins: the task leaves the
 * runqueue in TASK_SPINNING until the holder releases it. The _bh/_irq/_irqsave spellings
 * behave alike here: the model has no interrupts to disable.
 */
import {
  local_bh_disable,
  local_bh_enable,
  local_irq_disable,
  local_irq_enable,
  lock_acquire,
  lock_release,
  lockdep_map,
} from './lockdep.js';
import type { Report } from './report.js';
import {
  current,
  type Kfn,
  machine,
  object_seq,
  SP_PREEMPT,
  SP_SCHEDULE,
  sleepHooks,
  TASK_RUNNING,
  TASK_SPINNING,
  type task_struct,
  this_machine,
  track_access,
} from './sched.js';
import { capture_backtrace, title_function, title_skip } from './stack.js';

/** spinlock_t. */
export class spinlock_t {
  owner: task_struct | null = null;
  readonly spinners: task_struct[] = [];
  readonly dep_map: lockdep_map;
  constructor(readonly name: string) {
    object_seq(this); // its name to DPOR
    this.dep_map = new lockdep_map(name);
  }
}

/** DEFINE_SPINLOCK() / spin_lock_init(). */
export function DEFINE_SPINLOCK(name: string): spinlock_t {
  return new spinlock_t(name);
}

/** Take `lock` for the current task, spinning while another task holds it. */
export function* __raw_spin_lock(lock: spinlock_t, name: string): Kfn {
  const t = current;
  const m = machine();
  track_access(lock, true);
  while (lock.owner !== null) {
    if (m.trace) m.emit(t.pid, 'contend', name);
    t.state = TASK_SPINNING;
    t.wchan = `spinlock ${name}`;
    t.blocked_on = lock;
    if (m.stacks) t.sleep_bt = capture_backtrace();
    lock.spinners.push(t);
    yield SP_SCHEDULE;
    t.blocked_on = null;
    track_access(lock, true);
  }
  lock.owner = t;
  if (m.trace) m.emit(t.pid, 'acquire', name);
}

/** Release `lock` and let every spinner retry. */
export function __raw_spin_unlock(lock: spinlock_t, name: string): void {
  const m = machine();
  track_access(lock, true);
  lock.owner = null;
  if (m.trace) m.emit(current.pid, 'release', name);
  for (const s of lock.spinners) {
    if (s.state === TASK_SPINNING) {
      s.state = TASK_RUNNING;
      s.wchan = '';
      m.enqueue(s);
    }
  }
  lock.spinners.length = 0;
}

export function* spin_lock(lock: spinlock_t): Kfn {
  yield SP_PREEMPT;
  lock_acquire(lock.dep_map, 0, false, 0);
  yield* __raw_spin_lock(lock, lock.name);
  current.preempt_count++;
}

export function* spin_unlock(lock: spinlock_t): Kfn {
  lock_release(lock.dep_map);
  current.preempt_count--;
  __raw_spin_unlock(lock, lock.name);
  yield SP_PREEMPT;
}

/** spin_trylock(): 1 when taken. */
export function* spin_trylock(lock: spinlock_t): Kfn<number> {
  yield SP_PREEMPT;
  track_access(lock, true);
  if (lock.owner !== null) return 0;
  lock_acquire(lock.dep_map, 0, true, 0);
  lock.owner = current;
  current.preempt_count++;
  return 1;
}

export function spin_is_locked(lock: spinlock_t): boolean {
  track_access(lock, false);
  return lock.owner !== null;
}

// The _bh/_irq spellings tell lockdep that softirqs/hardirqs are off (its usage bits).
export function* spin_lock_bh(lock: spinlock_t): Kfn {
  local_bh_disable();
  yield* spin_lock(lock);
}
export function* spin_unlock_bh(lock: spinlock_t): Kfn {
  yield* spin_unlock(lock);
  local_bh_enable();
}
export function* spin_lock_irq(lock: spinlock_t): Kfn {
  local_irq_disable();
  yield* spin_lock(lock);
}
export function* spin_unlock_irq(lock: spinlock_t): Kfn {
  yield* spin_unlock(lock);
  local_irq_enable();
}
/** spin_lock_irqsave(): the flags are meaningless in the model; returns 0. */
export function* spin_lock_irqsave(lock: spinlock_t): Kfn<number> {
  yield* spin_lock_irq(lock);
  return 0;
}
export function* spin_unlock_irqrestore(lock: spinlock_t, _flags: number): Kfn {
  yield* spin_unlock_irq(lock);
}

/**
 * __schedule_bug() (kernel/sched.c, 2.6.24), called by schedule_debug() when a task sleeps
 * with a spinlock held; omits debug_show_held_locks() and the register dump.
 */
function __schedule_bug(prev: task_struct): never {
  // schedule() has done its own preempt_disable() by the time it checks, hence the + 1.
  const count = `0x${(prev.preempt_count + 1).toString(16).padStart(8, '0')}`;
  const headline = `BUG: scheduling while atomic: ${prev.comm}/${prev.pid}/${count}`;
  const bt = capture_backtrace();
  const report: Report = {
    kind: 'sleep-in-atomic',
    title: `BUG: scheduling while atomic in ${title_function(bt)}`,
    headline,
    text: [
      headline,
      `Pid: ${prev.pid}, comm: ${prev.comm} Not tainted 2.6.24 #1`,
      'Call Trace:',
      ...bt.map((f) => ` [<ffffffff00000000>] ${f}+0x0/0x0`),
    ].join('\n'),
    task: { pid: prev.pid, comm: prev.comm },
    backtrace: bt,
  };
  return this_machine().raise(report);
}

/** schedule_debug(): a task that goes to sleep must not hold a spinlock. */
function scheduleDebug(t: task_struct): void {
  if (t.preempt_count > 0) __schedule_bug(t);
}
sleepHooks.before.push(scheduleDebug);

title_skip(
  '__schedule_bug',
  'spin_lock',
  'spin_unlock',
  'spin_trylock',
  'spin_lock_irqsave',
  'spin_unlock_irqrestore',
  'spin_lock_bh',
  'spin_unlock_bh',
  'spin_lock_irq',
  'spin_unlock_irq',
  '__raw_spin_lock',
  '__raw_spin_unlock',
);
