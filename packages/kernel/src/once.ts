/**
 * READ_ONCE() / WRITE_ONCE() (include/linux/compiler.h): a marked plain access to a shared
 * field. Each is a scheduling point (the access happens when the task next runs, as the
 * atomics do) and records its access for the explorer's DPOR, per object (all fields of one
 * object count as one location: coarser, never unsound).
 */
import { type Kfn, SP_PREEMPT, track_access } from './sched.js';
import { title_skip } from './stack.js';

/** READ_ONCE(obj->key): `const v = yield* READ_ONCE(obj, 'key')`. */
export function* READ_ONCE<T extends object, K extends keyof T>(obj: T, key: K): Kfn<T[K]> {
  yield SP_PREEMPT;
  track_access(obj, false);
  return obj[key];
}

/** WRITE_ONCE(obj->key, val): `yield* WRITE_ONCE(obj, 'key', val)`. */
export function* WRITE_ONCE<T extends object, K extends keyof T>(obj: T, key: K, val: T[K]): Kfn {
  yield SP_PREEMPT;
  track_access(obj, true);
  obj[key] = val;
}

title_skip('READ_ONCE', 'WRITE_ONCE');
