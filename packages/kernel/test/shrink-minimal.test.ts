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

  it('caps the search below with maxRunsBelow, and says so', () => {
    const p = classicPrograms.find((q) => q.name === 'stack_3')!;
    const rnd = explore(p.scenario, { strategy: 'random', seed: 7, machine, maxSchedules: 5000 });
    const { schedule, preemptions } = rnd.found!;
    expect(preemptions).toBeGreaterThan(1);
    const capped = shrink(p.scenario, schedule, rnd.found!.report.title, {
      machine,
      maxRunsBelow: 1,
    });
    const full = shrink(p.scenario, schedule, rnd.found!.report.title, { machine });
    expect(full.minimal).toBe(true);
    expect(capped.minimal).toBe(false);
    expect(capped.runs).toBeLessThan(full.runs);
    // The greedy pass still runs after the capped search, and never makes it worse.
    expect(capped.preemptionsAfter).toBeLessThanOrEqual(preemptions);
    expect(() =>
      shrink(p.scenario, schedule, rnd.found!.report.title, { maxRunsBelow: 0 }),
    ).toThrow(/maxRunsBelow/);
  });
});
