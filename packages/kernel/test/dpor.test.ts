import { describe, expect, it } from 'vitest';
import {
  BUG_ON,
  classicPrograms,
  explore,
  type Machine,
  READ_ONCE,
  replay,
  type Scenario,
  sched_point,
  sys_wait4,
  WRITE_ONCE,
} from '../src/index.js';

/**
 * DPOR soundness: on every program of the classic suite, DPOR reaches the same set of report
 * titles as plain exhaustive search (unbounded: preemptionBound 50 exceeds every schedule's
 * count), and on the fixed variants both end exhausted and clean.
 */
const machine = { lockdep: false };

function titles(scenario: Scenario, strategy: 'exhaustive' | 'dpor', maxSchedules: number) {
  const seen = new Set<string>();
  const r = explore(scenario, {
    strategy,
    preemptionBound: 50,
    machine,
    maxSchedules,
    until: (rep) => {
      seen.add(rep.title);
      return false;
    },
  });
  return { r, seen: [...seen].sort() };
}

describe('DPOR with sleep sets', () => {
  for (const p of classicPrograms) {
    it(`${p.name}: the same outcomes as exhaustive search, in fewer schedules`, () => {
      const d = titles(p.scenario, 'dpor', 300_000);
      expect(d.r.exhausted).toBe(true);
      const first = explore(p.scenario, { strategy: 'exhaustive', preemptionBound: 3, machine });
      expect(d.seen).toContain(first.found!.report.title);
      const e = titles(p.scenario, 'exhaustive', 40_000);
      if (e.r.exhausted) {
        expect(d.seen).toEqual(e.seen);
        expect(d.r.schedules).toBeLessThan(e.r.schedules);
      }
      const fd = titles(p.fixed, 'dpor', 300_000);
      expect(fd.r.exhausted).toBe(true);
      expect(fd.seen).toEqual([]);
      const fe = titles(p.fixed, 'exhaustive', 40_000);
      if (fe.r.exhausted) {
        expect(fe.seen).toEqual([]);
        expect(fd.r.schedules).toBeLessThanOrEqual(fe.r.schedules);
      }
    });
  }

  /** A lost update through a plain shared field: the tasks are not tracked. */
  const planted = (tracked: boolean) => (m: Machine) => {
    const s = { n: 0 };
    const inc = function* plain_inc() {
      const v = s.n;
      yield* sched_point();
      s.n = v + 1;
    };
    const a = m.spawn_user('a', inc, { tracked });
    const b = m.spawn_user('b', inc, { tracked });
    m.spawn_user(
      'main',
      function* plain_check() {
        yield* sys_wait4(a);
        yield* sys_wait4(b);
        BUG_ON(s.n !== 2);
      },
      { tracked },
    );
  };

  it('finds a race through a plain field when the tasks are untracked', () => {
    const e = titles(planted(false), 'exhaustive', 100_000);
    const d = titles(planted(false), 'dpor', 100_000);
    expect(e.seen).toEqual(['kernel BUG in plain_check']);
    expect(d.seen).toEqual(e.seen);
    expect(d.r.exhausted).toBe(true);
  });

  it('stops at a find with a replayable schedule, and says not exhausted', () => {
    const p = classicPrograms.find((q) => q.name === 'twostage_2')!;
    const r = explore(p.scenario, { strategy: 'dpor', machine });
    expect(r.found?.report.title).toBe('kernel BUG in twostage_read');
    expect(r.exhausted).toBe(false);
    const again = replay(p.scenario, r.found!.schedule, { machine });
    expect(again.report?.title).toBe(r.found!.report.title);
    const twice = explore(p.scenario, { strategy: 'dpor', machine });
    expect(twice.found?.schedule).toBe(r.found!.schedule);
    expect(twice.schedules).toBe(r.schedules);
  });

  it('a budget stops it unexhausted', () => {
    const p = classicPrograms.find((q) => q.name === 'account_3')!;
    const r = explore(p.fixed, { strategy: 'dpor', machine, maxSchedules: 10 });
    expect(r.exhausted).toBe(false);
    expect(r.budget).toBe('schedules');
  });

  it('READ_ONCE/WRITE_ONCE on separate objects are independent', () => {
    const sc = (m: Machine) => {
      for (let i = 0; i < 3; i++) {
        const o = { v: 0 };
        m.spawn_user(
          `w${i}`,
          function* own_write() {
            yield* WRITE_ONCE(o, 'v', (yield* READ_ONCE(o, 'v')) + 1);
          },
          { tracked: true },
        );
      }
    };
    const d = titles(sc, 'dpor', 100_000);
    const e = titles(sc, 'exhaustive', 100_000);
    expect(d.r.exhausted && e.r.exhausted).toBe(true);
    expect(d.r.schedules).toBe(1);
    expect(e.r.schedules).toBeGreaterThan(50);
  });
});
