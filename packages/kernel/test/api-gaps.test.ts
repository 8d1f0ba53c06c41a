import { describe, expect, it } from 'vitest';
import {
  ATOMIC_INIT,
  atomic_read,
  atomic_set,
  BUG_ON,
  DEFINE_MUTEX,
  DEFINE_SPINLOCK,
  explore,
  held_locks,
  Machine,
  mutex_lock,
  mutex_unlock,
  READ_ONCE,
  replay,
  sched_point,
  spin_lock,
  spin_unlock,
  sys_exit,
  sys_wait4,
  WRITE_ONCE,
} from '../src/index.js';

describe('sys_exit and sys_wait4', () => {
  it('a user task exits with a code and main joins it', () => {
    const m = new Machine();
    let got: unknown;
    m.spawn_user('main', function* main() {
      const child = this_child;
      got = yield* sys_wait4(child);
    });
    const this_child = m.spawn_user('child', function* child() {
      yield* sched_point();
      sys_exit(7);
    });
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(got).toBe(7);
  });

  it('joining a task that already exited returns at once', () => {
    const m = new Machine();
    let got: unknown;
    const child = m.spawn_user('child', function* child() {
      yield* sched_point();
      return 3;
    });
    m.spawn_user('main', function* main() {
      yield* sched_point();
      got = yield* sys_wait4(child);
    });
    expect(m.run().outcome).toBe('clean');
    expect(got).toBe(3);
  });
});

describe('READ_ONCE / WRITE_ONCE', () => {
  it('are scheduling points: a lost update between them is found', () => {
    const r = explore(
      (m) => {
        const s = { n: 0 };
        const inc = function* incr_counter() {
          const v = yield* READ_ONCE(s, 'n');
          yield* WRITE_ONCE(s, 'n', v + 1);
        };
        const a = m.spawn_user('a', inc);
        const b = m.spawn_user('b', inc);
        m.spawn_user('main', function* check_counter() {
          yield* sys_wait4(a);
          yield* sys_wait4(b);
          BUG_ON(s.n !== 2);
        });
      },
      { strategy: 'exhaustive', preemptionBound: 1 },
    );
    expect(r.found?.report.title).toBe('kernel BUG in check_counter');
    expect(r.found?.preemptions).toBe(1);
  });

  it('atomic_read and atomic_set still read and write the counter', () => {
    const m = new Machine();
    const v = ATOMIC_INIT(1);
    m.spawn_user('t', function* t() {
      yield* sched_point();
      atomic_set(v, atomic_read(v) + 4);
    });
    m.run();
    expect(v.counter).toBe(5);
  });
});

describe('lockdep: false (CONFIG_LOCKDEP=n)', () => {
  const abba = (m: Machine) => {
    const a = DEFINE_MUTEX('a');
    const b = DEFINE_MUTEX('b');
    m.spawn_user('ab', function* take_ab() {
      yield* mutex_lock(a);
      yield* mutex_lock(b);
      yield* mutex_unlock(b);
      yield* mutex_unlock(a);
    });
    m.spawn_user('ba', function* take_ba() {
      yield* mutex_lock(b);
      yield* mutex_lock(a);
      yield* mutex_unlock(a);
      yield* mutex_unlock(b);
    });
  };

  it('no lockdep report and no held-lock bookkeeping; only a real deadlock is reported', () => {
    const m = new Machine({ lockdep: false });
    let held = -1;
    m.spawn_user('t', function* t() {
      const l = DEFINE_MUTEX('l');
      yield* mutex_lock(l);
      held = held_locks().length;
      yield* mutex_unlock(l);
    });
    expect(m.run().outcome).toBe('clean');
    expect(held).toBe(0);
    const on = explore(abba, { strategy: 'exhaustive', preemptionBound: 1 });
    expect(on.found?.report.kind).toBe('lockdep-circular');
    const off = explore(abba, {
      strategy: 'exhaustive',
      preemptionBound: 1,
      machine: { lockdep: false },
    });
    expect(off.found?.report.kind).toBe('hung-task');
  });

  it('a lock-cycle deadlock report names the tasks in the cycle, not the joining task', () => {
    const scenario = (m: Machine) => {
      const a = DEFINE_MUTEX('a');
      const b = DEFINE_MUTEX('b');
      const ab = m.spawn_user('ab', function* take_ab() {
        yield* mutex_lock(a);
        yield* sched_point();
        yield* mutex_lock(b);
        yield* mutex_unlock(b);
        yield* mutex_unlock(a);
      });
      const ba = m.spawn_user('ba', function* take_ba() {
        yield* mutex_lock(b);
        yield* sched_point();
        yield* mutex_lock(a);
        yield* mutex_unlock(a);
        yield* mutex_unlock(b);
      });
      m.spawn_user('main', function* main_join() {
        yield* sys_wait4(ab);
        yield* sys_wait4(ba);
      });
    };
    const r = explore(scenario, {
      strategy: 'exhaustive',
      preemptionBound: 2,
      machine: { lockdep: false },
    });
    const rep = r.found!.report;
    expect(rep.title).toMatch(/^INFO: task hung in take_(ab|ba)$/);
    expect(['ab', 'ba']).toContain(rep.task?.comm);
    expect(rep.text).toMatch(/lock cycle: .*waits for mutex .* held by .*; .*waits for mutex/);
    const again = replay(scenario, r.found!.schedule, { machine: { lockdep: false } });
    expect(again.report?.title).toBe(rep.title);
  });

  it('spinlock cycles name the spinning tasks', () => {
    const r = explore(
      (m) => {
        const a = DEFINE_SPINLOCK('a');
        const b = DEFINE_SPINLOCK('b');
        m.spawn_user('ab', function* spin_ab() {
          yield* spin_lock(a);
          yield* spin_lock(b);
          yield* spin_unlock(b);
          yield* spin_unlock(a);
        });
        m.spawn_user('ba', function* spin_ba() {
          yield* spin_lock(b);
          yield* spin_lock(a);
          yield* spin_unlock(a);
          yield* spin_unlock(b);
        });
      },
      { strategy: 'exhaustive', preemptionBound: 1, machine: { lockdep: false } },
    );
    expect(r.found?.report.title).toMatch(/^BUG: soft lockup in spin_(ab|ba)$/);
    expect(r.found?.report.text).toContain('lock cycle');
  });
});

describe('report titles', () => {
  it('keep function names that are not snake_case', () => {
    const m = new Machine();
    m.spawn_user('bcsp', function* BCSP_PnpAdd() {
      yield* sched_point();
      BUG_ON(true);
    });
    expect(m.run().report?.title).toBe('kernel BUG in BCSP_PnpAdd');
  });
});
