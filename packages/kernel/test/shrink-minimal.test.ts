import { describe, expect, it } from 'vitest';
import { classicPrograms, explore, shrink } from '../src/index.js';

/**
 * Minimal shrinking: the search below the found preemption count reaches the fewest
 * preemptions the program needs, which strict bounded exhaustive search gives independently.
 */
const machine = { lockdep: false };

describe('shrink reaches the minimum preemptions', () => {
  for (const p of classicPrograms) {
    it(p.name, () => {
      const least = explore(p.scenario, { strategy: 'exhaustive', preemptionBound: 3, machine });
      expect(least.found).toBeDefined();
      const min = least.found!.preemptions;
      // A seeded random find, usually with more preemptions than needed.
      const rnd = explore(p.scenario, { strategy: 'random', seed: 7, machine, maxSchedules: 5000 });
      expect(rnd.found).toBeDefined();
      const s = shrink(p.scenario, rnd.found!.schedule, rnd.found!.report.title, { machine });
      expect(s.preemptionsAfter).toBe(min);
      expect(s.minimal).toBe(true);
      expect(s.report.title).toBe(rnd.found!.report.title);
    });
  }

  it('says minimal: false when the budget ends the search below', () => {
    const p = classicPrograms.find((q) => q.name === 'stack_3')!;
    const rnd = explore(p.scenario, { strategy: 'random', seed: 7, machine, maxSchedules: 5000 });
    expect(rnd.found!.preemptions).toBeGreaterThan(1);
    const s = shrink(p.scenario, rnd.found!.schedule, rnd.found!.report.title, {
      machine,
      maxRuns: 3,
    });
    expect(s.minimal).toBe(false);
  });
});
