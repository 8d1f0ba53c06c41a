import { describe, expect, it } from 'vitest';
import { classicPrograms, explore, type Machine, sched_point } from '../src/index.js';

const machine = { lockdep: false };

/** Tasks of n + 1 scheduling steps each. */
function steps(sizes: readonly number[]) {
  return (m: Machine) => {
    sizes.forEach((n, t) => {
      m.spawn_user(`t${t}`, function* step_task() {
        for (let i = 0; i < n; i++) yield* sched_point();
      });
    });
  };
}

describe('delay bounding (delayBound)', () => {
  it('bound 0 is the one deterministic schedule', () => {
    const r = explore(steps([2, 2, 2]), {
      strategy: 'exhaustive',
      delayBound: 0,
      until: () => false,
    });
    expect(r.exhausted).toBe(true);
    expect(r.schedules).toBe(1);
    expect(r.exhaustedBound).toBe(0);
  });

  it('each bound covers more, and a find at bound k means bound k - 1 was exhausted', () => {
    const counts = [0, 1, 2, 3].map(
      (d) =>
        explore(steps([2, 2, 2]), { strategy: 'exhaustive', delayBound: d, until: () => false })
          .schedules,
    );
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThan(counts[i - 1]!);
    for (const p of classicPrograms) {
      const r = explore(p.scenario, { strategy: 'exhaustive', delayBound: 4, machine });
      expect(r.found).toBeDefined();
      expect(r.exhaustedBound).toBe(r.found!.bound! - 1);
    }
  });

  it('rejects both bounds at once', () => {
    expect(() =>
      explore(steps([1, 1]), { strategy: 'exhaustive', delayBound: 1, preemptionBound: 1 }),
    ).toThrow(/not both/);
  });
});
