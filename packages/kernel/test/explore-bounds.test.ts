import { describe, expect, it } from 'vitest';
import {
  ATOMIC_INIT,
  atomic_inc,
  explore,
  type Machine,
  replay,
  type Scenario,
  sched_point,
} from '../src/index.js';

/**
 * Strict iterative bounding: bound k starts only once every schedule of bound k - 1 ran; a
 * search that a budget stops, or that dropped work to fit its budget, is never exhausted.
 */

/** Tasks of n + 1 scheduling steps each (n points, then the exit). */
function steps(sizes: readonly number[]): Scenario {
  return (m: Machine) => {
    sizes.forEach((n, t) => {
      m.spawn_user(`t${t}`, function* step_task() {
        for (let i = 0; i < n; i++) yield* sched_point();
      });
    });
  };
}

/**
 * A check-then-act race between `user` and `teardown` that needs one preemption (between the
 * check and the use); `others` more tasks that only exit, so that the non-preemptive
 * schedules alone are (others + 2)! orders of exits.
 */
function raceAmong(others: number): Scenario {
  return (m: Machine) => {
    const st: { serv: { users: number } | null } = { serv: { users: 0 } };
    const work = ATOMIC_INIT(0);
    m.spawn_user('user', function* user_of_serv() {
      for (let i = 0; i < 3; i++) yield* atomic_inc(work);
      if (st.serv !== null) {
        yield* sched_point();
        st.serv.users++;
      }
    });
    m.spawn_user('teardown', function* teardown_serv() {
      yield* atomic_inc(work);
      st.serv = null;
    });
    for (let i = 0; i < others; i++)
      m.spawn_user(`idle${i}`, function* idle_task() {
        yield* atomic_inc(work);
      });
  };
}

/** Schedules with at most `bound` preemptions, counted by the search itself (covered). */
function spaceOf(scenario: Scenario, bound: number): number {
  const r = explore(scenario, {
    strategy: 'exhaustive',
    preemptionBound: bound,
    until: () => false,
  });
  expect(r.exhausted).toBe(true);
  expect(r.exhaustedBound).toBe(bound);
  return r.schedules;
}

describe('strict bounds: a budget never reads as coverage', () => {
  const sc = steps([3, 2, 2]);
  const sizes = [0, 1, 2].map((b) => spaceOf(sc, b));

  it('the spaces grow with the bound', () => {
    expect(sizes[0]!).toBeGreaterThan(1);
    expect(sizes[1]!).toBeGreaterThan(sizes[0]!);
    expect(sizes[2]!).toBeGreaterThan(sizes[1]!);
  });

  it('for every budget, the bound reported covered is the highest whose space fits', () => {
    for (let budget = 1; budget <= sizes[2]! + 2; budget++) {
      const r = explore(sc, { strategy: 'exhaustive', preemptionBound: 2, maxSchedules: budget });
      const fits = sizes.filter((n) => n <= budget).length - 1;
      expect(r.exhaustedBound, `budget ${budget}`).toBe(fits);
      expect(r.exhausted, `budget ${budget}`).toBe(fits === 2);
      if (fits < 2) {
        expect(r.budget, `budget ${budget}`).toBe('schedules');
        // It ran what it kept of the first bound it could not cover, and stopped there.
        expect(r.schedules, `budget ${budget}`).toBeLessThanOrEqual(budget);
        expect(r.schedules, `budget ${budget}`).toBeGreaterThanOrEqual(fits < 0 ? 1 : sizes[fits]!);
      } else {
        expect(r.budget).toBeUndefined();
        expect(r.schedules).toBe(sizes[2]);
      }
    }
  });

  it.each([1, 7, 40])('a total step budget (%i steps) leaves the search not exhausted', (n) => {
    const r = explore(sc, { strategy: 'exhaustive', preemptionBound: 2, maxTotalSteps: n });
    expect(r.budget).toBe('steps');
    expect(r.exhausted).toBe(false);
    expect(r.exhaustedBound!).toBeLessThan(2);
  });
});

describe('strict bounds: a find at bound k comes after bound k - 1 was covered', () => {
  const sc = raceAmong(1);
  const title = 'BUG: unable to handle kernel NULL pointer dereference in user_of_serv';

  it('bound 0 misses the race; every budget that finds it finds it at bound 1', () => {
    const zero = explore(sc, { strategy: 'exhaustive', preemptionBound: 0 });
    expect(zero.found).toBeUndefined();
    expect(zero.exhausted).toBe(true);
    let finds = 0;
    for (let budget = 1; budget <= zero.schedules + 30; budget++) {
      const r = explore(sc, { strategy: 'exhaustive', preemptionBound: 2, maxSchedules: budget });
      if (r.found === undefined) {
        expect(r.exhaustedBound!, `budget ${budget}`).toBeLessThan(1);
        continue;
      }
      finds++;
      expect(r.found.report.title).toBe(title);
      expect(r.found.bound).toBe(1);
      expect(r.exhaustedBound).toBe(0);
      expect(r.exhausted).toBe(false);
      expect(r.schedules).toBeGreaterThan(zero.schedules);
      expect(replay(sc, r.found.schedule).preemptions).toBe(1);
    }
    expect(finds).toBeGreaterThan(0);
  });

  it('with 9 tasks bound 0 alone exceeds the budget: no find at bound 1, nothing covered', () => {
    // 2 racing tasks and 7 that only exit: 9! orders without a preemption.
    const r = explore(raceAmong(7), {
      strategy: 'exhaustive',
      preemptionBound: 2,
      maxSchedules: 2000,
    });
    expect(r.found).toBeUndefined();
    expect(r.schedules).toBe(2000);
    expect(r.budget).toBe('schedules');
    expect(r.exhausted).toBe(false);
    expect(r.exhaustedBound).toBe(-1);
  });
});
