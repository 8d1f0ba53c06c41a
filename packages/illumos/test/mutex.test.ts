/** Adaptive mutexes: mutual exclusion under the explorer, the owner word, the dead-mutex panic. */
import { explore, type Machine, sched_point } from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import {
  addr_embed,
  addr_of,
  curthread,
  cv_broadcast,
  cv_wait,
  fmt_ptr,
  ILLUMOS_MACHINE,
  illumos_configure,
  illumos_machine,
  KM_SLEEP,
  kcondvar_t,
  kmem_cache_alloc,
  kmem_cache_create,
  kmem_cache_free,
  kmutex_t,
  MUTEX_DEAD,
  MUTEX_DEFAULT,
  mdb_mutex,
  minclsyspri,
  mutex_destroy,
  mutex_enter,
  mutex_exit,
  mutex_init,
  mutex_owned,
  TS_RUN,
  thread_create,
  ttot,
  VERIFY,
} from '../src/index.js';

/**
 * Two threads each do a non-atomic read-modify-write of a counter, under the mutex or not; a
 * third waits (cv_wait) until both are done and VERIFYs the count.
 */
function counter(locked: boolean) {
  return (m: Machine) => {
    illumos_configure(m, {});
    const lock = new kmutex_t('counter_lock');
    const done_lock = new kmutex_t('done_lock');
    const done_cv = new kcondvar_t('done_cv');
    const state = { n: 0, done: 0 };
    function* bump(_arg: null) {
      if (locked) yield* mutex_enter(lock);
      const v = state.n;
      yield* sched_point();
      state.n = v + 1;
      if (locked) yield* mutex_exit(lock);
      yield* mutex_enter(done_lock);
      state.done++;
      cv_broadcast(done_cv);
      yield* mutex_exit(done_lock);
    }
    function* check(_arg: null) {
      yield* mutex_enter(done_lock);
      while (state.done < 2) yield* cv_wait(done_cv, done_lock);
      yield* mutex_exit(done_lock);
      VERIFY(state.n === 2, 'state.n == 2', 'counter.c', 1);
    }
    thread_create(null, 0, bump, null, 0, null, TS_RUN, minclsyspri, m);
    thread_create(null, 0, bump, null, 0, null, TS_RUN, minclsyspri, m);
    thread_create(null, 0, check, null, 0, null, TS_RUN, minclsyspri, m);
  };
}

describe('mutex_enter/mutex_exit', () => {
  it('exhaustive exploration: the unlocked counter loses an update, the locked one never does', () => {
    const racy = explore(counter(false), {
      strategy: 'exhaustive',
      preemptionBound: 2,
      machine: ILLUMOS_MACHINE,
    });
    expect(racy.found?.report.title).toBe('panic: assertion failed: state.n == 2 in check');
    const safe = explore(counter(true), {
      strategy: 'exhaustive',
      preemptionBound: 2,
      machine: ILLUMOS_MACHINE,
    });
    expect(safe.found).toBeUndefined();
    expect(safe.exhausted).toBe(true);
    expect(safe.schedules).toBeGreaterThan(1);
  });

  it('the lock word holds the owner thread address; a waiter blocks until mutex_exit', () => {
    const m = illumos_machine();
    const lock = new kmutex_t('l');
    const seen: string[] = [];
    function* a(_: null) {
      yield* mutex_enter(lock);
      seen.push(`a owns, word=${fmt_ptr(lock.m_owner)} me=${fmt_ptr(curthread().addr)}`);
      expect(mutex_owned(lock)).toBe(true);
      yield* sched_point();
      yield* sched_point();
      seen.push('a exits');
      yield* mutex_exit(lock);
    }
    function* b(_: null) {
      yield* mutex_enter(lock);
      seen.push('b owns');
      yield* mutex_exit(lock);
    }
    const ta = thread_create(null, 0, a, null, 0, null, TS_RUN, minclsyspri, m);
    thread_create(null, 0, b, null, 0, null, TS_RUN, minclsyspri, m);
    // Round-robin at every decision: b tries while a holds the lock.
    const r = m.run({
      chooser: { choose: (rq, prev) => rq.find((t) => t !== prev) ?? rq[0]! },
    });
    expect(r.outcome).toBe('clean');
    expect(seen).toEqual([
      `a owns, word=${fmt_ptr(ta.addr)} me=${fmt_ptr(ta.addr)}`,
      'a exits',
      'b owns',
    ]);
    expect(lock.m_owner).toBe(0n);
  });
});

/** A struct with a mutex at offset 0x20, allocated from a kmem cache (like nlm_host's nh_lock). */
class obj_t {
  refs = 0;
  readonly o_lock: kmutex_t;
  constructor() {
    this.o_lock = addr_embed(new kmutex_t('o_lock'), this, 0x20);
  }
}

describe('mutex_destroy and the dead mutex', () => {
  it('mutex_destroy stores curthread | MUTEX_DEAD; kmem_cache_free keeps it; mutex_enter panics as illumos prints it', () => {
    const m = illumos_machine();
    const cache = kmem_cache_create('obj_cache', 0x40, 8, () => new obj_t());
    let freed: obj_t | null = null;
    function* destroyer(_: null) {
      const o = yield* kmem_cache_alloc<obj_t>(cache, KM_SLEEP);
      mutex_init(o.o_lock, null, MUTEX_DEFAULT, null);
      yield* mutex_enter(o.o_lock);
      yield* mutex_exit(o.o_lock);
      mutex_destroy(o.o_lock);
      kmem_cache_free(cache, o);
      freed = o;
    }
    function* user_of_stale(_: null) {
      while (freed === null) yield* sched_point();
      yield* mutex_enter(freed.o_lock);
    }
    const gc = thread_create(null, 0, destroyer, null, 0, null, TS_RUN, minclsyspri, m);
    const user = thread_create(null, 0, user_of_stale, null, 0, null, TS_RUN, minclsyspri, m);
    const r = m.run();
    expect(r.outcome).toBe('crash');
    const o = freed as unknown as obj_t;
    // The freed buffer still holds the destroyed mutex: thread | 6, as the blog read it.
    expect(o.o_lock.m_owner).toBe(gc.addr | MUTEX_DEAD);
    expect(o.o_lock.m_owner & 0xfn).toBe(0x6n);
    const lp = fmt_ptr(addr_of(o.o_lock));
    expect(addr_of(o.o_lock)).toBe(addr_of(o) + 0x20n);
    const rep = r.report!;
    expect(rep.kind).toBe('panic');
    // mutex_panic: "%s, lp=%p owner=%p thread=%p", owner = MUTEX_OWNER (the low bits masked off).
    expect(rep.headline).toBe(
      `panic[cpu0]/thread=${fmt_ptr(user.addr)}: mutex_enter: bad mutex, lp=${lp} owner=${fmt_ptr(gc.addr)} thread=${fmt_ptr(user.addr)}`,
    );
    expect(rep.title).toBe('panic: mutex_enter: bad mutex in user_of_stale');
    expect(rep.text).toContain(
      [
        '> ::stack',
        'vpanic()',
        'panic+0x0()',
        'mutex_panic+0x0()',
        'mutex_vector_enter+0x0()',
        'user_of_stale+0x0()',
      ].join('\n'),
    );
    expect(rep.text).toContain('thread_start+8()');
    expect(rep.text).not.toMatch(/^mutex_enter\+/m); // the assembly fast path tail-jumps
    expect(mdb_mutex(o.o_lock)).toContain(`opaque=${fmt_ptr(gc.addr | 6n)}`);
  });

  it('mutex_destroy of a mutex another thread holds panics "mutex_destroy: not owner"', () => {
    const m = illumos_machine();
    const lock = new kmutex_t('held');
    function* holder(_: null) {
      yield* mutex_enter(lock);
      for (let i = 0; i < 5; i++) yield* sched_point();
    }
    function* killer(_: null) {
      while (lock.m_owner === 0n) yield* sched_point();
      mutex_destroy(lock);
    }
    thread_create(null, 0, holder, null, 0, null, TS_RUN, minclsyspri, m);
    thread_create(null, 0, killer, null, 0, null, TS_RUN, minclsyspri, m);
    const r = m.run({ chooser: { choose: (rq, prev) => rq.find((t) => t !== prev) ?? rq[0]! } });
    expect(r.report?.title).toBe('panic: mutex_destroy: not owner in killer');
  });

  it('entering a mutex twice panics "recursive mutex_enter"; exiting one not held panics "mutex_exit: not owner"', () => {
    for (const [body, title] of [
      [
        function* rec(l: kmutex_t) {
          yield* mutex_enter(l);
          yield* mutex_enter(l);
        },
        'panic: recursive mutex_enter in rec',
      ],
      [
        function* notmine(l: kmutex_t) {
          yield* mutex_exit(l);
        },
        'panic: mutex_exit: not owner in notmine',
      ],
    ] as const) {
      const m = illumos_machine();
      thread_create(null, 0, body, new kmutex_t('x'), 0, null, TS_RUN, minclsyspri, m);
      expect(m.run().report?.title).toBe(title);
    }
  });

  it('thread addresses end in 000, so thread | MUTEX_DEAD reads as ...6', () => {
    const m = illumos_machine();
    const t = thread_create(null, 0, function* idle(_: null) {}, null, 0, null, TS_RUN, 0, m);
    expect(t.addr & 0xfffn).toBe(0n);
    expect(ttot(t.task)).toBe(t);
  });
});
