/**
 * atomic_t and kref (include/asm/atomic.h, lib/kref.c). Read-modify-write operations are
 * scheduling points, so a race between a test and a later update can be interleaved. Every
 * operation records its access for DPOR. atomic_read() and atomic_set() are plain loads and
 * stores in the kernel and plain functions here (model code calls them outside generators):
 * they record their access but are not scheduling points; for a point, use
 * `yield* READ_ONCE(v, 'counter')` / `yield* WRITE_ONCE(v, 'counter', i)`.
 */

import { WARN_ON } from './bug.js';
import { type Kfn, object_seq, SP_PREEMPT, track_access } from './sched.js';
import { title_skip } from './stack.js';

/** atomic_t. */
export class atomic_t {
  constructor(public counter = 0) {
    object_seq(this); // its name to DPOR
  }
}

export function ATOMIC_INIT(i: number): atomic_t {
  return new atomic_t(i);
}

export function atomic_read(v: atomic_t): number {
  track_access(v, false);
  return v.counter;
}

export function atomic_set(v: atomic_t, i: number): void {
  track_access(v, true);
  v.counter = i;
}

export function* atomic_add_return(i: number, v: atomic_t): Kfn<number> {
  yield SP_PREEMPT;
  track_access(v, true);
  v.counter += i;
  return v.counter;
}

export function* atomic_inc(v: atomic_t): Kfn {
  yield SP_PREEMPT;
  track_access(v, true);
  v.counter++;
}

export function* atomic_dec(v: atomic_t): Kfn {
  yield SP_PREEMPT;
  track_access(v, true);
  v.counter--;
}

export function* atomic_inc_return(v: atomic_t): Kfn<number> {
  return yield* atomic_add_return(1, v);
}

export function* atomic_dec_return(v: atomic_t): Kfn<number> {
  return yield* atomic_add_return(-1, v);
}

/** atomic_dec_and_test(): true when the counter reaches zero. */
export function* atomic_dec_and_test(v: atomic_t): Kfn<boolean> {
  yield SP_PREEMPT;
  track_access(v, true);
  return --v.counter === 0;
}

/** atomic_inc_not_zero(): increment unless zero; true when incremented. */
export function* atomic_inc_not_zero(v: atomic_t): Kfn<boolean> {
  yield SP_PREEMPT;
  track_access(v, true);
  if (v.counter === 0) return false;
  v.counter++;
  return true;
}

/** struct kref. */
export class kref {
  readonly refcount = new atomic_t(0);
}

export function kref_init(k: kref): void {
  atomic_set(k.refcount, 1);
}

export function* kref_get(k: kref): Kfn {
  WARN_ON(atomic_read(k.refcount) === 0, 'kref_get on a zero refcount', {
    file: 'lib/kref.c',
    line: 33,
  });
  yield* atomic_inc(k.refcount);
}

/** A kref release function; may sleep (a generator) or not. */
export type kref_release = (k: kref) => undefined | void | Kfn;

/** kref_put(): drop a reference; calls `release` and returns 1 when it was the last. */
export function* kref_put(k: kref, release: kref_release): Kfn<number> {
  if (yield* atomic_dec_and_test(k.refcount)) {
    const g = release(k);
    if (g) yield* g;
    return 1;
  }
  return 0;
}

title_skip(
  'atomic_inc',
  'atomic_dec',
  'atomic_dec_and_test',
  'atomic_add_return',
  'kref_get',
  'kref_put',
);
