/** Condition variables and the clock: cv_timedwait in lbolt ticks, cv_broadcast, cv_signal, delay. */
import { jiffies } from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import {
  cv_broadcast,
  cv_signal,
  cv_timedwait,
  cv_wait,
  ddi_get_lbolt,
  delay,
  hz,
  illumos_machine,
  kcondvar_t,
  kmutex_t,
  minclsyspri,
  mutex_enter,
  mutex_exit,
  SEC_TO_TICK,
  TICK_TO_SEC,
  TS_RUN,
  thread_create,
} from '../src/index.js';

function start(
  m: ReturnType<typeof illumos_machine>,
  fn: (a: null) => Generator<number, unknown, void>,
) {
  return thread_create(null, 0, fn, null, 0, null, TS_RUN, minclsyspri, m);
}

describe('clock', () => {
  it('hz is 100: SEC_TO_TICK(300) is 30000 ticks, and the illumos machine runs at hz=100', () => {
    expect(hz).toBe(100);
    expect(SEC_TO_TICK(300)).toBe(30_000);
    expect(SEC_TO_TICK(1)).toBe(100);
    expect(TICK_TO_SEC(199)).toBe(1);
    expect(illumos_machine().hz).toBe(100);
  });

  it('delay(SEC_TO_TICK(10)) sleeps exactly 1000 ticks of lbolt', () => {
    const m = illumos_machine();
    const seen: number[] = [];
    start(m, function* sleeper() {
      seen.push(ddi_get_lbolt());
      yield* delay(SEC_TO_TICK(10));
      seen.push(ddi_get_lbolt());
    });
    expect(m.run().outcome).toBe('clean');
    expect(seen).toEqual([0, 1000]);
  });
});

describe('cv_timedwait', () => {
  it('times out at the absolute tick given, returns -1, and holds the mutex again', () => {
    const m = illumos_machine();
    const lock = new kmutex_t('g_lock');
    const cv = new kcondvar_t('gc_cv');
    const out: Array<[number, number, boolean]> = [];
    start(m, function* nlm_gc_like() {
      yield* mutex_enter(lock);
      for (let i = 0; i < 3; i++) {
        const rv = yield* cv_timedwait(cv, lock, ddi_get_lbolt() + SEC_TO_TICK(300));
        out.push([rv, ddi_get_lbolt(), lock.m_owner !== 0n]);
      }
      yield* mutex_exit(lock);
    });
    expect(m.run().outcome).toBe('clean');
    expect(out).toEqual([
      [-1, 30_000, true],
      [-1, 60_000, true],
      [-1, 90_000, true],
    ]);
  });

  it('returns -1 at once, without sleeping, when the deadline is not in the future', () => {
    const m = illumos_machine();
    const lock = new kmutex_t('l');
    const cv = new kcondvar_t('cv');
    let rv = 0;
    start(m, function* waiter() {
      yield* delay(5);
      yield* mutex_enter(lock);
      rv = yield* cv_timedwait(cv, lock, ddi_get_lbolt());
      yield* mutex_exit(lock);
    });
    expect(m.run().jiffies).toBe(5);
    expect(rv).toBe(-1);
  });

  it('woken early by cv_broadcast (nlm_kmem_reclaim), it returns the ticks left', () => {
    const m = illumos_machine();
    const lock = new kmutex_t('l');
    const cv = new kcondvar_t('cv');
    let rv = 0;
    let at = 0;
    start(m, function* waiter() {
      yield* mutex_enter(lock);
      rv = yield* cv_timedwait(cv, lock, ddi_get_lbolt() + SEC_TO_TICK(300));
      at = jiffies;
      yield* mutex_exit(lock);
    });
    start(m, function* reclaim() {
      yield* delay(SEC_TO_TICK(100));
      yield* mutex_enter(lock);
      cv_broadcast(cv);
      yield* mutex_exit(lock);
    });
    expect(m.run().outcome).toBe('clean');
    expect(at).toBe(10_000);
    expect(rv).toBe(20_000);
  });
});

describe('cv_broadcast and cv_signal', () => {
  function waiters(n: number, wake: (cv: kcondvar_t) => void) {
    const m = illumos_machine();
    const lock = new kmutex_t('l');
    const cv = new kcondvar_t('cv');
    const state = { go: false, woke: 0 };
    for (let i = 0; i < n; i++)
      start(m, function* waiter() {
        yield* mutex_enter(lock);
        while (!state.go) yield* cv_wait(cv, lock);
        state.woke++;
        yield* mutex_exit(lock);
      });
    start(m, function* waker() {
      yield* delay(1); // every waiter is asleep by now
      yield* mutex_enter(lock);
      state.go = true;
      wake(cv);
      yield* mutex_exit(lock);
    });
    const r = m.run();
    return { r, woke: state.woke, left: cv.cv_waiters };
  }

  it('cv_broadcast wakes every waiter', () => {
    const { r, woke, left } = waiters(3, cv_broadcast);
    expect(r.outcome).toBe('clean');
    expect(woke).toBe(3);
    expect(left).toBe(0);
  });

  it('cv_signal wakes one; the others sleep on (cv_wait cannot time out)', () => {
    const { r, woke, left } = waiters(3, cv_signal);
    expect(r.outcome).toBe('clean'); // no Linux hung-task detector on illumos
    expect(woke).toBe(1);
    expect(left).toBe(2);
  });
});
